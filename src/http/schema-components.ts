import { Type, type TSchema } from '@fastify/type-provider-typebox';
import { PAYMENT_STATUSES } from '../domain/payment-status.js';
import { RESPONSE_CODES, SIMULATED_FLOWS } from '../domain/simulation.js';

/**
 * The named schemas every surface shares (error bodies, the Payment object and its parts), added to
 * Fastify with `addSchema` and referenced from route schemas by `$id` (see {@link ref}); the OpenAPI
 * document lists them under `components.schemas` by the same names.
 */

/** The `$id` of each shared schema. */
export type SchemaId =
  | 'V1Error'
  | 'ApiInvalid'
  | 'OAuthError'
  | 'CheckoutError'
  | 'Address'
  | 'BillingDetails'
  | 'CreateHppPayment'
  | 'Refund'
  | 'Payment'
  | 'SimulationMetadata';

/** A reference to a shared schema by its `$id`. */
export const ref = (id: SchemaId, options: { description?: string } = {}) => Type.Ref(id, options);

const str = Type.String();
const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const nstr = nullable(Type.String());
const int = Type.Integer({ format: 'int64' });
const unix = nullable(Type.Integer({ format: 'int64', description: 'Unix timestamp (seconds).' }));

export const V1Error = Type.Object(
  {
    error: Type.Object({
      type: Type.Union(
        ['invalid_request_error', 'authentication_error', 'idempotency_error', 'api_error'].map((t) =>
          Type.Literal(t),
        ),
      ),
      code: str,
      message: str,
      param: Type.Optional(str),
    }),
  },
  { $id: 'V1Error', description: 'The error body of /v1 and /admin/v1.' },
);

export const ApiInvalid = Type.Object(
  {
    status: Type.Literal('INVALID'),
    errors: Type.Array(Type.Object({ property: str, message: str })),
  },
  {
    $id: 'ApiInvalid',
    description:
      'The error body of the api dialect: every bad property at once. /api/sessions names nested properties with dots (customer.address.country), /api/hosted-payment-page with underscores.',
    examples: [
      {
        status: 'INVALID',
        errors: [
          { property: 'tokenization', message: 'one of requested features not supported=[TOKENIZATION]' },
        ],
      },
    ],
  },
);

export const OAuthError = Type.Object(
  {
    error: Type.Union(
      [
        'invalid_request',
        'invalid_client',
        'invalid_grant',
        'unauthorized_client',
        'unsupported_grant_type',
        'invalid_scope',
      ].map((e) => Type.Literal(e)),
    ),
    error_description: Type.Optional(str),
  },
  { $id: 'OAuthError', description: 'An OAuth 2.0 error response.' },
);

export const CheckoutError = Type.Object(
  { error: str, message: str },
  { $id: 'CheckoutError', description: 'The error body of the hosted page and its checkout API.' },
);

export const Address = Type.Object(
  {
    line1: Type.Optional(nstr),
    line2: Type.Optional(nstr),
    city: Type.Optional(nstr),
    state: Type.Optional(nstr),
    postal_code: Type.Optional(nstr),
    country: Type.Optional(nullable(Type.String({ pattern: '^[A-Z]{2}$' }))),
  },
  { $id: 'Address', additionalProperties: false },
);

export const BillingDetails = Type.Object(
  {
    email: Type.Optional(nstr),
    first_name: Type.Optional(nstr),
    last_name: Type.Optional(nstr),
    phone: Type.Optional(nstr),
    address: Type.Optional(ref('Address')),
  },
  { $id: 'BillingDetails', additionalProperties: false },
);

const Metadata = Type.Record(Type.String({ minLength: 1, maxLength: 40 }), Type.Unknown(), {
  maxProperties: 50,
  description:
    'At most 50 keys of 1 to 40 characters; values of at most 500 characters (any other JSON value counted as its JSON text); at most 8 KiB as JSON.',
});

export const CreateHppPayment = Type.Object(
  {
    amount: Type.Integer({ format: 'int64', minimum: 1, maximum: 9007199254740991 }),
    currency: Type.Literal('EUR'),
    return_url: Type.String({ format: 'uri' }),
    merchant_reference: Type.Optional(Type.String({ maxLength: 255 })),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    billing_details: Type.Optional(ref('BillingDetails')),
    metadata: Type.Optional(Metadata),
    locale: Type.Optional(
      Type.String({
        maxLength: 35,
        description:
          "Till's addition: the hosted page's language, a BCP 47 tag (`de`, `bs-BA`). Without it the page follows the browser's Accept-Language; languages Till does not speak fall back the same way.",
      }),
    ),
  },
  {
    $id: 'CreateHppPayment',
    additionalProperties: false,
    examples: [
      {
        amount: 2500,
        currency: 'EUR',
        merchant_reference: 'ord_5678',
        return_url: 'https://shop.example.com/checkout/complete',
      },
    ],
  },
);

export const Refund = Type.Object(
  {
    id: str,
    object: Type.Literal('refund'),
    payment_id: str,
    amount: int,
    status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
    reason: nstr,
    failure_reason: nstr,
    created_at: int,
  },
  { $id: 'Refund' },
);

const TRANSITIONS = [
  'requires_action_at',
  'processing_at',
  'authorized_at',
  'succeeded_at',
  'failed_at',
  'canceled_at',
  'expired_at',
] as const;

