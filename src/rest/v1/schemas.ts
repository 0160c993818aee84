import { Type } from '@fastify/type-provider-typebox';
import { PAYMENT_STATUSES } from '../../domain/payment-status.js';
import { EVENT_TYPES } from '../../events/topics.js';
import {
  cursorQuery,
  errorResponses,
  IDEMPOTENCY_ERRORS,
  listOf,
  ref,
  SECURITY,
} from '../../http/schema-components.js';
import { routeSchema, type RouteSchema } from '../../http/typed-routes.js';

/** The /v1 routes' schemas: what each takes and answers, for the OpenAPI document. */

const IdempotencyKey = Type.Object({
  'idempotency-key': Type.String({
    minLength: 1,
    maxLength: 255,
    description:
      'Required on every POST. Same key + same request → the stored response (Idempotent-Replayed: true); same key + another request → 422; still in flight → 409. Kept for 24 h.',
  }),
});

const id = (what: string) => Type.Object({ id: Type.String({ description: `The ${what}'s id.` }) });

/** The errors any /v1 request may get, plus the route's own. */
const errors = (own: Record<number, string> = {}) =>
  errorResponses('V1Error', {
    400: 'Invalid request (the error names the parameter)',
    401: 'Missing, unknown, revoked or expired secret key',
    429: 'Over the key’s request rate (RateLimit headers say when to retry)',
    ...own,
  });
const postErrors = (own: Record<number, string> = {}) => errors({ ...IDEMPOTENCY_ERRORS, ...own });

const v1 = <S extends RouteSchema & { operationId: string; tags: string[] }>(schema: S) =>
  routeSchema({ security: SECURITY.secretKey, ...schema });

const AmountBody = (what: string) =>
  Type.Object(
    {
      amount: Type.Optional(
        Type.Integer({
          format: 'int64',
          minimum: 1,
          description: `Minor units; the whole ${what} without it.`,
        }),
      ),
    },
    { additionalProperties: false },
  );

const WebhookEndpoint = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('webhook_endpoint'),
    url: Type.String({ format: 'uri' }),
    description: Type.Union([Type.String(), Type.Null()]),
    enabled_events: Type.Array(Type.String()),
    status: Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]),
    disabled_reason: Type.Union([Type.String(), Type.Null()]),
    livemode: Type.Boolean(),
    created_at: Type.Integer(),
    secret: Type.Optional(
      Type.String({ description: 'The whsec_ signing secret: only in the answers to create and rotate.' }),
    ),
    previous_secret_expires_at: Type.Union([Type.Integer(), Type.Null()]),
  },
  { description: 'A webhook endpoint.' },
);

const Delivery = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('webhook_delivery'),
    endpoint_id: Type.String(),
    event_id: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
    attempts: Type.Array(
      Type.Object({
        attempted_at: Type.Integer(),
        status_code: Type.Union([Type.Integer(), Type.Null()]),
        latency_ms: Type.Integer(),
        response_excerpt: Type.Union([Type.String(), Type.Null()]),
        error: Type.Union([Type.String(), Type.Null()]),
      }),
    ),
    next_attempt_at: Type.Union([Type.Integer(), Type.Null()]),
    created_at: Type.Integer(),
  },
  { description: 'One event sent to one endpoint, with every attempt.' },
);

const EventTypes = Type.Array(Type.Union([...EVENT_TYPES, '*'].map((t) => Type.Literal(t))), {
  description: 'The event types to send; `*` for all.',
});

const Event = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('event'),
    type: Type.Union(EVENT_TYPES.map((t) => Type.Literal(t))),
    created_at: Type.Integer(),
    livemode: Type.Boolean(),
    data: Type.Object({ object: Type.Union([ref('Payment'), ref('Refund')]) }),
  },
  { description: 'Something that happened to a payment or a refund: the body of webhooks too.' },
);

export const createHppPayment = v1({
  operationId: 'createHppPayment',
  tags: ['Payments'],
  summary: 'Create a hosted payment page payment',
  description:
    'Answers with the Payment and its hosted_payment_url, where the customer pays. The body is checked as a whole, with a message naming the first bad parameter.',
  headers: IdempotencyKey,
  body: ref('CreateHppPayment'),
  response: {
    200: ref('Payment', { description: 'The payment' }),
    ...postErrors({ 413: 'The body is too large' }),
  },
});

export const getPayment = v1({
  operationId: 'getPayment',
  tags: ['Payments'],
  summary: 'Retrieve a payment',
  params: id('payment'),
  response: { 200: ref('Payment', { description: 'The payment' }), ...errors({ 404: 'No such payment' }) },
});

export const listPayments = v1({
  operationId: 'listPayments',
  tags: ['Payments'],
  summary: 'List payments, newest first',
  querystring: Type.Object({
    ...cursorQuery,
    status: Type.Optional(Type.Union(PAYMENT_STATUSES.map((s) => Type.Literal(s)))),
  }),
  response: { 200: listOf(ref('Payment'), 'A page of payments'), ...errors() },
});

export const cancelPayment = v1({
  operationId: 'cancelPayment',
  tags: ['Payments'],
  summary: 'Cancel a payment that is not yet authorized, or void an authorization',
  params: id('payment'),
  headers: IdempotencyKey,
  body: Type.Object({}, { additionalProperties: false, description: 'No parameters.' }),
  response: {
    200: ref('Payment', { description: 'The canceled payment' }),
    ...postErrors({ 404: 'No such payment' }),
  },
});

