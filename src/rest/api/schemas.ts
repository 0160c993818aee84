import { Type } from '@fastify/type-provider-typebox';
import { PAYMENT_STATUSES } from '../../domain/payment-status.js';
import { errorResponses, IDEMPOTENCY_ERRORS, ref, SECURITY } from '../../http/schema-components.js';
import { routeSchema } from '../../http/typed-routes.js';

/** The api dialect's route schemas, for the OpenAPI document. Its errors are all ApiInvalid. */

const TAGS = ['Hosted payment page (api)'];
const str = Type.String();
const url = Type.String({ format: 'uri' });

const IdempotencyKey = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description:
        'Optional. When sent: same key + same request → the stored response (Idempotent-Replayed: true); same key + another request → 422; still in flight → 409.',
    }),
  ),
});

const SessionId = Type.Object({ sessionId: Type.String({ description: 'The session id.' }) });

const errors = (own: Record<number, string> = {}) =>
  errorResponses('ApiInvalid', {
    400: 'Every bad property, at once',
    401: 'Missing, invalid, expired or revoked access token',
    429: 'Over the rate of the token’s merchant',
    ...own,
  });
const postErrors = (own: Record<number, string> = {}) => errors({ ...IDEMPOTENCY_ERRORS, ...own });

const common = {
  reference: Type.String({ maxLength: 255, description: "The merchant's order reference." }),
  terminal_id: str,
  currency: Type.String({ pattern: '^[A-Z]{3}$', description: "One of the terminal's currencies." }),
  amount: Type.Integer({ format: 'int64', minimum: 1, description: 'Minor units.' }),
  transaction_type: Type.Union([Type.Literal('PURCHASE'), Type.Literal('AUTHORIZE')]),
  description: Type.Optional(str),
  success_url: url,
  cancel_url: url,
  error_url: url,
  tokenization: Type.Optional(Type.Object({ save_card_for_future_payments: Type.Optional(Type.Boolean()) })),
  metadata: Type.Optional(ref('SimulationMetadata')),
  locale: Type.Optional(
    Type.String({
      maxLength: 35,
      description:
        "Till's addition: the hosted page's language, a BCP 47 tag (`de`, `bs-BA`); without it the page follows the browser.",
    }),
  ),
};

const HostedPaymentPage = Type.Object({
  ...common,
  customer_id: Type.Optional(str),
  customer_first_name: Type.Optional(str),
  customer_last_name: Type.Optional(str),
  customer_email: Type.Optional(Type.String({ format: 'email' })),
  customer_phone_number: Type.Optional(Type.String({ description: 'E.164 recommended.' })),
  customer_address: Type.Optional(str),
  customer_city: Type.Optional(str),
  customer_country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$' })),
  customer_postal_code: Type.Optional(str),
});

const Session = Type.Object({
  ...common,
  country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$' })),
  customer: Type.Optional(
    Type.Object({
      id: Type.Optional(str),
      first_name: Type.Optional(str),
      last_name: Type.Optional(str),
      email: Type.Optional(Type.String({ format: 'email' })),
      phone: Type.Optional(str),
      address: Type.Optional(str),
      city: Type.Optional(str),
      country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$' })),
      postal_code: Type.Optional(str),
    }),
  ),
});

export const createHostedPaymentPage = routeSchema({
  operationId: 'createHostedPaymentPage',
  tags: TAGS,
  summary: 'Create a hosted payment session; redirect the customer to its URL',
  description: 'Property names of errors are the flat body fields (customer_country).',
  security: SECURITY.accessToken,
  headers: IdempotencyKey,
  body: HostedPaymentPage,
  response: {
    200: Type.Object({ redirect_url: url, session_id: str }, { description: 'Where to send the customer' }),
    ...postErrors({ 413: 'The body is too large' }),
  },
});

export const createSession = routeSchema({
  operationId: 'createSession',
  tags: TAGS,
  summary: 'Create a session with a nested customer (needs x-api-key)',
  description: 'Property names of errors are dotted paths (customer.address.country).',
  security: SECURITY.accessTokenAndApiKey,
  headers: IdempotencyKey,
  body: Session,
  response: {
    200: Type.Object(
      { session_id: str, client_key: str, redirect_url: url },
      { description: 'The session and where to send the customer' },
    ),
    ...postErrors({
      403: 'The token and the x-api-key belong to different merchants',
      413: 'The body is too large',
    }),
  },
});

const Amount = Type.Optional(Type.Integer({ format: 'int64', minimum: 1, description: 'Minor units.' }));

export const captureSession = routeSchema({
  operationId: 'captureSession',
  tags: TAGS,
  summary: "Capture a session's authorized payment, in whole or in part",
  security: SECURITY.accessToken,
  params: SessionId,
  headers: IdempotencyKey,
  body: Type.Object({ amount: Amount }),
  response: {
    200: ref('Payment', { description: 'The captured payment' }),
    ...postErrors({ 404: 'No such session' }),
  },
});

export const voidSession = routeSchema({
  operationId: 'voidSession',
  tags: TAGS,
  summary: "Void a session's authorization",
  security: SECURITY.accessToken,
  params: SessionId,
  headers: IdempotencyKey,
  response: {
    200: ref('Payment', { description: 'The voided payment' }),
    ...postErrors({ 404: 'No such session' }),
  },
});

export const refundSession = routeSchema({
  operationId: 'refundSession',
  tags: TAGS,
  summary: "Refund a session's payment, in whole or in part",
  security: SECURITY.accessToken,
  params: SessionId,
  headers: IdempotencyKey,
  body: Type.Object({ amount: Amount, reason: Type.Optional(str) }),
  response: { 200: ref('Refund', { description: 'The refund' }), ...postErrors({ 404: 'No such session' }) },
});

export const getSession = routeSchema({
  operationId: 'getSession',
  tags: TAGS,
  summary: "A session's status",
  description: 'x-api-key is optional here; when sent it must belong to the token’s merchant.',
  security: [{ accessToken: ['payments'] }, { accessToken: ['payments'], apiKey: [] }],
  params: SessionId,
  response: {
    200: Type.Object(
      {
        session_id: str,
        status: Type.Union(PAYMENT_STATUSES.map((s) => Type.Literal(s))),
        payment_id: str,
        reference: Type.Union([str, Type.Null()]),
        amount: Type.Integer({ format: 'int64' }),
        currency: str,
        transaction_type: Type.Union([Type.Literal('PURCHASE'), Type.Literal('AUTHORIZE')]),
        terminal_id: Type.Union([str, Type.Null()]),
        decline_code: Type.Union([str, Type.Null()]),
        created_at: Type.Integer(),
        expires_at: Type.Integer(),
      },
      { description: 'The session' },
    ),
    ...errors({ 403: 'The token and the x-api-key belong to different merchants', 404: 'No such session' }),
  },
});
