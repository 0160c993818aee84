import type { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  TypeInfo,
  ValidationContext,
  getNullableType,
  getOperationAST,
  isListType,
  parse,
  specifiedRules,
  validate,
  visit,
  visitWithTypeInfo,
  type ASTNode,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type ParseOptions,
  type ValidationRule,
} from 'graphql';
import { createComplexityRule, type ComplexityEstimator } from 'graphql-query-complexity';

/** `extensions.code` of every refusal by the operation policy, on every transport. */
export const QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX';

/** Which limit refused an operation (`extensions.limit` of the refusal). */
export type OperationLimit = 'maxTokens' | 'maxDepth' | 'maxAliases' | 'maxDirectives' | 'maxCost';

/**
 * What one GraphQL operation may ask for, whichever transport carried it (HTTP, graphql-ws,
 * an automatic persisted query). Every limit is checked before anything is executed.
 */
export interface GraphQLOperationPolicyOptions {
  /**
   * Lexical tokens in the document (punctuation, names, values; comments excluded). The parser
   * stops at the first token over the limit, so an oversized document costs almost nothing to refuse.
   */
  maxTokens: number;
  /**
   * Nesting depth, counted through fragments as graphql-armor counts it: a field one level below its
   * parent, an inline fragment one more level, a named fragment spread two. Fragments therefore
   * cannot hide nesting, and long fragment chains are refused. `__schema` is not counted: graphql-js's
   * own MaxIntrospectionDepthRule (one of the specified rules) bounds introspection's recursion.
   */
  maxDepth: number;
  /** Aliased fields in an operation, counted through inline and named fragments. */
  maxAliases: number;
  /** Directives in an operation, counted through inline and named fragments. */
  maxDirectives: number;
  /**
   * Estimated cost of the operation with its variables (see {@link GraphQLOperationPolicy.cost}):
   * the upper bound of the work a resolver-by-resolver execution could do.
   */
  maxCost: number;
  /** How many items a list field without a page size (`first`, `last`, `limit`) is assumed to hold. */
  assumedListSize: number;
  /**
   * Selections the cost estimate may walk once fragments are expanded (a fragment spread in many
   * places is walked in each); an operation beyond it is refused as too costly.
   */
  maxCostNodes: number;
}

/** The policy's defaults; `GRAPHQL_MAX_*` (src/config.ts) override the first five. */
export const DEFAULT_OPERATION_POLICY: Readonly<GraphQLOperationPolicyOptions> = {
  maxTokens: 2000,
  maxDepth: 10,
  maxAliases: 20,
  maxDirectives: 20,
  maxCost: 10_000,
  assumedListSize: 10,
  maxCostNodes: 10_000,
};

/** Arguments that bound how many items a field returns. */
const PAGE_SIZE_ARGUMENTS = ['first', 'last', 'limit'];
/** How many estimates are kept per document (for different page sizes, say). */
const COSTS_PER_DOCUMENT = 64;
/** Introspection's entry points: bounded by the schema (and by MaxIntrospectionDepthRule), not by data. */
const INTROSPECTION_FIELDS = new Set(['__schema', '__type']);

/**
 * The one GraphQL operation policy (GraphQL Yoga's plugin style: options with defaults in one
 * place, a small surface per transport). Apollo takes {@link parseOptions}, {@link validationRules}
 * and {@link apolloPlugin}; graphql-ws calls {@link parse}, {@link validate} and {@link checkCost}
 * itself. A refusal is a GraphQLError with `extensions.code` {@link QUERY_TOO_COMPLEX} and
 * `extensions.limit` naming the limit.
 */
export class GraphQLOperationPolicy {
  readonly options: Readonly<GraphQLOperationPolicyOptions>;
  /**
   * graphql-js's native token limit (`maxLexicalTokens`, the current name of `maxTokens`). An
   * oversized document fails with a syntax error, which {@link refusalOf} recognises.
   */
  readonly parseOptions: ParseOptions;
  /** Depth, alias and directive limits: they depend on the document alone, so Apollo may cache the verdict. */
  readonly validationRules: readonly ValidationRule[];
  private readonly estimator: ComplexityEstimator;
  /**
   * Costs already estimated, per document (Apollo keeps one parsed document per query text), then
   * per operation name and the values of the variables a cost can depend on.
   */
  private readonly costs = new WeakMap<
    DocumentNode,
    { keyed: readonly string[]; byKey: Map<string, number> }
  >();