export const Payment = Type.Object(
  {
    id: Type.String({ pattern: '^pay_[A-Za-z0-9]{24}$' }),
    amount: int,
    currency: str,
    status: Type.Union(PAYMENT_STATUSES.map((s) => Type.Literal(s))),
    integration_type: Type.Union([Type.Literal('DIRECT'), Type.Literal('HOSTED_PAYMENT_PAGE')]),
    amount_refunded: int,
    amount_refundable: int,
    created_at: int,
    livemode: Type.Boolean(),
    merchant_reference: Type.Optional(nstr),
    description: Type.Optional(nstr),
    card: Type.Optional(
      nullable(
        Type.Object({
          brand: str,
          last4: str,
          exp_month: Type.Integer(),
          exp_year: Type.Integer(),
          country: nstr,
        }),
      ),
    ),
    billing_details: Type.Optional(nullable(ref('BillingDetails'))),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    decline_code: Type.Optional(nstr),
    decline_message: Type.Optional(nstr),
    hosted_payment_url: Type.Optional(nstr),
    refunds: Type.Optional(Type.Array(ref('Refund'))),
    status_transitions: Type.Optional(
      Type.Object(Object.fromEntries(TRANSITIONS.map((k) => [k, Type.Optional(unix)]))),
    ),
    next_action: Type.Optional(nullable(Type.Object({ redirect_url: str }))),
    transaction_type: Type.Optional(Type.Union([Type.Literal('PURCHASE'), Type.Literal('AUTHORIZE')])),
    return_url: Type.Optional(nstr),
    locale: Type.Optional(nstr),
    terminal_id: Type.Optional(nstr),
    session_id: Type.Optional(nstr),
    success_url: Type.Optional(nstr),
    cancel_url: Type.Optional(nstr),
    error_url: Type.Optional(nstr),
    customer: Type.Optional(nullable(Type.Record(Type.String(), Type.Unknown()))),
    expires_at: Type.Optional(int),
    version: Type.Optional(Type.Integer()),
    card_token: Type.Optional(nstr),
    amount_captured: Type.Optional(Type.Union([int, Type.Null()])),
    processor: Type.Optional(
      nullable(
        Type.Object(
          {
            connector: Type.Union([Type.Literal('sandbox'), Type.Literal('stripe'), Type.Literal('adyen')]),
            account_id: nstr,
            reference: nstr,
          },
          {
            description:
              'The acquirer, the connector account (null: the built-in sandbox) and its id for the charge.',
          },
        ),
      ),
    ),
    attempts: Type.Optional(
      Type.Array(
        Type.Object({
          connector: str,
          account_id: nstr,
          reference: nstr,
          status: Type.Union(
            ['approved', 'declined', 'requires_action', 'pending', 'technical_failure'].map((s) =>
              Type.Literal(s),
            ),
          ),
          error: nstr,
          created_at: int,
        }),
        { description: 'Every try at an acquirer, oldest first; a failover makes two.' },
      ),
    ),
  },
  { $id: 'Payment', description: 'A payment, as /v1, events and webhooks show it.' },
);

/** Test-mode outcome overrides, in the api dialect's `metadata`. */
export const SimulationMetadata = Type.Object(
  {
    simulated_flow: Type.Optional(Type.Union(SIMULATED_FLOWS.map((f) => Type.Literal(f)))),
    response_code: Type.Optional(Type.Union(Object.keys(RESPONSE_CODES).map((c) => Type.Literal(c)))),
  },
  {
    $id: 'SimulationMetadata',
    description:
      'Test mode: simulated_flow and response_code override the test card outcome. The v1 metadata limits apply: 50 keys of 1 to 40 characters, values of at most 500, 8 KiB.',
  },
);

const SHARED: Record<SchemaId, TSchema> = {
  V1Error,
  ApiInvalid,
  OAuthError,
  CheckoutError,
  Address,
  BillingDetails,
  CreateHppPayment,
  Refund,
  Payment,
  SimulationMetadata,
};

export const SHARED_SCHEMAS: TSchema[] = Object.values(SHARED);

/** `{status: errorSchema}` responses for each status, all with the same error body. */
export const errorResponses = (id: SchemaId, statuses: Record<number, string>) =>
  Object.fromEntries(
    Object.entries(statuses).map(([status, what]) => [status, ref(id, { description: what })]),
  );

/** `{object: 'list', url, has_more, data: [item]}`, the list envelope of /v1 and /admin/v1. */
export const listOf = (item: TSchema, description: string) =>
  Type.Object(
    {
      object: Type.Literal('list'),
      url: Type.Optional(str),
      has_more: Type.Boolean(),
      data: Type.Array(item),
    },
    { description },
  );

/** The answers an idempotent POST may get for its Idempotency-Key, in either REST dialect. */
export const IDEMPOTENCY_ERRORS = {
  409: 'The Idempotency-Key is in use by a request still in flight',
  422: 'The Idempotency-Key was used with another request',
};

/** `limit` and `starting_after`, the cursor parameters of every list. */
export const cursorQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
  starting_after: Type.Optional(
    Type.String({ description: 'The id of the last item of the previous page.' }),
  ),
};

/** An HTML page as a response. */
export const htmlPage = (description: string) => ({
  description,
  content: { 'text/html': { schema: Type.String() } },
});

/** How a route is authenticated in the document: each entry is one accepted way. */
export const SECURITY = {
  public: [],
  secretKey: [{ secretKey: [] }],
  accessToken: [{ accessToken: ['payments'] }],
  accessTokenAndApiKey: [{ accessToken: ['payments'], apiKey: [] }],
  adminToken: [{ adminToken: [] }],
} as const;
