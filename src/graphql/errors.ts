import { GraphQLError } from 'graphql';
import { ErrorCode, RateLimitError, TillError, type FieldProblem } from '../domain/errors.js';
import type { UserError } from './user-error.type.js';

/** Domain codes that become top-level GraphQL errors, with their `extensions.code` and HTTP status. */
const TOP_LEVEL: Partial<Record<ErrorCode, { code: string; status: number }>> = {
  [ErrorCode.Unauthenticated]: { code: 'UNAUTHENTICATED', status: 401 },
  [ErrorCode.Forbidden]: { code: 'FORBIDDEN', status: 403 },
  [ErrorCode.NotFound]: { code: 'NOT_FOUND', status: 404 },
  [ErrorCode.RateLimited]: { code: 'RATE_LIMITED', status: 429 },
  [ErrorCode.Internal]: { code: 'INTERNAL_SERVER_ERROR', status: 500 },
};

/** camelCase path of a domain field (`billingDetails.address.postal_code` → `billingDetails.address.postalCode`). */
const camel = (segment: string) => segment.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export const unauthenticated = () =>
  new GraphQLError('Authentication required: send Authorization: Bearer <secret key or access token>.', {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
  });

/**
 * The one mapping from domain errors to GraphQL: business and validation failures become
 * `userErrors` (returned), everything else a top-level error (thrown).
 */
export function toUserErrors(error: unknown, inputPrefix: string[]): UserError[] {
  if (!(error instanceof TillError)) throw error;
  const top = TOP_LEVEL[error.code];
  if (top)
    throw new GraphQLError(error.message, { extensions: { code: top.code, http: { status: top.status } } });
  const problems: FieldProblem[] = error.problems.length
    ? error.problems
    : [{ field: '', message: error.message }];
  return problems.map((p) => ({
    field: p.field ? [...inputPrefix, ...p.field.split('.').map(camel)] : inputPrefix,
    message: p.message,
    code: error.code,
  }));
}

/** A domain error as a top-level GraphQL error (for queries, which have no userErrors). */
export function graphQLErrorOf(error: TillError): GraphQLError {
  const top = TOP_LEVEL[error.code] ?? { code: 'BAD_USER_INPUT', status: 400 };
  return new GraphQLError(error.message, {
    extensions: {
      code: top.code,
      http: { status: top.status },
      ...(error.field ? { field: error.field } : {}),
      ...(error instanceof RateLimitError ? { retryAfter: error.state.resetSec } : {}),
    },
  });
}

/** Rethrows a domain error as a top-level GraphQL error; anything else as it is. */
export function toGraphQLError(error: unknown): never {
  if (!(error instanceof TillError)) throw error;
  throw graphQLErrorOf(error);
}