  constructor(options: Partial<GraphQLOperationPolicyOptions> = {}) {
    const resolved = { ...DEFAULT_OPERATION_POLICY };
    for (const [name, value] of Object.entries(options) as [keyof GraphQLOperationPolicyOptions, number][])
      if (name in resolved && value !== undefined) resolved[name] = value;
    this.options = Object.freeze(resolved);
    this.parseOptions = { maxLexicalTokens: resolved.maxTokens };

    // The armor rules report through the validation context instead of throwing, so a refusal is one
    // ordinary validation error next to any others, and the message loses armor's "Syntax Error: ".
    const armor = (limit: OperationLimit) => ({
      propagateOnRejection: false,
      onReject: [
        (context: ValidationContext | null, error: GraphQLError) =>
          context?.reportError(refusal(error.message.replace(/^Syntax Error:\s*/, ''), limit)),
      ],
    });
    this.validationRules = Object.freeze([
      maxDepthRule({ n: resolved.maxDepth, ...armor('maxDepth') }),
      maxAliasesRule({ n: resolved.maxAliases, ...armor('maxAliases') }),
      maxDirectivesRule({ n: resolved.maxDirectives, ...armor('maxDirectives') }),
    ]);

    // Every field costs 1 plus what its selection costs for each item it may return: the page size
    // when it has one (its default when omitted), `assumedListSize` for other lists. The `edges` and
    // `nodes` of a Relay connection hold the page its parent field already multiplied by.
    this.estimator = ({ type, field, args, childComplexity }) => {
      if (INTROSPECTION_FIELDS.has(field.name)) return 0;
      const pageSize = PAGE_SIZE_ARGUMENTS.map((name) => args[name]).find((v) => typeof v === 'number');
      // A negative page size is refused by the resolver, but must not lower the sum for its siblings.
      if (pageSize !== undefined) return 1 + Math.max(0, pageSize) * childComplexity;
      if (!isListType(getNullableType(field.type))) return 1 + childComplexity;
      if (type.name.endsWith('Connection') && (field.name === 'edges' || field.name === 'nodes'))
        return 1 + childComplexity;
      return 1 + resolved.assumedListSize * childComplexity;
    };
  }

  /** Parses with the token limit; a document over it throws the policy's refusal, other syntax errors as they are. */
  parse(source: string): DocumentNode {
    try {
      return parse(source, this.parseOptions);
    } catch (error) {
      throw this.refusalOf(error) ?? error;
    }
  }

  /** graphql-js's specified rules plus the policy's: what Apollo runs, for transports that validate themselves. */
  validate(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[] {
    return validate(schema, document, [...specifiedRules, ...this.validationRules]);
  }

  /**
   * The estimated cost of the operation `operationName` selects, with its variables (a page size
   * given as a variable counts at its value). Variables that do not coerce count nothing: such an
   * operation fails before executing anything. Infinity when the fragments expand beyond
   * `maxCostNodes` selections.
   */
  cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables?: Record<string, unknown> | null,
    operationName?: string | null,
  ): number {
    // The estimate depends on the variables only through page sizes and `@include`/`@skip`, so it is
    // kept per document and those variables' values. Only an estimate that met no error is kept:
    // one with an argument that does not coerce leaves that field out, which would undercount the
    // same operation given arguments that do.
    let cached = this.costs.get(document);
    if (!cached) this.costs.set(document, (cached = { keyed: costVariables(document), byKey: new Map() }));
    const given = variables ?? {};
    // A variable left out (its default applies) and one given as null are different keys.
    const key = JSON.stringify([
      operationName ?? null,
      ...cached.keyed.map((name) => (Object.hasOwn(given, name) ? [given[name]] : [])),
    ]);
    const known = cached.byKey.get(key);
    if (known !== undefined) return known;
    const { cost, clean } = this.estimate(schema, document, variables, operationName);
    if (clean && cached.byKey.size < COSTS_PER_DOCUMENT) cached.byKey.set(key, cost);
    return cost;
  }

