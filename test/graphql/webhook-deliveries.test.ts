import { Webhook } from 'standardwebhooks';
import {
  CreateWebhookEndpointDocument,
  EventsDocument,
  PaymentHistoryDocument,
  PaymentsWithHistoryDocument,
  RedeliverWebhookDeliveryDocument,
  SendTestWebhookEventDocument,
  UpdateWebhookEndpointDocument,
  WebhookDeliveriesDocument,
  type DeliveryFieldsFragment,
} from '../__generated__/graphql.js';
import { backends } from '../support/backends.js';
import { gql } from '../support/graphql.js';
import { eventually, request, SEED_004_SAMPLE } from '../support/http.js';
import { Receiver } from '../support/receiver.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

const ENV = {
  WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
  WEBHOOK_RETRY_SCHEDULE: '0.1,0.1',
  WEBHOOK_TIMEOUT_MS: '3000',
};

describe.each(backends)('GraphQL webhook deliveries (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  let failing: Receiver;
  let healthy: Receiver;
  let failingEndpoint: { id: string; secret: string };
  let healthyEndpoint: { id: string; secret: string };
  let paymentId: string;

  const key = () => merchant.test_secret_key;
  const list = (
    vars: { endpointId?: string; paymentId?: string; after?: string; first?: number },
    k = key(),
  ) => gql(app.url, WebhookDeliveriesDocument, { first: 20, ...vars }, { key: k });
  const deliveriesOf = async (endpointId: string) =>
    (await list({ endpointId })).data!.webhookDeliveries.edges.map((e) => e.node);
  /** The endpoint's newest delivery once `done` holds for it. */
  const settled = async (endpointId: string, done: (d: DeliveryFieldsFragment) => boolean) => {
    let newest: DeliveryFieldsFragment | undefined;
    await eventually(async () => {
      [newest] = await deliveriesOf(endpointId);
      return newest !== undefined && done(newest);
    }, 15_000);
    return newest!;
  };
  const createEndpoint = async (url: string) => {
    const res = await gql(
      app.url,
      CreateWebhookEndpointDocument,
      { input: { url, enabledEvents: ['payment.created'] } },
      { key: key() },
    );
    const out = res.data!.createWebhookEndpoint;
    return { id: out.webhookEndpoint!.id, secret: out.secret! };
  };

  beforeAll(async () => {
    app = await startTill({ backend, env: ENV });
    merchant = await newMerchant(app);
    failing = await new Receiver().start();
    failing.fallback = { status: 500, body: 'receiver exploded: stack trace here' };
    healthy = await new Receiver().start();
    failingEndpoint = await createEndpoint(failing.url);
    healthyEndpoint = await createEndpoint(healthy.url);
    const created = await request(app.url, 'POST', '/v1/payments/hpp', { key: key(), body: SEED_004_SAMPLE });
    paymentId = created.json.id;
    await healthy.until((r) => r.length >= 1);
  });
  afterAll(async () => {
    await failing.stop();
    await healthy.stop();
    await app.close();
  });

  it('lists a real delivery with its latest answer, and one that kept failing', async () => {
    const ok = await settled(healthyEndpoint.id, (d) => d.status === 'succeeded');
    expect(ok).toMatchObject({
      endpointId: healthyEndpoint.id,
      eventType: 'payment.created',
      paymentId,
      attempts: 1,
      responseStatus: 200,
      responseExcerpt: 'ok',
      nextAttemptAt: null,
    });
    expect(ok.eventId).toBe(JSON.parse(healthy.received[0]!.body).id);
    expect(ok.lastAttemptAt).toBeGreaterThanOrEqual(ok.createdAt);
    const bad = await settled(failingEndpoint.id, (d) => d.status === 'failed');
    expect(bad).toMatchObject({
      eventType: 'payment.created',
      attempts: 3,
      responseStatus: 500,
      responseExcerpt: 'receiver exploded: stack trace here',
      nextAttemptAt: null,
    });
    expect(failing.received).toHaveLength(3);
  });

  it("shows a payment's events and their deliveries on the payment", async () => {
    await settled(failingEndpoint.id, (d) => d.status === 'failed');
    const res = await gql(app.url, PaymentHistoryDocument, { id: paymentId }, { key: key() });
    expect(res.errors).toBeUndefined();
    const payment = res.data!.payment;
    expect(payment.events.map((e) => e.type)).toEqual(['payment.created']);
    expect(payment.webhookDeliveries.map((d) => d.endpointId).sort()).toEqual(
      [failingEndpoint.id, healthyEndpoint.id].sort(),
    );
    expect(payment.webhookDeliveries.every((d) => d.paymentId === paymentId)).toBe(true);
    const byPayment = await list({ paymentId });
    expect(byPayment.data!.webhookDeliveries.edges.map((e) => e.node.id)).toEqual(
      payment.webhookDeliveries.map((d) => d.id),
    );
  });

  it('redelivers a failed delivery now, recording the new answer', async () => {
    const bad = await settled(failingEndpoint.id, (d) => d.status === 'failed');
    failing.fallback = { status: 202, body: 'accepted at last' };
    const res = await gql(app.url, RedeliverWebhookDeliveryDocument, { id: bad.id }, { key: key() });
    expect(res.data!.redeliverWebhookDelivery.userErrors).toEqual([]);
    expect(res.data!.redeliverWebhookDelivery.delivery).toMatchObject({ id: bad.id });
    const again = await settled(failingEndpoint.id, (d) => d.status === 'succeeded');
    expect(again).toMatchObject({
      id: bad.id,
      attempts: 4,
      responseStatus: 202,
      responseExcerpt: 'accepted at last',
    });
    const bodies = failing.received.map((r) => JSON.parse(r.body).id);
    expect(new Set(bodies).size).toBe(1);
  });

  it('sends a signed test event to that endpoint only, kept out of the events list', async () => {
    const before = { failing: failing.received.length, healthy: healthy.received.length };
    // Even past an open circuit breaker: the merchant asked for it now.
    await app.till.db.em
      .fork()
      .execute(`update webhook_endpoint set breaker_open_until = now() + interval '1 hour' where id = ?`, [
        healthyEndpoint.id,
      ]);
    const res = await gql(
      app.url,
      SendTestWebhookEventDocument,
      { endpointId: healthyEndpoint.id },
      { key: key() },
    );
    const out = res.data!.sendTestWebhookEvent;
    expect(out.userErrors).toEqual([]);
    expect(out.delivery).toMatchObject({
      endpointId: healthyEndpoint.id,
      eventType: 'ping',
      paymentId: null,
    });
    await healthy.until((r) => r.length > before.healthy);
    const hit = healthy.received.at(-1)!;
    const verified = new Webhook(healthyEndpoint.secret).verify(
      hit.body,
      hit.headers as Record<string, string>,
    );
    expect(verified).toMatchObject({
      id: out.delivery!.eventId,
      type: 'ping',
      livemode: false,
      data: { object: { object: 'ping', endpoint_id: healthyEndpoint.id } },
    });
    await settled(healthyEndpoint.id, (d) => d.id === out.delivery!.id && d.status === 'succeeded');
    expect(failing.received).toHaveLength(before.failing);
    const events = await gql(app.url, EventsDocument, { first: 50 }, { key: key() });
    expect(events.data!.events.nodes.map((e) => e.type)).toEqual(['payment.created']);
    const viaRest = await request(app.url, 'GET', '/v1/events', { key: key() });
    expect(viaRest.json.data.map((e: { type: string }) => e.type)).toEqual(['payment.created']);
  });

  it('pages through the log newest first with cursors', async () => {
    const all = (await list({})).data!.webhookDeliveries.edges.map((e) => e.node.id);
    expect(all.length).toBeGreaterThanOrEqual(3);
    const first = await list({ first: 2 });
    expect(first.data!.webhookDeliveries.edges.map((e) => e.node.id)).toEqual(all.slice(0, 2));
    expect(first.data!.webhookDeliveries.pageInfo).toMatchObject({
      hasNextPage: true,
      hasPreviousPage: false,
    });
    const next = await list({ first: 20, after: first.data!.webhookDeliveries.pageInfo.endCursor! });
    expect(next.data!.webhookDeliveries.edges.map((e) => e.node.id)).toEqual(all.slice(2));
    expect(next.data!.webhookDeliveries.pageInfo).toMatchObject({
      hasNextPage: false,
      hasPreviousPage: true,
    });
  });

  it("keeps other merchants and the other mode out of the log, and cannot redeliver another's", async () => {
    const [delivery] = await deliveriesOf(healthyEndpoint.id);
    const other = await newMerchant(app);
    expect((await list({}, other.test_secret_key)).data!.webhookDeliveries.edges).toEqual([]);
    expect(
      (await list({ endpointId: healthyEndpoint.id }, other.test_secret_key)).data!.webhookDeliveries.edges,
    ).toEqual([]);
    expect((await list({}, merchant.live_secret_key)).data!.webhookDeliveries.edges).toEqual([]);
    const foreign = await gql(
      app.url,
      RedeliverWebhookDeliveryDocument,
      { id: delivery!.id },
      { key: other.test_secret_key },
    );
    // Someone else's delivery does not exist for this caller: NOT_FOUND, like any unknown id.
    expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const foreignTest = await gql(
      app.url,
      SendTestWebhookEventDocument,
      { endpointId: healthyEndpoint.id },
      { key: merchant.live_secret_key },
    );
    expect(foreignTest.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const history = await gql(
      app.url,
      PaymentHistoryDocument,
      { id: paymentId },
      { key: other.test_secret_key },
    );
    expect(history.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses bad input clearly and changes nothing', async () => {
    const count = async () => (await list({ first: 100 })).data!.webhookDeliveries.edges.length;
    const before = await count();
    for (const vars of [{ first: 0 }, { first: 101 }, { after: 'not-a-cursor' }]) {
      const res = await list(vars);
      expect(res.status).toBe(400);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    const badEndpoint = await list({ endpointId: 'we_nope' });
    expect(badEndpoint.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'endpointId' });
    const badRedeliver = await gql(
      app.url,
      RedeliverWebhookDeliveryDocument,
      { id: "wd_'; --" },
      { key: key() },
    );
    expect(badRedeliver.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const badTest = await gql(app.url, SendTestWebhookEventDocument, { endpointId: 'we_x' }, { key: key() });
    expect(badTest.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    // A disabled endpoint gets no test event.
    await gql(
      app.url,
      UpdateWebhookEndpointDocument,
      { id: failingEndpoint.id, input: { disabled: true } },
      { key: key() },
    );
    const disabled = await gql(
      app.url,
      SendTestWebhookEventDocument,
      { endpointId: failingEndpoint.id },
      { key: key() },
    );
    expect(disabled.data!.sendTestWebhookEvent).toMatchObject({
      delivery: null,
      userErrors: [{ field: ['endpointId'], code: 'payment_unexpected_state' }],
    });
    expect(await count()).toBe(before);
    const anonymous = await list({}, null as never);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it("reads each listed payment's own history (batched across the list)", async () => {
    const second = await request(app.url, 'POST', '/v1/payments/hpp', { key: key(), body: SEED_004_SAMPLE });
    await request(app.url, 'POST', `/v1/payments/${second.json.id}/cancel`, { key: key() });
    await eventually(async () => {
      const res = await gql(app.url, PaymentsWithHistoryDocument, { first: 10 }, { key: key() });
      const mine = res.data!.payments.nodes.find((p) => p.id === second.json.id);
      return mine?.webhookDeliveries.length === 1;
    }, 15_000);
    const res = await gql(app.url, PaymentsWithHistoryDocument, { first: 10 }, { key: key() });
    expect(res.errors).toBeUndefined();
    const [newest, oldest] = res.data!.payments.nodes;
    expect(newest!.id).toBe(second.json.id);
    expect(newest!.events.map((e) => e.type)).toEqual(['payment.created', 'payment.canceled']);
    expect(oldest!.id).toBe(paymentId);
    expect(oldest!.events.map((e) => e.type)).toEqual(['payment.created']);
    // The endpoints subscribe to payment.created only, and the failing one is disabled by now.
    expect(newest!.webhookDeliveries.map((d) => [d.paymentId, d.endpointId])).toEqual([
      [newest!.id, healthyEndpoint.id],
    ]);
    expect(oldest!.webhookDeliveries.map((d) => d.endpointId).sort()).toEqual(
      [failingEndpoint.id, healthyEndpoint.id].sort(),
    );
    expect(oldest!.webhookDeliveries.every((d) => d.paymentId === paymentId)).toBe(true);
  });
});
