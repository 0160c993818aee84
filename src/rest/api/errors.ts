import type { FastifyReply } from 'fastify';
import { ErrorCode, RateLimitError, TillError } from '../../domain/errors.js';
import { JSON_BAD_TEXT, JSON_TOO_DEEP } from '../../http/json-body.js';
import { rateLimitHeaders } from '../../http/rate-limit-headers.js';

/** Seed 000's error body: `{"status":"INVALID","errors":[{"property","message"}]}`. */
export interface ApiError {
  status: 'INVALID';
  errors: { property: string; message: string }[];
}

const STATUS: Record<ErrorCode, number> = {
  [ErrorCode.InvalidRequest]: 400,
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.InvalidState]: 400,
  [ErrorCode.IdempotencyMismatch]: 422,
  [ErrorCode.IdempotencyInProgress]: 409,
  [ErrorCode.LiveModeUnavailable]: 400,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.Internal]: 500,
};

/** Fastify's refusals of the URL itself (a broken percent-encoding, a path segment over the router's length). */
const URL_ERRORS = new Set(['FST_ERR_BAD_URL', 'FST_ERR_MAX_PARAM_LENGTH']);

/** The one mapping from any error to the api dialect's wire format; `property` names come from `rename`. */
export function toApiError(
  error: unknown,
  rename: (field: string) => string = (f) => f,
): { status: number; body: ApiError } {
  if (error instanceof TillError) {
    const problems = error.problems.length
      ? error.problems
      : [{ field: error.field ?? '', message: error.message }];
    const errors: ApiError['errors'] = [];
    for (const p of problems) {
      const property = rename(p.field);
      // One message per property: the first (a wrong type, say) makes later ones for it redundant.
      if (!errors.some((e) => e.property === property)) errors.push({ property, message: p.message });
    }
    return { status: STATUS[error.code], body: { status: 'INVALID', errors } };
  }
  const e = error as { statusCode?: number; message?: string; code?: string; path?: string };
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    const url = e.code !== undefined && URL_ERRORS.has(e.code);
    // The body's own rules (nesting, storable text) word their message and name the path at fault.
    const bodyRule = e.code === JSON_TOO_DEEP || e.code === JSON_BAD_TEXT;
    const message =
      e.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'The request body is too large.'
        : e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'Send the body as application/json.'
          : url || bodyRule
            ? (e.message ?? 'The request is not valid.')
            : `The request body is not valid JSON: ${e.message ?? ''}`.trim();
    const property = url ? 'url' : bodyRule && e.path ? e.path : 'body';
    return { status: e.statusCode, body: { status: 'INVALID', errors: [{ property, message }] } };
  }
  return {
    status: 500,
    body: {
      status: 'INVALID',
      errors: [{ property: '', message: 'An internal error occurred. It has been logged.' }],
    },
  };
}

export function sendApiError(
  reply: FastifyReply,
  error: unknown,
  rename?: (field: string) => string,
): FastifyReply {
  const { status, body } = toApiError(error, rename);
  if (status >= 500) reply.log.error({ err: error }, 'unhandled error');
  if (error instanceof RateLimitError) reply.headers(rateLimitHeaders(error.state, true));
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}
