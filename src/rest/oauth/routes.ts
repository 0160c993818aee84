import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badTextMessage, unstorableText } from '../../http/json-body.js';
import type { LoginThrottle } from '../../services/login-throttle.js';
import type { MerchantService } from '../../services/merchants.js';
import type { TokenService } from '../../services/tokens.js';
import * as s from './schemas.js';
import { typed } from '../../http/typed-routes.js';

export interface OAuthDeps {
  merchants: MerchantService;
  tokens: TokenService;
  throttle: LoginThrottle;
}

/** RFC 6749 §5.2 error codes. */
type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope';

class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    message: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The one mapping from any error to the OAuth 2.0 error body `{error, error_description}`. */
export function sendOAuthError(reply: FastifyReply, error: unknown): FastifyReply {
  reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
  if (error instanceof OAuthError) {
    for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
    return reply.code(error.status).send({ error: error.code, error_description: error.message });
  }
  const e = error as { statusCode?: number; message?: string };
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500)
    return reply
      .code(e.statusCode)
      .send({ error: 'invalid_request', error_description: e.message ?? 'Bad request' });
  reply.log.error({ err: error }, 'token endpoint failed');
  return reply.code(500).send({ error: 'server_error', error_description: 'An internal error occurred.' });
}

/** The Basic credentials of an Authorization header (RFC 6749 §2.3.1: form-urlencoded parts). */
function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return null;
  }
}

interface ClientCredentials {
  id: string;
  secret: string;
  /** Sent as HTTP Basic (client_secret_basic) rather than in the form (client_secret_post). */
  basic: boolean;
}

/**
 * The form parameters of a form-encoded OAuth endpoint (token, revocation) and the client
 * credentials it carries, by exactly one method; null when it carries none.
 */
function formRequest(
  request: FastifyRequest,
  endpoint: string,
): { form: Record<string, string>; client: ClientCredentials | null } {
  if (!request.headers['content-type']?.toLowerCase().startsWith('application/x-www-form-urlencoded'))
    throw new OAuthError(
      'invalid_request',
      `The ${endpoint} endpoint takes application/x-www-form-urlencoded parameters.`,
    );
  const form = (request.body ?? {}) as Record<string, string>;
  const basic = basicCredentials(request.headers.authorization);
  if (request.headers.authorization && !basic)
    throw new OAuthError('invalid_client', 'Malformed Basic credentials.', 401, {
      'WWW-Authenticate': 'Basic realm="till"',
    });
  if (
    basic &&
    (form.client_id !== undefined || form.client_secret !== undefined) &&
    form.client_id !== basic.id
  )
    throw new OAuthError('invalid_request', 'Use one client authentication method, not two.');
  const id = basic?.id ?? form.client_id;
  const secret = basic?.secret ?? form.client_secret;
  if (id === undefined && secret === undefined) return { form, client: null };
  if (!id || secret === undefined)
    throw new OAuthError('invalid_client', 'Client authentication needs client_id and client_secret.', 401);
  return { form, client: { id, secret, basic: basic !== null } };
}

/**
 * OAuth 2.0 / OIDC: discovery, JWKS, the standard token endpoint (client_credentials and password
 * grants) and seed 000's JSON login endpoint. Tokens are Till's short-lived ES256 JWTs.
 */
