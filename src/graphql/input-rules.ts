import type { ApolloServerPlugin } from '@apollo/server';
import {
  BREAK,
  GraphQLError,
  TypeInfo,
  getOperationAST,
  isNonNullType,
  visit,
  visitWithTypeInfo,
  type ASTNode,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type VariableNode,
} from 'graphql';
import {
  MAX_JSON_DEPTH,
  badTextMessage,
  jsonTooDeepMessage,
  jsonValueProblem,
  unstorableText,
} from '../http/json-body.js';

const badInput = (message: string, extensions: Record<string, unknown> = {}, node?: ASTNode) =>
  new GraphQLError(message, {
    ...(node ? { nodes: [node] } : {}),
    extensions: { code: 'BAD_USER_INPUT', ...extensions },
  });

/**
 * The rules GraphQL input follows whichever transport carried it (a POST body, a GET query string,
 * a graphql-ws message), checked after validation and before execution coerces, stores or
 * fingerprints anything — the rules REST applies to JSON bodies, plus one of GraphQL's own:
 *
 * - no value nests arrays and objects deeper than {@link MAX_JSON_DEPTH}: a variable's value, or an
 *   object or list literal in the document;
 * - no string holds text PostgreSQL cannot store (NUL, an unpaired surrogate): in variables, keys
 *   included, or in a string literal;
 * - no variable is an explicit null where the operation uses it as a non-null value. Validation lets
 *   a nullable variable into a non-null argument that has a default; graphql-js then fails the field
 *   at execution, which would answer as an internal error.
 *
 * A refusal is `BAD_USER_INPUT` naming the variable or pointing at the literal (400 over HTTP, an
 * `error` message over graphql-ws); null when the input may be used.
 */
export function inputProblem(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables?: Record<string, unknown> | null,
  operationName?: string | null,
): GraphQLError | null {
  for (const [name, value] of Object.entries(variables ?? {})) {
    const found = jsonValueProblem(value);
    if (found?.problem === 'too_deep')
      return badInput(jsonTooDeepMessage(`Variable "$${name}"`), { variable: name });
    if (found)
      return badInput(badTextMessage(`Variable "$${name}"${found.path ? ` at ${found.path}` : ''}`), {
        variable: name,
      });
  }

  let literal = literalProblems.get(document);
  if (literal === undefined) literalProblems.set(document, (literal = literalProblem(document)));
  if (literal) return literal;

  if (!variables) return null;
  for (const use of nonNullUses(schema, document, operationName))
    if (Object.hasOwn(variables, use.name) && variables[use.name] === null)
      return badInput(
        `Variable "$${use.name}" is null where a non-null ${String(use.type)} is required.`,
        { variable: use.name },
        use.node,
      );
  return null;
}

/**
 * What the document's own literals break, per document: Apollo keeps one parsed document per query
 * text, so a repeated operation is walked once.
 */
const literalProblems = new WeakMap<DocumentNode, GraphQLError | null>();

/** The first object or list literal nested too deep, or string literal PostgreSQL cannot store. */
function literalProblem(document: DocumentNode): GraphQLError | null {
  // Assigned inside the visitors, so TypeScript cannot narrow it.
  let refusal = null as GraphQLError | null;
  let depth = 0;
  const nest = {
    enter(node: ASTNode) {
      if (++depth <= MAX_JSON_DEPTH) return undefined;
      refusal = badInput(jsonTooDeepMessage('An argument value'), {}, node);
      return BREAK;
    },
    leave() {
      depth--;
    },
  };
  visit(document, {
    ObjectValue: nest,
    ListValue: nest,
    StringValue(node) {
      if (!unstorableText(node.value)) return undefined;
      refusal = badInput(badTextMessage('A string value'), {}, node);
      return BREAK;
    },
  });
  return refusal;
}

/** A place where the operation uses a variable as a non-null input value. */
interface NonNullUse {
  name: string;
  type: GraphQLInputType;
  node: VariableNode;
}

/** Each document's non-null variable uses, per operation name. */
const nonNullUsesByDocument = new WeakMap<DocumentNode, Map<string | null, readonly NonNullUse[]>>();

/** Where the operation `operationName` selects (and the fragments it spreads) uses a variable as a non-null value. */
function nonNullUses(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): readonly NonNullUse[] {
  let byOperation = nonNullUsesByDocument.get(document);
  if (!byOperation) nonNullUsesByDocument.set(document, (byOperation = new Map()));
  const known = byOperation.get(operationName ?? null);
  if (known) return known;
  const uses: NonNullUse[] = [];
  const operation = getOperationAST(document, operationName);
  if (operation) {
    const typeInfo = new TypeInfo(schema);
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        // Only the operation that runs (and the fragments it spreads) uses these variables.
        OperationDefinition: (node) => (node === operation ? undefined : false),
        VariableDefinition: () => false,
        Variable(node) {
          const expected = typeInfo.getInputType();
          if (expected && isNonNullType(expected)) uses.push({ name: node.name.value, type: expected, node });
        },
      }),
    );
  }
  // A handful of names per document at most (the operations it holds); unknown names find no operation.
  if (operation) byOperation.set(operationName ?? null, uses);
  return uses;
}

/** {@link inputProblem} for Apollo: a refusal answers 400 before anything executes. */
export function inputRulesPlugin(): ApolloServerPlugin {
  return {
    requestDidStart: async () => ({
      didResolveOperation: async ({ schema, document, request }) => {
        const refused = inputProblem(schema, document, request.variables, request.operationName);
        if (refused)
          throw new GraphQLError(refused.message, {
            nodes: refused.nodes,
            extensions: { ...refused.extensions, http: { status: 400 } },
          });
      },
    }),
  };
}