  /** Walks the operation; `clean` when no argument or variable failed to coerce on the way. */
  private estimate(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Record<string, unknown> | null | undefined,
    operationName: string | null | undefined,
  ): { cost: number; clean: boolean } {
    const operation = getOperationAST(document, operationName);
    if (!operation) return { cost: 0, clean: true }; // execution answers "Unknown operation" without running anything
    const typeInfo = new TypeInfo(schema);
    // Errors here (an argument that does not coerce) are execution's to report: that field would
    // not run, and its subtree is left out of the sum too.
    let clean = true;
    const context = new ValidationContext(schema, document, typeInfo, () => {
      clean = false;
    });
    const estimate = createComplexityRule({
      maximumComplexity: Infinity,
      estimators: [this.estimator],
      variables: variables ?? {},
      operationName: operation.name?.value,
      maxQueryNodes: this.options.maxCostNodes,
    })(context);
    try {
      visit(document, visitWithTypeInfo(typeInfo, estimate));
    } catch (error) {
      if (error instanceof GraphQLError && /maximum allowed number of nodes/.test(error.message))
        return { cost: Infinity, clean: true };
      throw error;
    }
    return { cost: estimate.complexity, clean };
  }

  /** The refusal for an operation over `maxCost`, or null when it may run. */
  checkCost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables?: Record<string, unknown> | null,
    operationName?: string | null,
  ): GraphQLError | null {
    const cost = this.cost(schema, document, variables, operationName);
    if (cost <= this.options.maxCost) return null;
    return refusal(
      Number.isFinite(cost)
        ? `Operation cost limit of ${this.options.maxCost} exceeded, found ${cost}.`
        : `Operation cost limit of ${this.options.maxCost} exceeded: its fragments expand beyond ${this.options.maxCostNodes} selections.`,
      'maxCost',
    );
  }

  /**
   * The policy's refusal carried by `error` (itself, or the `originalError` a transport wrapped it
   * in), or null when the error is something else. graphql-js's token-limit syntax error becomes
   * the policy's `maxTokens` refusal.
   */
  refusalOf(error: unknown): GraphQLError | null {
    for (let e = error; e instanceof Error; e = (e as GraphQLError).originalError) {
      if (!(e instanceof GraphQLError)) break;
      if (e.extensions.code === QUERY_TOO_COMPLEX) return e;
      if (TOKEN_LIMIT_SYNTAX_ERROR.test(e.message))
        return refusal(`Token limit of ${this.options.maxTokens} exceeded.`, 'maxTokens');
    }
    return null;
  }

  /**
   * Apollo's error formatting for refusals: Apollo wraps them as GRAPHQL_PARSE_FAILED or
   * GRAPHQL_VALIDATION_FAILED (both 400); the client sees QUERY_TOO_COMPLEX. Null for other errors.
   */
  formatRefusal(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError | null {
    const refused = this.refusalOf(error);
    if (!refused) return null;
    return {
      message: refused.message,
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      extensions: { code: QUERY_TOO_COMPLEX, limit: refused.extensions.limit },
    };
  }

  /**
   * The cost check for Apollo. Cost depends on the variables, so it runs once the operation is
   * resolved (after parsing and validation, cached or not, and for persisted queries too) and
   * before execution; a refusal answers 400.
   */
  apolloPlugin(): ApolloServerPlugin {
    return {
      requestDidStart: async () => ({
        didResolveOperation: async ({ schema, document, request }) => {
          const refused = this.checkCost(schema, document, request.variables, request.operationName);
          if (refused)
            throw new GraphQLError(refused.message, {
              extensions: { ...refused.extensions, http: { status: 400 } },
            });
        },
      }),
    };
  }
}

/**
 * The variables an operation's cost can depend on: those given to a page-size argument and to a
 * directive (`@include`/`@skip` decide whether a selection counts). Sorted, for a stable key.
 */
function costVariables(document: DocumentNode): readonly string[] {
  const names = new Set<string>();
  const collect = (node: ASTNode) =>
    visit(node, {
      Variable: (variable) => {
        names.add(variable.name.value);
      },
    });
  visit(document, {
    VariableDefinition: () => false,
    Argument: (argument) => {
      if (PAGE_SIZE_ARGUMENTS.includes(argument.name.value)) collect(argument.value);
    },
    Directive: (directive) => {
      collect(directive);
      return false;
    },
  });
  return [...names].sort();
}

/** graphql-js's message for a document over `maxLexicalTokens` (16.x spells it "more that"). */
const TOKEN_LIMIT_SYNTAX_ERROR =
  /^Syntax Error: Document contains more tha[nt] \d+ tokens\. Parsing aborted\.$/;

function refusal(message: string, limit: OperationLimit): GraphQLError {
  return new GraphQLError(message, { extensions: { code: QUERY_TOO_COMPLEX, limit } });
}
