import type { FastifyError, FastifyReply } from 'fastify';
import { ErrorCode, RateLimitError, TillError } from '../../domain/errors.js';
import { JSON_BAD_TEXT, JSON_TOO_DEEP } from '../../http/json-body.js';
import { rateLimitHeaders } from '../../http/rate-limit-headers.js';

/** Seed 004 / SPEC §5: `{"error":{"type","code","message","param"}}`. */
export interface V1Error {
  error: { type: string; code: string; message: string; param?: string };
}

const STATUS: Record<ErrorCode, { status: number; type: string }> = {
  [ErrorCode.InvalidRequest]: { status: 400, type: 'invalid_request_error' },
  [ErrorCode.Unauthenticated]: { status: 401, type: 'authentication_error' },
  [ErrorCode.Forbidden]: { status: 403, type: 'authentication_error' },
  [ErrorCode.NotFound]: { status: 404, type: 'invalid_request_error' },
  [ErrorCode.InvalidState]: { status: 400, type: 'invalid_request_error' },
  [ErrorCode.IdempotencyMismatch]: { status: 422, type: 'idempotency_error' },
  [ErrorCode.IdempotencyInProgress]: { status: 409, type: 'idempotency_error' },
  [ErrorCode.LiveModeUnavailable]: { status: 400, type: 'invalid_request_error' },
  [ErrorCode.RateLimited]: { status: 429, type: 'invalid_request_error' },
  [ErrorCode.Internal]: { status: 500, type: 'api_error' },
};

/** `billingDetails.address.postal_code` → `billing_details.address.postal_code`. */
export const toSnakePath = (path: string) => path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Fastify's own request errors (bad JSON, too large, wrong content type, broken URL) by their codes. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  [JSON_TOO_DEEP]: 'json_too_deep',
  [JSON_BAD_TEXT]: 'invalid_text',
  FST_ERR_BAD_URL: 'invalid_url',
  FST_ERR_MAX_PARAM_LENGTH: 'invalid_url',
};

/** The one mapping from any error to the v1 wire format and status. */
export function toV1Error(error: unknown): { status: number; body: V1Error } {
  if (error instanceof TillError) {
    const { status, type } = STATUS[error.code];
    return {
      status,
      body: {
        error: {
          type,
          code:
            error.code === ErrorCode.InvalidRequest && error.message.startsWith('Missing required')
              ? 'parameter_missing'
              : error.code,
          message: error.message,
          ...(error.field ? { param: error.field } : {}),
        },
      },
    };
  }
  const fe = error as Partial<FastifyError> & { status?: number };
  const status = fe.statusCode ?? fe.status;
  if (status && status >= 400 && status < 500) {
    const code =
      (fe.code && FASTIFY_CODES[fe.code]) ??
      (error instanceof SyntaxError ? 'invalid_json' : 'invalid_request');
    const message =
      code === 'invalid_json'
        ? `The request body is not valid JSON: ${fe.message ?? ''}`.trim()
        : (fe.message ?? 'Bad request');
    // The body's rules name the value at fault: the whole body, or a field by its path.
    const path = (error as { path?: unknown }).path;
    const param =
      code === 'json_too_deep' || code === 'invalid_text'
        ? { param: typeof path === 'string' && path ? path : 'body' }
        : {};
    return { status, body: { error: { type: 'invalid_request_error', code, message, ...param } } };
  }
  return {
    status: 500,
    body: {
      error: {
        type: 'api_error',
        code: 'internal_error',
        message: 'An internal error occurred. It has been logged.',
      },
    },
  };
}

export function sendV1Error(reply: FastifyReply, error: unknown): FastifyReply {
  const { status, body } = toV1Error(error);
  if (status >= 500) reply.log.error({ err: error }, 'unhandled error');
  if (error instanceof RateLimitError) reply.headers(rateLimitHeaders(error.state, true));
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}