export async function oauthRoutes(instance: FastifyInstance, deps: OAuthDeps): Promise<void> {
  const app = typed(instance);
  app.setErrorHandler((error, _request, reply) => sendOAuthError(reply, error));
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_r, body, done) => {
      const params = new URLSearchParams(body as string);
      // No prototype: a parameter named `toString` or `__proto__` is just a parameter.
      const out: Record<string, string> = Object.create(null);
      for (const [k, v] of params) {
        if (Object.hasOwn(out, k))
          return done(
            new OAuthError('invalid_request', `Parameter ${k} was sent more than once.`),
            undefined,
          );
        if (unstorableText(k) || unstorableText(v))
          return done(new OAuthError('invalid_request', badTextMessage(`Parameter ${k}`)), undefined);
        out[k] = v;
      }
      done(null, out);
    },
  );

  app.get('/.well-known/openid-configuration', { schema: s.openIdConfiguration }, async () =>
    deps.tokens.discovery(),
  );
  app.get('/.well-known/oauth-authorization-server', { schema: s.authorizationServer }, async () =>
    deps.tokens.discovery(),
  );
  app.get('/api/oauth2/jwks', { schema: s.jwks }, async (_request, reply) => {
    reply.header('Cache-Control', 'public, max-age=300');
    return deps.tokens.jwks();
  });

  /** Checks one credential pair with lockout; returns its merchant and credential ids. */
  async function check(
    request: FastifyRequest,
    kind: 'oauth_client' | 'oauth_password',
    identity: string,
    secret: string,
    onFail: () => OAuthError,
  ): Promise<{ merchantId: string; credentialId: string }> {
    const wait = await deps.throttle.retryAfter(identity, request.ip);
    if (wait > 0)
      throw new OAuthError(
        'invalid_request',
        `Too many failed attempts. Try again in ${wait} seconds.`,
        429,
        {
          'Retry-After': String(wait),
        },
      );
    const verified = await deps.merchants.verifyPair(kind, identity, secret);
    if (!verified) {
      await deps.throttle.fail(identity, request.ip);
      throw onFail();
    }
    await deps.throttle.succeed(identity, request.ip);
    return verified;
  }

  /** A client's credentials checked (with lockout), or `invalid_client` as RFC 6749 §5.2 words it. */
  const authenticateClient = (request: FastifyRequest, client: ClientCredentials) =>
    check(request, 'oauth_client', client.id, client.secret, () =>
      client.basic
        ? new OAuthError('invalid_client', 'Client authentication failed.', 401, {
            'WWW-Authenticate': 'Basic realm="till"',
          })
        : new OAuthError('invalid_client', 'Client authentication failed.', 401),
    );

  /**
   * A username and password checked (with lockout), or `invalid_grant`: 400 on the token endpoint
   * as RFC 6749 §5.2 words it, 401 on the JSON login endpoint.
   */
  const authenticatePassword = (
    request: FastifyRequest,
    username: string,
    password: string,
    status: number,
  ) =>
    check(
      request,
      'oauth_password',
      username,
      password,
      () => new OAuthError('invalid_grant', 'Invalid username or password.', status),
    );

  const tokenResponse = async (
    reply: FastifyReply,
    verified: { merchantId: string; credentialId: string },
    clientId: string,
  ) => {
    const { token, expiresIn } = await deps.tokens.issue(verified.merchantId, {
      id: verified.credentialId,
      clientId,
    });
    reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    return { access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope: 'payments' };
  };

  // RFC 6749 §4.4 (client credentials) and §4.3 (password), form-encoded.
  app.post('/api/oauth2/token', { schema: s.token }, async (request, reply) => {
    const { form, client } = formRequest(request, 'token');
    const grant = form.grant_type;
    if (!grant) throw new OAuthError('invalid_request', 'grant_type is required.');
    if (form.scope !== undefined && !form.scope.split(' ').every((s) => s === 'payments' || s === ''))
      throw new OAuthError('invalid_scope', 'The only scope is "payments".');

    if (grant === 'client_credentials') {
      if (!client)
        throw new OAuthError(
          'invalid_client',
          'Client authentication is required (client_secret_basic or client_secret_post).',
          401,
          {
            'WWW-Authenticate': 'Basic realm="till"',
          },
        );
      return tokenResponse(reply, await authenticateClient(request, client), client.id);
    }
    if (grant === 'password') {
      if (!form.username || form.password === undefined)
        throw new OAuthError('invalid_request', 'username and password are required.');
      const verified = await authenticatePassword(request, form.username, form.password, 400);
      return tokenResponse(reply, verified, form.username);
    }
    throw new OAuthError(
      'unsupported_grant_type',
      `grant_type '${grant}' is not supported; use client_credentials or password.`,
    );
  });

  // RFC 7009 token revocation. A confidential client authenticates as at the token endpoint; a
  // caller without client credentials proves its right by holding the token. Always 200 for a
  // well-formed request, whether or not the token was valid (the RFC's rule: nothing to learn).
  app.post('/api/oauth2/revoke', { schema: s.revoke }, async (request, reply) => {
    const { form, client } = formRequest(request, 'revocation');
    if (!form.token) throw new OAuthError('invalid_request', 'token is required.');
    const verified = client ? await authenticateClient(request, client) : null;
    await deps.tokens.revoke(form.token, verified, request.id);
    reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    return reply.code(200).send();
  });

  // Seed 000's createToken(): JSON {username, password} → {access_token, token_type, expires_in}.
  app.post('/api/oauth2/login/token', { schema: s.loginToken }, async (request, reply) => {
    const body = request.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw new OAuthError('invalid_request', 'Send a JSON object: {"username": "…", "password": "…"}.');
    if (typeof body.username !== 'string' || typeof body.password !== 'string' || !body.username)
      throw new OAuthError('invalid_request', 'username and password are required strings.');
    const verified = await authenticatePassword(request, body.username, body.password, 401);
    return tokenResponse(reply, verified, body.username);
  });
}