export const capturePayment = v1({
  operationId: 'capturePayment',
  tags: ['Payments'],
  summary: 'Capture an authorized payment, in whole or in part',
  params: id('payment'),
  headers: IdempotencyKey,
  body: AmountBody('authorized amount'),
  response: {
    200: ref('Payment', { description: 'The captured payment' }),
    ...postErrors({ 404: 'No such payment' }),
  },
});

export const createRefund = v1({
  operationId: 'createRefund',
  tags: ['Refunds'],
  summary: 'Refund a payment, in whole or in part',
  params: id('payment'),
  headers: IdempotencyKey,
  body: Type.Object(
    {
      amount: Type.Optional(
        Type.Integer({
          format: 'int64',
          minimum: 1,
          description: 'Minor units; all that is refundable without it.',
        }),
      ),
      reason: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
  response: { 200: ref('Refund', { description: 'The refund' }), ...postErrors({ 404: 'No such payment' }) },
});

export const listRefunds = v1({
  operationId: 'listRefunds',
  tags: ['Refunds'],
  summary: "A payment's refunds",
  params: id('payment'),
  response: { 200: listOf(ref('Refund'), 'The refunds'), ...errors({ 404: 'No such payment' }) },
});

export const createWebhookEndpoint = v1({
  operationId: 'createWebhookEndpoint',
  tags: ['Webhook endpoints'],
  summary: 'Create a webhook endpoint (its signing secret is shown once)',
  headers: IdempotencyKey,
  body: Type.Object(
    {
      url: Type.String({ format: 'uri', description: 'A public https URL.' }),
      enabled_events: EventTypes,
      description: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
  response: { 200: { ...WebhookEndpoint, description: 'The endpoint, with its secret' }, ...postErrors() },
});

export const listWebhookEndpoints = v1({
  operationId: 'listWebhookEndpoints',
  tags: ['Webhook endpoints'],
  summary: 'List webhook endpoints',
  response: { 200: listOf(WebhookEndpoint, 'The endpoints'), ...errors() },
});

export const getWebhookEndpoint = v1({
  operationId: 'getWebhookEndpoint',
  tags: ['Webhook endpoints'],
  summary: 'Retrieve a webhook endpoint',
  params: id('endpoint'),
  response: {
    200: { ...WebhookEndpoint, description: 'The endpoint' },
    ...errors({ 404: 'No such endpoint' }),
  },
});

export const updateWebhookEndpoint = v1({
  operationId: 'updateWebhookEndpoint',
  tags: ['Webhook endpoints'],
  summary: 'Update a webhook endpoint',
  params: id('endpoint'),
  headers: IdempotencyKey,
  body: Type.Object(
    {
      url: Type.Optional(Type.String({ format: 'uri' })),
      enabled_events: Type.Optional(EventTypes),
      description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      disabled: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  response: {
    200: { ...WebhookEndpoint, description: 'The endpoint' },
    ...postErrors({ 404: 'No such endpoint' }),
  },
});

export const deleteWebhookEndpoint = v1({
  operationId: 'deleteWebhookEndpoint',
  tags: ['Webhook endpoints'],
  summary: 'Delete a webhook endpoint',
  params: id('endpoint'),
  response: {
    200: Type.Object(
      { id: Type.String(), object: Type.Literal('webhook_endpoint'), deleted: Type.Literal(true) },
      { description: 'Deleted' },
    ),
    ...errors({ 404: 'No such endpoint' }),
  },
});

export const rotateWebhookSecret = v1({
  operationId: 'rotateWebhookEndpointSecret',
  tags: ['Webhook endpoints'],
  summary: 'Roll the signing secret; the old one keeps signing for a grace period',
  params: id('endpoint'),
  headers: IdempotencyKey,
  body: Type.Object(
    {
      grace_period_seconds: Type.Optional(
        Type.Integer({ minimum: 0, default: 86400, description: 'How long the old secret also signs.' }),
      ),
    },
    { additionalProperties: false },
  ),
  response: {
    200: { ...WebhookEndpoint, description: 'The endpoint, with its new secret' },
    ...postErrors({ 404: 'No such endpoint' }),
  },
});

export const listDeliveries = v1({
  operationId: 'listWebhookDeliveries',
  tags: ['Webhook endpoints'],
  summary: "An endpoint's recent deliveries, newest first",
  params: id('endpoint'),
  querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })) }),
  response: { 200: listOf(Delivery, 'The deliveries'), ...errors({ 404: 'No such endpoint' }) },
});

export const redeliver = v1({
  operationId: 'redeliverWebhook',
  tags: ['Webhook endpoints'],
  summary: 'Send a delivery again now',
  params: Type.Object({ id: Type.String(), deliveryId: Type.String() }),
  headers: IdempotencyKey,
  response: {
    200: { ...Delivery, description: 'The delivery' },
    ...postErrors({ 404: 'No such endpoint or delivery' }),
  },
});

export const listEvents = v1({
  operationId: 'listEvents',
  tags: ['Events'],
  summary: 'List events, newest first',
  querystring: Type.Object({
    ...cursorQuery,
    type: Type.Optional(
      Type.String({ description: `An event type (${EVENT_TYPES.join(', ')}) or payment.* / refund.*` }),
    ),
  }),
  response: { 200: listOf(Event, 'A page of events'), ...errors() },
});

export const getEvent = v1({
  operationId: 'getEvent',
  tags: ['Events'],
  summary: 'Retrieve an event',
  params: id('event'),
  response: { 200: { ...Event, description: 'The event' }, ...errors({ 404: 'No such event' }) },
});
