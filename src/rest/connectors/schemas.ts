import { Type } from '@fastify/type-provider-typebox';
import { errorResponses, SECURITY } from '../../http/schema-components.js';
import { routeSchema } from '../../http/typed-routes.js';

/** Acquirers' inbound webhooks, for the OpenAPI document. Errors use the v1 format. */

const AccountId = Type.Object({
  account_id: Type.String({ description: 'The connector account (`ca_…`).' }),
});
const errors = errorResponses('V1Error', {
  400: 'The signature does not verify, or the body is not the acquirer’s (nothing changes)',
  404: 'No such connector account of this acquirer',
});

export const stripeWebhook = routeSchema({
  operationId: 'receiveStripeWebhook',
  tags: ['Acquirer webhooks'],
  summary: 'Stripe’s events for one connector account (signature checked with its webhook_secret)',
  security: SECURITY.public,
  params: AccountId,
  body: { content: { 'application/json': { schema: Type.Object({}, { additionalProperties: true }) } } },
  response: { 200: Type.Object({ received: Type.Literal(true) }), ...errors },
});

export const adyenNotifications = routeSchema({
  operationId: 'receiveAdyenNotifications',
  tags: ['Acquirer webhooks'],
  summary: 'Adyen’s standard notifications for one connector account (HMAC checked with its hmac_key)',
  security: SECURITY.public,
  params: AccountId,
  body: { content: { 'application/json': { schema: Type.Object({}, { additionalProperties: true }) } } },
  response: {
    200: {
      description: 'Adyen’s acknowledgement',
      content: { 'text/plain': { schema: Type.Literal('[accepted]') } },
    },
    ...errors,
  },
});
