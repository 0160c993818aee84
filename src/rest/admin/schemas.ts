import { Type } from '@fastify/type-provider-typebox';
import { cursorQuery, errorResponses, listOf, SECURITY } from '../../http/schema-components.js';
import { routeSchema, type RouteSchema } from '../../http/typed-routes.js';

/** The operator API's route schemas, for the OpenAPI document. Errors use the v1 format. */

const str = Type.String();
const nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const admin = <S extends RouteSchema & { operationId: string }>(schema: S) =>
  routeSchema({ tags: ['Admin'], security: SECURITY.adminToken, ...schema });

export const errors = (own: Record<number, string> = {}) =>
  errorResponses('V1Error', {
    400: 'Invalid request (the error names the parameter)',
    401: 'Wrong admin token, or the admin API is disabled (no ADMIN_TOKEN)',
    ...own,
  });

const MerchantId = Type.Object({ merchant_id: str });
const KeyIds = Type.Object({ merchant_id: str, key_id: str });

const ApiKey = Type.Object(
  {
    id: str,
    object: Type.Literal('api_key'),
    type: str,
    livemode: Type.Boolean(),
    redacted: Type.String({ description: 'The prefix and the last four characters.' }),
    last4: nullable(str),
    status: Type.Union(['active', 'expiring', 'expired', 'revoked'].map((s) => Type.Literal(s))),
    created_at: Type.Integer(),
    expires_at: Type.Union([Type.Integer(), Type.Null()]),
    revoked_at: Type.Union([Type.Integer(), Type.Null()]),
    replaced_by: nullable(str),
  },
  { description: 'An API key, never its secret' },
);

const WithSecret = (description: string) =>
  Type.Intersect([ApiKey, Type.Object({ secret: Type.String({ description: 'Shown once.' }) })], {
    description,
  });

const AuditEntry = Type.Object({
  id: str,
  object: Type.Literal('audit_entry'),
  merchant_id: nullable(str),
  livemode: Type.Union([Type.Boolean(), Type.Null()]),
  actor: Type.Object({ type: str, id: nullable(str) }),
  action: str,
  object_type: str,
  object_id: nullable(str),
  request_id: nullable(str),
  details: Type.Record(Type.String(), Type.Unknown()),
  created_at: Type.Integer(),
});

const Terminal = Type.Object({
  id: str,
  currencies: Type.Array(str),
  payment_methods: Type.Array(str),
  tokenization: Type.Boolean(),
});

export const createMerchant = admin({
  operationId: 'createMerchant',
  summary: 'Create a merchant (its credentials are shown once)',
  body: Type.Object({ name: str }, { additionalProperties: false }),
  response: {
    201: Type.Object(
      {
        merchant_id: str,
        name: str,
        test_secret_key: str,
        live_secret_key: str,
        client_key: str,
        api_key: str,
        oauth: Type.Object({ client_id: str, client_secret: str, username: str, password: str }),
        terminals: Type.Array(Terminal),
      },
      { description: "The merchant's credentials" },
    ),
    ...errors(),
  },
});

export const rotateSigningKey = admin({
  operationId: 'rotateSigningKey',
  summary: 'Make a new OIDC signing key the active one',
  description: 'The previous key keeps verifying the tokens it signed until it is replaced in turn.',
  response: { 201: Type.Object({ kid: str }, { description: 'The new key id' }), ...errors() },
});

export const listApiKeys = admin({
  operationId: 'listApiKeys',
  summary: "A merchant's API keys",
  params: MerchantId,
  querystring: Type.Object({
    livemode: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  }),
  response: { 200: listOf(ApiKey, 'The keys'), ...errors({ 404: 'No such merchant' }) },
});

export const createApiKey = admin({
  operationId: 'createApiKey',
  summary: 'Create an API key (its secret is shown once)',
  params: MerchantId,
  body: Type.Object(
    { type: Type.Optional(str), livemode: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  ),
  response: { 201: WithSecret('The key, with its secret'), ...errors({ 404: 'No such merchant' }) },
});

export const rollApiKey = admin({
  operationId: 'rollApiKey',
  summary: 'Replace a key; the old one keeps working for a while',
  params: KeyIds,
  body: Type.Object(
    {
      expires_in_seconds: Type.Optional(
        Type.Integer({ minimum: 0, description: 'How long the old key keeps working.' }),
      ),
    },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Intersect([ApiKey, Type.Object({ secret: str, previous: ApiKey })], {
      description: 'The new key with its secret, and the old one',
    }),
    ...errors({ 404: 'No such merchant or key' }),
  },
});

export const revokeApiKey = admin({
  operationId: 'revokeApiKey',
  summary: 'Revoke a key at once',
  params: KeyIds,
  body: Type.Object({}, { additionalProperties: false }),
  response: {
    200: { ...ApiKey, description: 'The revoked key' },
    ...errors({ 404: 'No such merchant or key' }),
  },
});

export const rotateApiCredentials = admin({
  operationId: 'rotateApiDialectCredentials',
  summary: 'New x-api-key and OAuth credentials; the old ones and their tokens stop at once',
  params: MerchantId,
  body: Type.Object({}, { additionalProperties: false }),
  response: {
    201: Type.Object(
      {
        api_key: str,
        oauth: Type.Object({ client_id: str, client_secret: str, username: str, password: str }),
      },
      { additionalProperties: true, description: 'The new credentials' },
    ),
    ...errors({ 404: 'No such merchant' }),
  },
});

export const auditLog = admin({
  operationId: 'listAuditLog',
  summary: 'The audit log of every merchant, newest first',
  querystring: Type.Object(cursorQuery),
  response: { 200: listOf(AuditEntry, 'A page of entries'), ...errors() },
});

export const merchantAuditLog = admin({
  operationId: 'listMerchantAuditLog',
  summary: "A merchant's audit log, newest first",
  params: MerchantId,
  querystring: Type.Object(cursorQuery),
  response: { 200: listOf(AuditEntry, 'A page of entries'), ...errors({ 404: 'No such merchant' }) },
});
