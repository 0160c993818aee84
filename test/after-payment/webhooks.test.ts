import { Webhook } from 'standardwebhooks';
import {
  CreateWebhookEndpointDocument,
  PaymentDocument,
  PaymentStatusChangedDocument,
  WebhookEndpointsDocument,
  type PaymentStatusChangedSubscription,
} from '../__generated__/graphql.js';
import { backends } from '../support/backends.js';
import { paidPayment } from '../support/checkout.js';
import { Collector, gql, wsClient } from '../support/graphql.js';
import { eventually, request, SEED_004_SAMPLE } from '../support/http.js';
import { Receiver } from '../support/receiver.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

interface Delivery {
  id: string;
  status: 'pending' | 'succeeded' | 'failed';
  next_attempt_at: number | null;
  attempts: { status_code: number | null; latency_ms: number; error: string | null }[];
}

/** How long a receiver has to answer: far beyond any loaded machine's loopback answer. */
const TIMEOUT_MS = 3000;

const FAST = {
  WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
  WEBHOOK_RETRY_SCHEDULE: '0.2,0.2,0.2,0.2',
  WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
  CHECKOUT_ATTEMPTS_PER_CLIENT: '100000',
};

describe.each(backends)('webhooks (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  let receiver: Receiver;
  const post = (path: string, body?: unknown) =>
    request(app.url, 'POST', path, { key: merchant.test_secret_key, body });
  const get = async (path: string) =>
    (await request(app.url, 'GET', path, { key: merchant.test_secret_key })).json;
  const endpoint = async (extra: Record<string, unknown> = {}) => {
    const res = await post('/v1/webhook_endpoints', { url: receiver.url, ...extra });
    expect(res.status).toBe(200);
    return res.json as { id: string; secret: string };
  };
  const payload = (i: number) => JSON.parse(receiver.received[i]!.body);
  /** The endpoint's newest delivery, once `done` holds for it (attempts are recorded after they end). */
  const delivery = async (endpointId: string, done: (d: Delivery) => boolean) => {
    let newest: Delivery | undefined;
    await eventually(async () => {
      [newest] = (await get(`/v1/webhook_endpoints/${endpointId}/deliveries`)).data;
      return newest !== undefined && done(newest);
    }, 15_000);
    return newest!;
  };
  /**
   * Resolves once the relay has handled every event of the merchant: each delivery it creates is
   * created with the event's publication, so from then on the deliveries list is complete.
   */
  const relayed = () =>
    eventually(async () => {
      const [row] = await app.till.db.em
        .fork()
        .execute<{ n: string }[]>(
          'select count(*) as n from event where merchant_id = ? and published_at is null',
          [merchant.merchant_id],
        );
      return Number(row!.n) === 0;
    });

  beforeAll(async () => {
    app = await startTill({ backend, env: FAST });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    merchant = await newMerchant(app, 'Shop');
    receiver = await new Receiver().start();
  });
  afterEach(() => receiver.stop());

  it('signs every delivery (verified with the standardwebhooks package) with the events API ids', async () => {
    const ep = await endpoint();
    expect(ep.secret).toMatch(/^whsec_/);
    expect((await get(`/v1/webhook_endpoints/${ep.id}`)).secret).toBeUndefined();
    const created = await post('/v1/payments/hpp', SEED_004_SAMPLE);
    await receiver.until((r) => r.length >= 1);
    const hit = receiver.received[0]!;
    const verified = new Webhook(ep.secret).verify(hit.body, hit.headers as Record<string, string>) as {
      id: string;
      type: string;
      data: { object: { id: string } };
    };
    expect(verified).toMatchObject({ type: 'payment.created', data: { object: { id: created.json.id } } });
    expect(hit.headers['webhook-id']).toBe(verified.id);
    const viaApi = await get(`/v1/events/${verified.id}`);
    expect(viaApi).toEqual(JSON.parse(hit.body));
    expect(() =>
      new Webhook(`whsec_${Buffer.from('x'.repeat(24)).toString('base64')}`).verify(
        hit.body,
        hit.headers as Record<string, string>,
      ),
    ).toThrow();
  });

  it('retries a receiver answering 500 until it accepts, recording every attempt', async () => {
    receiver.script = [{ status: 500 }, { status: 502 }];
    const ep = await endpoint();
    await post('/v1/payments/hpp', SEED_004_SAMPLE);
    await receiver.until((r) => r.length >= 3);
    const settled = await delivery(ep.id, (d) => d.status !== 'pending');
    expect(settled.status).toBe('succeeded');
    expect(settled.attempts.map((a) => a.status_code)).toEqual([500, 502, 200]);
    expect(settled.attempts.every((a) => a.latency_ms >= 0)).toBe(true);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
  });

  it('a receiver that is down, then up, gets the event; a slow one times out and is retried', async () => {
    const port = receiver.port;
    await receiver.stop();
    receiver = new Receiver();
    const ep = await post('/v1/webhook_endpoints', { url: `http://127.0.0.1:${port}/webhooks` });
    await post('/v1/payments/hpp', SEED_004_SAMPLE);
    await delivery(ep.json.id, (d) => d.attempts.length >= 1);
    await receiver.start(port);
    receiver.script = [{ status: 200, delayMs: 2 * TIMEOUT_MS }];
    await receiver.until((r) => r.length >= 2, 20_000);
    const settled = await delivery(ep.json.id, (d) => d.status !== 'pending');
    expect(settled.status).toBe('succeeded');
    const errors = settled.attempts.map((a) => a.error).filter(Boolean);
    expect(errors.some((e) => /ECONNREFUSED/.test(e!))).toBe(true);
    expect(errors.some((e) => /timed out/.test(e!))).toBe(true);
  });

  it('honours Retry-After', async () => {
    receiver.script = [{ status: 503, headers: { 'retry-after': '2' } }];
    await endpoint();
    await post('/v1/payments/hpp', SEED_004_SAMPLE);
    await receiver.until((r) => r.length >= 2, 20_000);
    expect(receiver.received[1]!.at - receiver.received[0]!.at).toBeGreaterThanOrEqual(1800);
  });

  it('410 Gone disables the endpoint', async () => {
    receiver.fallback = { status: 410 };
    const ep = await endpoint();
    await post('/v1/payments/hpp', SEED_004_SAMPLE);
    await receiver.until((r) => r.length >= 1);
    await delivery(ep.id, (d) => d.status !== 'pending');
    expect(await get(`/v1/webhook_endpoints/${ep.id}`)).toMatchObject({
      status: 'disabled',
      disabled_reason: expect.stringContaining('410'),
    });
    await post('/v1/payments/hpp', SEED_004_SAMPLE);
    await relayed();
    const deliveries = (await get(`/v1/webhook_endpoints/${ep.id}/deliveries`)).data as Delivery[];
    expect(deliveries).toHaveLength(1);
    // The first 410 the endpoint answered was its last request: every request was an attempt of
    // that one delivery (one that timed out is retried), and the attempts end with the 410.
    expect(receiver.received).toHaveLength(deliveries[0]!.attempts.length);
    expect(deliveries[0]!.attempts.map((a) => a.status_code).indexOf(410)).toBe(
      deliveries[0]!.attempts.length - 1,
    );
  });

  it('gives up after the schedule, and a manual redelivery sends again', async () => {
    receiver.fallback = { status: 500 };
    const ep = await endpoint();
    await post('/v1/payments/hpp', SEED_004_SAMPLE);
    await receiver.until((r) => r.length >= 5);
    const failed = await delivery(ep.id, (d) => d.status !== 'pending');
    expect(failed).toMatchObject({ status: 'failed', next_attempt_at: null });
    expect(failed.attempts).toHaveLength(5);
    receiver.fallback = { status: 204 };
    const again = await post(`/v1/webhook_endpoints/${ep.id}/deliveries/${failed.id}/redeliver`);
    expect(again.status).toBe(200);
    await receiver.until((r) => r.length >= 6);
    const redelivered = await delivery(ep.id, (d) => d.status !== 'pending');
    expect(redelivered.status).toBe('succeeded');
    expect(redelivered.attempts).toHaveLength(6);
  });

  it('refuses a redelivery while an attempt of the delivery is in flight, so it is never sent twice at once', async () => {
    receiver.script = [{ status: 204, delayMs: 1500 }];
    const ep = await endpoint();
    await post('/v1/payments/hpp', SEED_004_SAMPLE);
    await receiver.until((r) => r.length >= 1);
    const [inFlight] = (await get(`/v1/webhook_endpoints/${ep.id}/deliveries`)).data as Delivery[];
    const refused = await post(`/v1/webhook_endpoints/${ep.id}/deliveries/${inFlight!.id}/redeliver`);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.json)).toContain('being sent right now');

    const settled = await delivery(ep.id, (d) => d.status !== 'pending');
    expect(settled.status).toBe('succeeded');
    expect(receiver.received).toHaveLength(1);
    expect(receiver.maxInFlight).toBe(1);

    // Once that attempt has ended, the same redelivery goes.
    const again = await post(`/v1/webhook_endpoints/${ep.id}/deliveries/${inFlight!.id}/redeliver`);
    expect(again.status).toBe(200);
    await receiver.until((r) => r.length >= 2);
    expect(receiver.maxInFlight).toBe(1);
  });

  it('filters by event type and sends refund events with the refund as the object', async () => {
    const ep = await endpoint({ enabled_events: ['refund.succeeded'] });
    const id = await paidPayment(app, merchant, { amount: 1000 });
    const refund = await post(`/v1/payments/${id}/refunds`, { amount: 250 });
    await receiver.until((r) => r.length >= 1);
    await relayed();
    expect((await get(`/v1/webhook_endpoints/${ep.id}/deliveries`)).data).toHaveLength(1);
    expect(receiver.received).toHaveLength(1);
    expect(payload(0)).toMatchObject({
      type: 'refund.succeeded',
      data: { object: { id: refund.json.id, amount: 250, payment_id: id } },
    });
  });

  it('sends both signatures during a secret rotation grace period', async () => {
    const ep = await endpoint();
    const rotated = await post(`/v1/webhook_endpoints/${ep.id}/rotate_secret`, {
      grace_period_seconds: 3600,
    });
    expect(rotated.json.secret).not.toBe(ep.secret);
    await post('/v1/payments/hpp', SEED_004_SAMPLE);
    await receiver.until((r) => r.length >= 1);
    const hit = receiver.received[0]!;
    expect(String(hit.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [ep.secret, rotated.json.secret])
      expect(() => new Webhook(secret).verify(hit.body, hit.headers as Record<string, string>)).not.toThrow();
  });

  /** The receiver's first request carries one signature, by `current`; `retired` no longer verifies. */
  const expectSignedOnlyBy = async (current: string, retired: string) => {
    await post('/v1/payments/hpp', SEED_004_SAMPLE);
    await receiver.until((r) => r.length >= 1);
    const hit = receiver.received[0]!;
    const headers = hit.headers as Record<string, string>;
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(() => new Webhook(current).verify(hit.body, headers)).not.toThrow();
    expect(() => new Webhook(retired).verify(hit.body, headers)).toThrow();
  };

  it('stops signing with the old secret once the grace period has passed', async () => {
    const ep = await endpoint();
    const rotated = await post(`/v1/webhook_endpoints/${ep.id}/rotate_secret`, { grace_period_seconds: 1 });
    expect(rotated.json.previous_secret_expires_at).toEqual(expect.any(Number));
    // The grace ends by the database's clock, the one that decides which secrets sign.
    await eventually(async () => {
      const [row] = await app.till.db.em
        .fork()
        .execute<{ over: boolean }[]>(
          'select previous_secret_expires_at <= now() as over from webhook_endpoint where id = ?',
          [ep.id],
        );
      return row!.over;
    }, 5000);
    await expectSignedOnlyBy(rotated.json.secret, ep.secret);
  });

  it('a rotation with no grace period signs with the new secret alone at once', async () => {
    const ep = await endpoint();
    const rotated = await post(`/v1/webhook_endpoints/${ep.id}/rotate_secret`, { grace_period_seconds: 0 });
    expect(rotated.status).toBe(200);
    await expectSignedOnlyBy(rotated.json.secret, ep.secret);
  });

  it('authorize, capture part, refund part twice: every step in v1, GraphQL, the subscription, the receiver and the events API', async () => {
    const ep = await endpoint();
    const client = wsClient(app.url, merchant.test_secret_key);
    const listening = app.liveSubscriptions();
    const live = new Collector<PaymentStatusChangedSubscription>(client, PaymentStatusChangedDocument, {
      paymentId: null,
    });
    await eventually(() => app.liveSubscriptions() > listening);
    const id = await paidPayment(app, merchant, { transactionType: 'AUTHORIZE', amount: 5000 });
    await post(`/v1/payments/${id}/capture`, { amount: 3000 });
    await post(`/v1/payments/${id}/refunds`, { amount: 1000 });
    await post(`/v1/payments/${id}/refunds`, { amount: 500 });

    const events = (await get('/v1/events?limit=100')).data.reverse() as {
      id: string;
      type: string;
      data: { object: { amount: number } };
    }[];
    expect(events.map((e) => e.type)).toEqual([
      'payment.created',
      'payment.processing',
      'payment.authorized',
      'payment.succeeded',
      'refund.created',
      'refund.succeeded',
      'refund.created',
      'refund.succeeded',
    ]);
    // Delivery is at least once: an answer that comes late (a loaded machine) is retried, so an
    // event may arrive more than once — always as the same delivery, byte for byte. Each event
    // is one delivery, and the receiver got every one of them.
    await receiver.until((r) => new Set(r.map((hit) => hit.headers['webhook-id'])).size >= events.length);
    const copies = Map.groupBy(receiver.received, (hit) => String(hit.headers['webhook-id']));
    for (const [eventId, hits] of copies) {
      expect(hits.map((hit) => JSON.parse(hit.body).id)).toEqual(hits.map(() => eventId));
      expect(new Set(hits.map((hit) => hit.body)).size).toBe(1);
    }
    const received = [...copies.values()]
      .map(([first]) => JSON.parse(first!.body))
      .sort((a, b) => events.findIndex((e) => e.id === a.id) - events.findIndex((e) => e.id === b.id));
    expect(received).toEqual(events);
    await relayed();
    const deliveries = (await get(`/v1/webhook_endpoints/${ep.id}/deliveries?limit=100`)).data as Delivery[];
    expect(deliveries).toHaveLength(events.length);
    expect(received.filter((e) => e.type === 'refund.succeeded').map((e) => e.data.object.amount)).toEqual([
      1000, 500,
    ]);

    await live.until((c) => c.items.some((i) => i.paymentStatusChanged.amountRefunded === 1500));
    const seen = live.items.map((i) => i.paymentStatusChanged).filter((p) => p.id === id);
    expect(seen.map((p) => p.status)).toEqual(
      expect.arrayContaining(['PENDING', 'PROCESSING', 'AUTHORIZED', 'SUCCEEDED']),
    );
    expect(seen.at(-1)).toMatchObject({ status: 'SUCCEEDED', amountRefunded: 1500 });
    const viaGraphQL = await gql(app.url, PaymentDocument, { id }, { key: merchant.test_secret_key });
    expect(viaGraphQL.data!.payment).toMatchObject({
      amountCaptured: 3000,
      amountRefunded: 1500,
      amountRefundable: 1500,
    });
    expect(viaGraphQL.data!.payment.refunds.map((r) => r.amount)).toEqual([1000, 500]);
    live.dispose();
    await client.dispose();
  });

  it('manages endpoints: validation, update, delete, isolation, GraphQL', async () => {
    expect((await post('/v1/webhook_endpoints', { url: 'ftp://x' })).status).toBe(400);
    expect(
      (await post('/v1/webhook_endpoints', { url: receiver.url, enabled_events: ['payment.teleported'] }))
        .status,
    ).toBe(400);
    expect((await post('/v1/webhook_endpoints', { url: receiver.url, extra: 1 })).status).toBe(400);
    const ep = await endpoint({ description: 'orders' });
    const updated = await post(`/v1/webhook_endpoints/${ep.id}`, {
      enabled_events: ['payment.succeeded'],
      disabled: true,
    });
    expect(updated.json).toMatchObject({ enabled_events: ['payment.succeeded'], status: 'disabled' });
    const other = await newMerchant(app, 'Other');
    expect(
      (await request(app.url, 'GET', `/v1/webhook_endpoints/${ep.id}`, { key: other.test_secret_key }))
        .status,
    ).toBe(404);
    const viaGraphQL = await gql(
      app.url,
      CreateWebhookEndpointDocument,
      { input: { url: receiver.url } },
      { key: merchant.test_secret_key },
    );
    expect(viaGraphQL.data!.createWebhookEndpoint.secret).toMatch(/^whsec_/);
    const listed = await gql(app.url, WebhookEndpointsDocument, {}, { key: merchant.test_secret_key });
    expect(listed.data!.webhookEndpoints).toHaveLength(2);
    expect(
      (await request(app.url, 'DELETE', `/v1/webhook_endpoints/${ep.id}`, { key: merchant.test_secret_key }))
        .json,
    ).toMatchObject({ deleted: true });
    expect((await get('/v1/webhook_endpoints')).data).toHaveLength(1);
  });
});

