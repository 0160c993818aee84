import { GraphQLError, Kind, type ASTVisitor, type ValidationContext } from 'graphql';

/** Query-size limits: defaults in one place (GraphQL Yoga's plugin style). */
export interface GraphQLLimits {
  /** Parser stops after this many tokens (an oversized query costs nothing to refuse). */
  maxTokens: number;
  /** Root fields per operation, aliases included: `{a: payments … b: payments …}` counts twice. */
  maxRootFields: number;
  /** Nesting depth of selections. */
  maxDepth: number;
}

export const DEFAULT_LIMITS: GraphQLLimits = { maxTokens: 4000, maxRootFields: 10, maxDepth: 12 };

/** Validation rule enforcing `maxRootFields` and `maxDepth` on every operation. */
export function limitsRule(limits: GraphQLLimits = DEFAULT_LIMITS) {
  return (context: ValidationContext): ASTVisitor => {
    let depth = 0;
    return {
      OperationDefinition(node) {
        const roots = node.selectionSet.selections.filter((s) => s.kind === Kind.FIELD).length;
        if (roots > limits.maxRootFields)
          context.reportError(
            new GraphQLError(
              `An operation may select at most ${limits.maxRootFields} root fields (got ${roots}).`,
              {
                nodes: [node],
              },
            ),
          );
      },
      SelectionSet: {
        enter(node) {
          depth += 1;
          if (depth === limits.maxDepth + 1)
            context.reportError(
              new GraphQLError(`Selections may nest at most ${limits.maxDepth} levels.`, { nodes: [node] }),
            );
        },
        leave() {
          depth -= 1;
        },
      },
    };
  };
}
