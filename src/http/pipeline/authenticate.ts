import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiRateLimit } from '../../services/api-rate-limit.js';
import { authenticate, type Authenticator, type CredentialPolicy } from '../../services/authenticator.js';
import type { Principal } from '../../services/principal.js';
import { rateLimitHeaders } from '../rate-limit-headers.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, set by {@link authenticateHook} before any handler of an authenticated surface runs. */
    principal?: Principal;
  }
}

/**
 * The Fastify adapter of the authentication step: an `onRequest` hook that authenticates every
 * request of the routes it guards, sets the RateLimit headers, and refuses by throwing the domain
 * error the surface's error handler words.
 */
export function authenticateHook(
  gate: { auth: Authenticator; rateLimit: ApiRateLimit },
  policy: CredentialPolicy & { missing: string },
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    const authenticated = await authenticate(
      gate,
      { authorization: request.headers.authorization, requestId: request.id },
      policy,
    );
    // A policy with a `missing` wording never lets an anonymous request through.
    request.principal = authenticated!.principal;
    reply.headers(rateLimitHeaders(authenticated!.rate, false));
  };
}

/** The caller of a request that passed {@link authenticateHook}. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('principalOf: the route is not behind authenticateHook');
  return request.principal;
}
