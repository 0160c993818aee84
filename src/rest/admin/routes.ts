import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ErrorCode, invalid, TillError } from '../../domain/errors.js';
import type { MerchantService } from '../../services/merchants.js';
import type { TokenService } from '../../services/tokens.js';
import { bearerToken } from '../../graphql/context.js';
import { sendV1Error } from '../v1/errors.js';

/** Operator API: Bearer ADMIN_TOKEN. Errors use the v1 format. Disabled (401) without a token. */
export async function adminRoutes(
  app: FastifyInstance,
  deps: { merchants: MerchantService; tokens: TokenService; adminToken: string | null },
) {
  const expected = deps.adminToken ? createHash('sha256').update(deps.adminToken).digest() : null;
  app.setErrorHandler((error, _request, reply) => sendV1Error(reply, error));
  app.setNotFoundHandler((request, reply) =>
    sendV1Error(
      reply,
      new TillError(ErrorCode.NotFound, `Unrecognized request URL (${request.method}: ${request.url}).`),
    ),
  );
  app.addHook('onRequest', async (request) => {
    const token = bearerToken(request.headers.authorization);
    const given = token ? createHash('sha256').update(token).digest() : null;
    if (!expected || !given || !timingSafeEqual(expected, given))
      throw new TillError(
        ErrorCode.Unauthenticated,
        expected ? 'Invalid admin token.' : 'The admin API is disabled: set ADMIN_TOKEN to enable it.',
      );
  });

  app.post('/merchants', async (request, reply) => {
    const body = request.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw invalid('name', 'Send a JSON object: {"name": "…"}');
    for (const key of Object.keys(body))
      if (key !== 'name') throw invalid(key, `Received unknown parameter: ${key}`);
    if (typeof body.name !== 'string') throw invalid('name', 'name is required and must be a string');
    const credentials = await deps.merchants.createMerchant(body.name);
    return reply.code(201).send(credentials);
  });

  // Makes a new OIDC signing key the active one; the previous key keeps verifying until replaced.
  app.post('/signing-keys/rotate', async (_request, reply) =>
    reply.code(201).send({ kid: await deps.tokens.rotate() }),
  );
}
