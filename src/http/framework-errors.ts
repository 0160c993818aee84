import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { sendGraphQLRequestError } from '../graphql/server.js';
import { sendCheckoutError } from '../hpp/routes.js';
import { sendApiError } from '../rest/api/errors.js';
import { sendOAuthError } from '../rest/oauth/routes.js';
import { sendV1Error } from '../rest/v1/errors.js';

type Send = (reply: FastifyReply, error: unknown) => FastifyReply;

/** Which surface a path belongs to, most specific prefix first; everything else answers as v1. */
const SURFACES: [prefix: string, send: Send][] = [
  ['/api/oauth2/', sendOAuthError],
  ['/.well-known/', sendOAuthError],
  ['/api/', sendApiError],
  ['/graphql', sendGraphQLRequestError],
  ['/hpp/', sendCheckoutError],
];

/**
 * Fastify's `frameworkErrors`: requests the router refuses before any route or plugin is chosen (a
 * broken percent-encoding in the path, a path segment over the router's length) are answered in
 * the error format of the surface the path belongs to, like every other bad input.
 */
export function answerInSurfaceFormat(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const path = request.raw.url ?? '';
  const send = SURFACES.find(([prefix]) => path.startsWith(prefix))?.[1] ?? sendV1Error;
  return send(reply, error);
}
