import type { FastifyReply } from 'fastify';
import { ErrorCode, TillError } from '../../domain/errors.js';

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
  const e = error as { statusCode?: number; message?: string; code?: string };
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    const message =
      e.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'The request body is too large.'
        : e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'Send the body as application/json.'
          : `The request body is not valid JSON: ${e.message ?? ''}`.trim();
    return { status: e.statusCode, body: { status: 'INVALID', errors: [{ property: 'body', message }] } };
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
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}
