import type { FastifyInstance } from 'fastify';
import { SIMULATED_FLOWS, RESPONSE_CODES } from '../domain/simulation.js';
import { PAYMENT_STATUSES } from '../domain/payment-status.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const error = (name: string, description: string) => ({ description, content: json(ref(name)) });

const str = { type: 'string' };
const nstr = { type: ['string', 'null'] };
const int = { type: 'integer', format: 'int64' };
const unix = { type: ['integer', 'null'], format: 'int64', description: 'Unix timestamp (seconds).' };

/** OpenAPI 3.1 description of Till's REST surfaces (v1, api, OAuth, admin, operations). */
export function openApiDocument(publicUrl: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Till',
      version: '1',
      description:
        'Hosted payments. `/v1` follows seed 004 (Flowlix) and `/api` seed 000 (Payment Platform HPP). GraphQL lives at `/graphql` (schema: schema/schema.graphql).',
    },
    servers: [{ url: publicUrl }],
    components: {
      securitySchemes: {
        secretKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'api_test_sk_… (test) or api_live_sk_… (live).',
        },
        accessToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An OIDC access token from /api/oauth2/token or /api/oauth2/login/token.',
        },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        clientBasic: { type: 'http', scheme: 'basic' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN.' },
      },
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: true,
          schema: { type: 'string', minLength: 1, maxLength: 255 },
          description:
            'Same key + same request → the stored response (Idempotent-Replayed: true); different request → 422; in flight → 409. Expires after 24 h.',
        },
      },
      schemas: {
        V1Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['type', 'code', 'message'],
              properties: {
                type: {
                  enum: ['invalid_request_error', 'authentication_error', 'idempotency_error', 'api_error'],
                },
                code: str,
                message: str,
                param: str,
              },
            },
          },
        },
        ApiInvalid: {
          type: 'object',
          required: ['status', 'errors'],
          properties: {
            status: { const: 'INVALID' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                required: ['property', 'message'],
                properties: { property: str, message: str },
              },
            },
          },
          example: {
            status: 'INVALID',
            errors: [
              { property: 'tokenization', message: 'one of requested features not supported=[TOKENIZATION]' },
            ],
          },
        },
        OAuthError: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              enum: [
                'invalid_request',
                'invalid_client',
                'invalid_grant',
                'unauthorized_client',
                'unsupported_grant_type',
                'invalid_scope',
              ],
            },
            error_description: str,
          },
        },
        Address: {
          type: 'object',
          additionalProperties: false,
          properties: {
            line1: nstr,
            line2: nstr,
            city: nstr,
            state: nstr,
            postal_code: nstr,
            country: { ...nstr, pattern: '^[A-Z]{2}$' },
          },
        },
        BillingDetails: {
          type: 'object',
          additionalProperties: false,
          properties: {
            email: nstr,
            first_name: nstr,
            last_name: nstr,
            phone: nstr,
            address: ref('Address'),
          },
        },
        CreateHppPayment: {
          type: 'object',
          additionalProperties: false,
          required: ['amount', 'currency', 'return_url'],
          properties: {
            amount: { ...int, minimum: 1, maximum: 9007199254740991 },
            currency: { enum: ['EUR'] },
            return_url: { type: 'string', format: 'uri' },
            merchant_reference: { type: 'string', maxLength: 255 },
            description: { type: 'string', maxLength: 500 },
            billing_details: ref('BillingDetails'),
            metadata: {
              type: 'object',
              maxProperties: 50,
              propertyNames: { minLength: 1, maxLength: 40 },
              description:
                'Values of at most 500 characters (any other JSON value counted as its JSON text); at most 8 KiB as JSON.',
            },
          },
          example: {
            amount: 2500,
            currency: 'EUR',
            merchant_reference: 'ord_5678',
            return_url: 'https://shop.example.com/checkout/complete',
          },
        },
        Payment: {
          type: 'object',
          required: [
            'id',
            'amount',
            'currency',
            'status',
            'integration_type',
            'amount_refunded',
            'amount_refundable',
            'created_at',
            'livemode',
          ],
          properties: {
            id: { type: 'string', pattern: '^pay_[A-Za-z0-9]{24}$' },
            amount: int,
            currency: str,
            status: { enum: PAYMENT_STATUSES },
            integration_type: { enum: ['DIRECT', 'HOSTED_PAYMENT_PAGE'] },
            amount_refunded: int,
            amount_refundable: int,
            created_at: int,
            livemode: { type: 'boolean' },
            merchant_reference: nstr,
            description: nstr,
            card: {
              type: ['object', 'null'],
              properties: {
                brand: str,
                last4: str,
                exp_month: { type: 'integer' },
                exp_year: { type: 'integer' },
                country: nstr,
              },
            },
            billing_details: { oneOf: [ref('BillingDetails'), { type: 'null' }] },
            metadata: { type: 'object' },
            decline_code: nstr,
            decline_message: nstr,
            hosted_payment_url: nstr,
            refunds: { type: 'array', items: { type: 'object' } },
            status_transitions: {
              type: 'object',
              properties: Object.fromEntries(
                [
                  'requires_action_at',
                  'processing_at',
                  'authorized_at',
                  'succeeded_at',
                  'failed_at',
                  'canceled_at',
                  'expired_at',
                ].map((k) => [k, unix]),
              ),
            },
            next_action: { type: ['object', 'null'], properties: { redirect_url: str } },
            transaction_type: { enum: ['PURCHASE', 'AUTHORIZE'] },
            return_url: nstr,
            terminal_id: nstr,
            session_id: nstr,
            success_url: nstr,
            cancel_url: nstr,
            error_url: nstr,
            customer: { type: ['object', 'null'] },
            expires_at: int,
            version: { type: 'integer' },
          },
        },
        ApiHostedPaymentPage: {
          type: 'object',
          required: [
            'reference',
            'terminal_id',
            'currency',
            'amount',
            'transaction_type',
            'success_url',
            'cancel_url',
            'error_url',
          ],
          properties: {
            reference: { type: 'string', maxLength: 255 },
            terminal_id: str,
            currency: {
              type: 'string',
              pattern: '^[A-Z]{3}$',
              description: "One of the terminal's currencies.",
            },
            amount: { ...int, minimum: 1 },
            transaction_type: { enum: ['PURCHASE', 'AUTHORIZE'] },
            description: str,
            success_url: { type: 'string', format: 'uri' },
            cancel_url: { type: 'string', format: 'uri' },
            error_url: { type: 'string', format: 'uri' },
            customer_id: str,
            customer_first_name: str,
            customer_last_name: str,
            customer_email: { type: 'string', format: 'email' },
            customer_phone_number: { type: 'string', description: 'E.164 recommended.' },
            customer_address: str,
            customer_city: str,
            customer_country: { type: 'string', pattern: '^[A-Z]{2}$' },
            customer_postal_code: str,
            tokenization: {
              type: 'object',
              properties: { save_card_for_future_payments: { type: 'boolean' } },
            },
            metadata: {
              type: 'object',
              description:
                'Test mode: simulated_flow and response_code override the test card outcome. The v1 metadata limits apply: 50 keys of 1 to 40 characters, values of at most 500, 8 KiB.',
              properties: {
                simulated_flow: { enum: SIMULATED_FLOWS },
                response_code: { enum: Object.keys(RESPONSE_CODES) },
              },
            },
          },
        },
        TokenResponse: {
          type: 'object',
          required: ['access_token', 'token_type', 'expires_in'],
          properties: {
            access_token: str,
            token_type: { const: 'Bearer' },
            expires_in: { type: 'integer' },
            scope: str,
          },
        },
      },
    },
    paths: {
      '/v1/payments/hpp': {
        post: {
          summary: 'Create a hosted payment page payment (seed 004)',
          security: [{ secretKey: [] }],
          parameters: [{ $ref: '#/components/parameters/IdempotencyKey' }],
          requestBody: { required: true, content: json(ref('CreateHppPayment')) },
          responses: {
            200: { description: 'The Payment', content: json(ref('Payment')) },
            400: error('V1Error', 'Invalid request'),
            401: error('V1Error', 'Bad or missing key'),
            409: error('V1Error', 'Idempotency-Key in use'),
            413: error('V1Error', 'Body too large'),
            422: error('V1Error', 'Idempotency-Key reused with another request'),
          },
        },
      },
      '/v1/payments': {
        get: {
          summary: 'List payments, newest first',
          security: [{ secretKey: [] }],
          parameters: [
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
            },
            { name: 'starting_after', in: 'query', schema: str },
            { name: 'status', in: 'query', schema: { enum: PAYMENT_STATUSES } },
          ],
          responses: {
            200: {
              description: 'A page',
              content: json({
                type: 'object',
                properties: {
                  object: { const: 'list' },
                  has_more: { type: 'boolean' },
                  url: str,
                  data: { type: 'array', items: ref('Payment') },
                },
              }),
            },
            400: error('V1Error', 'Bad parameter'),
          },
        },
      },
      '/v1/payments/{id}': {
        get: {
          summary: 'Retrieve a payment',
          security: [{ secretKey: [] }],
          parameters: [{ name: 'id', in: 'path', required: true, schema: str }],
          responses: {
            200: { description: 'The Payment', content: json(ref('Payment')) },
            404: error('V1Error', 'No such payment'),
          },
        },
      },
      '/v1/payments/{id}/cancel': {
        post: {
          summary: 'Cancel a PENDING or REQUIRES_ACTION payment',
          security: [{ secretKey: [] }],
          parameters: [
            { name: 'id', in: 'path', required: true, schema: str },
            { $ref: '#/components/parameters/IdempotencyKey' },
          ],
          responses: {
            200: { description: 'The canceled Payment', content: json(ref('Payment')) },
            400: error('V1Error', 'Not cancelable'),
            404: error('V1Error', 'No such payment'),
          },
        },
      },
      '/api/oauth2/login/token': {
        post: {
          summary: "Seed 000's login: username and password → access token",
          requestBody: {
            required: true,
            content: json({
              type: 'object',
              required: ['username', 'password'],
              properties: { username: str, password: str },
            }),
          },
          responses: {
            200: { description: 'Token', content: json(ref('TokenResponse')) },
            401: error('OAuthError', 'Bad credentials'),
            429: error('OAuthError', 'Locked out after repeated failures'),
          },
        },
      },
      '/api/oauth2/token': {
        post: {
          summary: 'OAuth 2.0 token endpoint (client_credentials, password)',
          security: [{ clientBasic: [] }, {}],
          requestBody: {
            required: true,
            content: {
              'application/x-www-form-urlencoded': {
                schema: {
                  type: 'object',
                  required: ['grant_type'],
                  properties: {
                    grant_type: { enum: ['client_credentials', 'password'] },
                    client_id: str,
                    client_secret: str,
                    username: str,
                    password: str,
                    scope: str,
                  },
                },
              },
            },
          },
          responses: {
            200: { description: 'Token', content: json(ref('TokenResponse')) },
            400: error('OAuthError', 'RFC 6749 error'),
            401: error('OAuthError', 'invalid_client'),
          },
        },
      },
      '/api/oauth2/jwks': {
        get: { summary: 'JSON Web Key Set', responses: { 200: { description: 'JWKS' } } },
      },
      '/.well-known/openid-configuration': {
        get: {
          summary: 'OpenID Provider metadata',
          responses: { 200: { description: 'Discovery document' } },
        },
      },
      '/api/hosted-payment-page': {
        post: {
          summary: 'Create a hosted payment session (seed 000)',
          security: [{ accessToken: [] }],
          requestBody: { required: true, content: json(ref('ApiHostedPaymentPage')) },
          responses: {
            200: {
              description: 'Redirect the customer',
              content: json({
                type: 'object',
                required: ['redirect_url', 'session_id'],
                properties: { redirect_url: str, session_id: str },
              }),
            },
            400: error('ApiInvalid', 'Every bad field, at once'),
            401: error('ApiInvalid', 'Bad or missing token'),
          },
        },
      },
      '/api/sessions': {
        post: {
          summary: "Create a session (seed 000's createSession sample): nested customer, country, metadata",
          security: [{ accessToken: [], apiKey: [] }],
          requestBody: { required: true, content: json({ type: 'object' }) },
          responses: {
            200: {
              description: 'The session',
              content: json({
                type: 'object',
                properties: { session_id: str, client_key: str, redirect_url: str },
              }),
            },
            400: error('ApiInvalid', 'Every bad field, at once'),
            401: error('ApiInvalid', 'Bad token or x-api-key'),
            403: error('ApiInvalid', 'Token and x-api-key of different merchants'),
          },
        },
      },
      '/api/sessions/{session_id}': {
        get: {
          summary: "A session's status",
          security: [{ accessToken: [] }],
          parameters: [{ name: 'session_id', in: 'path', required: true, schema: str }],
          responses: { 200: { description: 'Status' }, 404: error('ApiInvalid', 'No such session') },
        },
      },
      '/admin/v1/merchants': {
        post: {
          summary: 'Create a merchant (credentials shown once)',
          security: [{ adminToken: [] }],
          requestBody: {
            required: true,
            content: json({ type: 'object', required: ['name'], properties: { name: str } }),
          },
          responses: { 201: { description: 'Credentials' }, 401: error('V1Error', 'Bad admin token') },
        },
      },
      '/admin/v1/signing-keys/rotate': {
        post: {
          summary: 'Rotate the OIDC signing key',
          security: [{ adminToken: [] }],
          responses: { 201: { description: 'The new kid' } },
        },
      },
      '/healthz': { get: { summary: 'Liveness', responses: { 200: { description: 'Alive' } } } },
      '/readyz': {
        get: {
          summary: 'Readiness (database, Redis)',
          responses: { 200: { description: 'Ready' }, 503: { description: 'Not ready' } },
        },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'Metrics' } } } },
    },
  };
}

/** /openapi.json and a plain, script-free /docs page listing it. */
export async function openApiRoutes(app: FastifyInstance, deps: { publicUrl: string }): Promise<void> {
  const document = openApiDocument(deps.publicUrl);
  const body = JSON.stringify(document);
  app.get('/openapi.json', async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(body),
  );
  app.get('/docs', async (_request, reply) => {
    const escape = (s: string) =>
      s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
    const rows = Object.entries(document.paths as Record<string, Record<string, { summary?: string }>>)
      .flatMap(([path, ops]) =>
        Object.entries(ops).map(
          ([method, op]) =>
            `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escape(path)}</code></td><td>${escape(op.summary ?? '')}</td></tr>`,
        ),
      )
      .join('\n');
    return reply
      .type('text/html; charset=utf-8')
      .header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Till API</title>` +
          `<style>body{font:15px system-ui;margin:2rem;max-width:70rem}td{padding:.3rem .8rem;border-bottom:1px solid #ddd}</style></head>` +
          `<body><h1>Till API</h1><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). GraphQL: <code>/graphql</code>.</p>` +
          `<table><thead><tr><th>method</th><th>path</th><th>what</th></tr></thead><tbody>${rows}</tbody></table></body></html>`,
      );
  });
}
