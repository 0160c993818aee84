import type { IncomingMessage } from 'node:http';
import fastifyCookie from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../services/authenticator.js';
import { SESSION_COOKIE, type ClientInfo } from '../services/dashboard-sessions.js';
import type { Principal } from '../services/principal.js';

/** The header that picks a cookie request's mode, and makes it one a cross-site page cannot send. */
export const MODE_HEADER = 'till-mode';

/** What a GraphQL operation over HTTP may do with the dashboard's session cookie. */
export interface DashboardTransport {
  client: ClientInfo;
  /** The mode the request asked for (`Till-Mode`), test when it named none. */
  livemode: boolean;
  setSession(token: string, expiresAt: Date): void;
  clearSession(): void;
}

const single = (value: string | string[] | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined;

/**
 * The session principal of a GraphQL request over HTTP: its `till_session` cookie, in the mode its
 * `Till-Mode` header names. Without that header the cookie is ignored: a cross-site form or simple
 * request can carry the cookie but never a custom header, so it stays anonymous (CSRF).
 */
export function httpSession(auth: Authenticator, request: FastifyRequest): Promise<Principal | null> | null {
  const token = request.cookies[SESSION_COOKIE];
  const mode = single(request.headers[MODE_HEADER]);
  if (!token || mode === undefined) return null;
  return auth.session(token, mode, request.id);
}

/** The cookie's attributes: HttpOnly, SameSite=Lax, the whole site, Secure under https. */
export function sessionCookieOptions(publicUrl: string) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    path: '/',
    secure: new URL(publicUrl).protocol === 'https:',
  };
}

export function dashboardTransport(
  request: FastifyRequest,
  reply: FastifyReply,
  publicUrl: string,
): DashboardTransport {
  const options = sessionCookieOptions(publicUrl);
  return {
    client: {
      address: request.ip,
      userAgent: single(request.headers['user-agent']) ?? null,
      requestId: request.id,
    },
    livemode: single(request.headers[MODE_HEADER]) === 'live',
    setSession: (token, expiresAt) =>
      void reply.setCookie(SESSION_COOKIE, token, { ...options, expires: expiresAt }),
    clearSession: () => void reply.clearCookie(SESSION_COOKIE, options),
  };
}

/**
 * Whether a WebSocket upgrade comes from Till's own pages: its `Origin` is PUBLIC_URL's origin, or
 * the origin of the host the request was sent to (same-origin, whatever name the browser used). A
 * browser always sends `Origin` on a WebSocket upgrade and a page cannot forge it, so another site's
 * page cannot open a socket with the user's cookie.
 */
export function sameOrigin(request: IncomingMessage, publicUrl: string): boolean {
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return false;
  if (origin === new URL(publicUrl).origin) return true;
  const host = request.headers.host;
  if (!host) return false;
  try {
    const parsed = new URL(origin);
    return (
      (parsed.protocol === 'http:' || parsed.protocol === 'https:') &&
      parsed.host === host &&
      parsed.origin === origin
    );
  } catch {
    return false;
  }
}

/** The session principal of a graphql-ws upgrade: same-origin, its cookie, `connectionParams.mode`. */
export function socketSession(
  auth: Authenticator,
  request: IncomingMessage,
  mode: unknown,
  publicUrl: string,
): Promise<Principal | null> | null {
  const header = request.headers.cookie;
  if (!header || !sameOrigin(request, publicUrl)) return null;
  const token = fastifyCookie.fastifyCookie.parse(header)[SESSION_COOKIE];
  return token ? auth.session(token, mode) : null;
}
