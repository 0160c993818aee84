import { Type, type TSchema } from '@fastify/type-provider-typebox';
import { routeSchema } from '../../http/typed-routes.js';
import { errorResponses } from '../../http/schema-components.js';

/** The OAuth / OIDC routes' schemas, for the OpenAPI document. Errors are RFC 6749's. */

const TAGS = ['OAuth'];
const str = Type.String();

const Token = Type.Object(
  {
    access_token: str,
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer({ description: 'Seconds.' }),
    scope: Type.Literal('payments'),
  },
  { description: 'An access token' },
);

const Discovery = Type.Object(
  { issuer: str, jwks_uri: str, token_endpoint: str },
  { additionalProperties: true, description: 'OpenID Provider / authorization server metadata' },
);

const discovery = (operationId: string, summary: string) =>
  routeSchema({ operationId, tags: TAGS, summary, security: [], response: { 200: Discovery } });

export const openIdConfiguration = discovery('getOpenIdConfiguration', 'OpenID Provider metadata');
export const authorizationServer = discovery(
  'getAuthorizationServerMetadata',
  'OAuth 2.0 authorization server metadata',
);

export const jwks = routeSchema({
  operationId: 'getJwks',
  tags: TAGS,
  summary: 'The keys that verify access tokens (JWKS)',
  security: [],
  response: {
    200: Type.Object(
      { keys: Type.Array(Type.Object({ kid: str, kty: str }, { additionalProperties: true })) },
      { description: 'JSON Web Key Set' },
    ),
  },
});

const form = (schema: TSchema) => ({
  content: { 'application/x-www-form-urlencoded': { schema } },
});

export const token = routeSchema({
  operationId: 'createToken',
  tags: TAGS,
  summary: 'Token endpoint: client_credentials or password grant',
  description:
    'Client credentials as HTTP Basic (client_secret_basic) or in the form (client_secret_post). Repeated failures lock the identity out for a while (429 with Retry-After).',
  security: [{ clientBasic: [] }, {}],
  body: form(
    Type.Object({
      grant_type: Type.Union([Type.Literal('client_credentials'), Type.Literal('password')]),
      client_id: Type.Optional(str),
      client_secret: Type.Optional(str),
      username: Type.Optional(str),
      password: Type.Optional(str),
      scope: Type.Optional(Type.Literal('payments')),
    }),
  ),
  response: {
    200: Token,
    ...errorResponses('OAuthError', {
      400: 'invalid_request, invalid_grant, unsupported_grant_type or invalid_scope',
      401: 'invalid_client',
      429: 'Locked out after repeated failures',
    }),
  },
});

export const revoke = routeSchema({
  operationId: 'revokeToken',
  tags: TAGS,
  summary: 'Revoke an access token',
  description:
    'A confidential client authenticates as at the token endpoint; without client credentials, holding the token is the proof. 200 for every well-formed request, valid token or not.',
  security: [{ clientBasic: [] }, {}],
  body: form(
    Type.Object({
      token: str,
      token_type_hint: Type.Optional(str),
      client_id: Type.Optional(str),
      client_secret: Type.Optional(str),
    }),
  ),
  response: {
    200: { description: 'Revoked (or nothing to revoke)', type: 'null' },
    ...errorResponses('OAuthError', { 400: 'invalid_request', 401: 'invalid_client' }),
  },
});

export const loginToken = routeSchema({
  operationId: 'createLoginToken',
  tags: TAGS,
  summary: 'Username and password → access token (JSON)',
  security: [],
  body: Type.Object({ username: str, password: str }),
  response: {
    200: Token,
    ...errorResponses('OAuthError', {
      400: 'invalid_request',
      401: 'invalid_grant: bad username or password',
      429: 'Locked out after repeated failures',
    }),
  },
});