describe('webhooks to private networks', () => {
  it('are refused unless WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true', async () => {
    const app = await startTill({
      backend: 'embedded',
      env: { WEBHOOK_RETRY_SCHEDULE: '0.1', WEBHOOK_TIMEOUT_MS: '400' },
    });
    const receiver = await new Receiver().start();
    try {
      const merchant = await newMerchant(app);
      const ep = await request(app.url, 'POST', '/v1/webhook_endpoints', {
        key: merchant.test_secret_key,
        body: { url: receiver.url },
      });
      await request(app.url, 'POST', '/v1/payments/hpp', {
        key: merchant.test_secret_key,
        body: SEED_004_SAMPLE,
      });
      const deadline = Date.now() + 10_000;
      let delivery: { status: string; attempts: { error: string }[] } | undefined;
      while (Date.now() < deadline) {
        [delivery] = (
          await request(app.url, 'GET', `/v1/webhook_endpoints/${ep.json.id}/deliveries`, {
            key: merchant.test_secret_key,
          })
        ).json.data;
        if (delivery?.status === 'failed') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(delivery!.status).toBe('failed');
      expect(delivery!.attempts[0]!.error).toContain('private, loopback or link-local');
      expect(receiver.received).toHaveLength(0);
    } finally {
      await receiver.stop();
      await app.close();
    }
  });
});
