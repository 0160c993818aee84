import type { FastifyRequest } from 'fastify';
import { ErrorCode, TillError } from '../../domain/errors.js';

/** The refusal of a URL no route of the surface serves; its query string is not echoed. */
export const unrecognizedUrl = (request: FastifyRequest, field?: string): TillError =>
  new TillError(
    ErrorCode.NotFound,
    `Unrecognized request URL (${request.method}: ${request.url.split('?')[0]}).`,
    field,
  );
