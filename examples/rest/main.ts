/**
 * A merchant backend's hosted-payment flow over Till's REST API, typed end to end by
 * examples/rest/openapi.d.ts (generated from Till's OpenAPI document) through openapi-fetch:
 * create a hosted payment, read it back, list payments, cancel it, and see a second cancel refused.
 *
 *   TILL_URL=http://localhost:4000 TILL_SECRET_KEY=api_test_sk_… node examples/rest/main.ts
 *
 * Every call answers either `data` (the success body) or `error` (the error body the document
 * declares for that status, here Till's `{ error: { type, code, message, param } }`), never both.
 */
import { randomUUID } from 'node:crypto';
import createClient from 'openapi-fetch';
import { settingsFromEnv } from '../settings.ts';
import type { paths } from './openapi.d.ts';

// Named by the endpoints that answer them rather than by component name, which a document is free to
// change without changing the API.
type Retrieve = paths['/v1/payments/{id}']['get']['responses'];
type Payment = Retrieve[200]['content']['application/json'];
type TillError = Retrieve[404]['content']['application/json'];

const { tillUrl, secretKey } = settingsFromEnv();
const till = createClient<paths>({ baseUrl: tillUrl, headers: { Authorization: `Bearer ${secretKey}` } });

/** Stops the example with the error Till answered, read as the typed value it is. */
function fail(step: string, response: Response, { error }: TillError): never {
  console.error(`${step} failed: HTTP ${response.status} ${error.type} ${error.code}: ${error.message}`);
  process.exit(1);
}

const summary = (payment: Payment) =>
  `${payment.id} ${payment.status} (${payment.amount} ${payment.currency} in minor units)`;

// A retry after a timeout must reuse the key: Till then answers the first request's result instead
// of creating a second payment.
const created = await till.POST('/v1/payments/hpp', {
  params: { header: { 'idempotency-key': randomUUID() } },
  body: {
    amount: 2500,
    currency: 'EUR',
    return_url: 'https://shop.example.com/checkout/complete',
    merchant_reference: `order-${Date.now()}`,
    description: 'Two coffees',
  },
});
if (created.error) fail('create', created.response, created.error);
const payment = created.data;
console.log(`created ${summary(payment)}; the customer pays at ${payment.hosted_payment_url}`);

const retrieved = await till.GET('/v1/payments/{id}', { params: { path: { id: payment.id } } });
if (retrieved.error) fail('retrieve', retrieved.response, retrieved.error);
console.log(`retrieved ${summary(retrieved.data)}`);

const listed = await till.GET('/v1/payments', { params: { query: { limit: 5 } } });
if (listed.error) fail('list', listed.response, listed.error);
const page = listed.data.data ?? [];
console.log(
  `listed ${page.length} payments, newest first: ${page.map((p) => `${p.id} ${p.status}`).join(', ')}`,
);

const canceled = await till.POST('/v1/payments/{id}/cancel', {
  params: { path: { id: payment.id }, header: { 'idempotency-key': randomUUID() } },
});
if (canceled.error) fail('cancel', canceled.response, canceled.error);
console.log(`canceled ${summary(canceled.data)}`);

// Only a PENDING or REQUIRES_ACTION payment can be canceled: Till refuses with a typed 400.
const again = await till.POST('/v1/payments/{id}/cancel', {
  params: { path: { id: payment.id }, header: { 'idempotency-key': randomUUID() } },
});
if (!again.error) {
  console.error(`a second cancel unexpectedly succeeded: ${summary(again.data)}`);
  process.exit(1);
}
console.log(`canceling again is refused: HTTP ${again.response.status} ${again.error.error.code}`);
