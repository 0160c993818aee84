/**
 * The one error type of Till's domain and services. Each surface (GraphQL, REST v1, admin) maps
 * `code` to its own wire format in exactly one place.
 */
export enum ErrorCode {
  /** A field of the request is missing, of the wrong type or out of range. */
  InvalidRequest = 'invalid_request',
  /** No credentials, or credentials that do not match a key. */
  Unauthenticated = 'unauthenticated',
  /** Credentials are valid but not allowed to do this. */
  Forbidden = 'forbidden',
  /** The object does not exist for this merchant and mode. */
  NotFound = 'resource_missing',
  /** The object exists but its state forbids the operation (e.g. cancel a SUCCEEDED payment). */
  InvalidState = 'payment_unexpected_state',
  /** An Idempotency-Key was reused with a different request. */
  IdempotencyMismatch = 'idempotency_key_reused',
  /** An Idempotency-Key is still being processed by an earlier request. */
  IdempotencyInProgress = 'idempotency_key_in_use',
  /** Live payments need a real processor configured on the terminal. */
  LiveModeUnavailable = 'livemode_unavailable',
  /** Too many requests. */
  RateLimited = 'rate_limited',
  /** A bug or an unavailable dependency. Never caused by input. */
  Internal = 'internal_error',
}

/** One bad field of a request. `field` is a dotted path in the domain's camelCase spelling. */
export interface FieldProblem {
  field: string;
  message: string;
}

export class TillError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The request field at fault, in the surface's own spelling where it differs (snake_case on REST). */
    readonly field?: string,
    /** Every problem found, when validation reports more than one at once. */
    readonly problems: FieldProblem[] = field ? [{ field, message }] : [],
  ) {
    super(message);
    this.name = 'TillError';
  }
}

export const invalid = (field: string, message: string) =>
  new TillError(ErrorCode.InvalidRequest, message, field);
export const notFound = (what: string, id: string, field = 'id') =>
  new TillError(ErrorCode.NotFound, `No such ${what}: '${id}'`, field);

/** A validation failure listing every bad field; `field`/`message` are the first one's. */
export function invalidFields(problems: FieldProblem[]): TillError {
  const [first] = problems;
  return new TillError(ErrorCode.InvalidRequest, first!.message, first!.field, problems);
}

/** Where a caller stands against a rate limit (what `RateLimit`/`Retry-After` headers say). */
export interface RateLimitState {
  /** Points per window, and the window in seconds. */
  limit: number;
  windowSec: number;
  remaining: number;
  /** Seconds until the caller may try again. */
  resetSec: number;
}

/** A refusal by a rate limit: carries when to retry, which each surface says its own way. */
export class RateLimitError extends TillError {
  constructor(
    message: string,
    readonly state: RateLimitState,
  ) {
    super(ErrorCode.RateLimited, message);
    this.name = 'RateLimitError';
  }
}
