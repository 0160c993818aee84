import { CreateWebhookEndpointDocument } from '../__generated__/graphql.js';
import { backends } from '../support/backends.js';
import { gql } from '../support/graphql.js';
import { eventually, request, SEED_004_SAMPLE } from '../support/http.js';
import { BlackHole, Receiver } from '../support/receiver.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

// The default connect (5 s) and response (10 s) timeouts stay: the black holes must hold their
// slots for the whole test, as a receiver that never answers does in production.
const ENV = {
  WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
  WEBHOOK_RETRY_SCHEDULE: '3,3,3,3,3,3',
  CHECKOUT_ATTEMPTS_PER_CLIENT: '100000',
  API_RATE_LIMIT_TEST: '100000',
  API_RATE_LIMIT_LIVE: '100000',
};

interface Delivery {
  id: string;
  status: string;
  attempts: { status_code: number | null }[];
  next_attempt_at: number | null;
}

describe.each(backends)('webhook delivery isolation (%s)', (backend) => {
  let app: RunningTill;
  const post = (
    merchant: MerchantCredentials,
    path: string,
    body?: unknown,
    key = merchant.test_secret_key,
  ) => request(app.url, 'POST', path, { key, body });
  const deliveries = async (merchant: MerchantCredentials, endpointId: string): Promise<Delivery[]> =>
    (
      await request(app.url, 'GET', `/v1/webhook_endpoints/${endpointId}/deliveries?limit=100`, {
        key: merchant.test_secret_key,
      })
    ).json.data;

  beforeAll(async () => {
    app = await startTill({ backend, env: ENV });
  });
  afterAll(() => app.close());

  it("a merchant's 16 unanswering endpoints leave another merchant's webhook on time; the 17th is refused", async () => {
    const blackHole = await new BlackHole().start();
    const receiver = await new Receiver().start();
    try {
      const b = await newMerchant(app, 'Black holes');
      for (let i = 0; i < 16; i++)
        expect((await post(b, '/v1/webhook_endpoints', { url: blackHole.url(`hook/${i}`) })).status).toBe(
          200,
        );

      const seventeenth = await post(b, '/v1/webhook_endpoints', { url: blackHole.url('hook/16') });
      expect(seventeenth.status).toBe(400);
      expect(seventeenth.json.error).toMatchObject({
        type: 'invalid_request_error',
        param: 'url',
        message: expect.stringContaining('16 webhook endpoints in test mode'),
      });
      const viaGraphQL = await gql(
        app.url,
        CreateWebhookEndpointDocument,
        { input: { url: blackHole.url('hook/16') } },
        { key: b.test_secret_key },
      );
      expect(viaGraphQL.data!.createWebhookEndpoint.webhookEndpoint).toBeNull();
      expect(viaGraphQL.data!.createWebhookEndpoint.userErrors).toEqual([
        expect.objectContaining({ message: expect.stringContaining('16 webhook endpoints') }),
      ]);
      // The cap is per mode: live mode has its own 16.
      expect(
        (await post(b, '/v1/webhook_endpoints', { url: blackHole.url('live') }, b.live_secret_key)).status,
      ).toBe(200);

      // 2 payments × 16 endpoints = 32 deliveries that hang; at most 10 may be in flight.
      for (let i = 0; i < 2; i++)
        expect((await post(b, '/v1/payments/hpp', SEED_004_SAMPLE)).status).toBe(200);
      await eventually(() => blackHole.open >= 10, 10_000);

      const a = await newMerchant(app, 'On time');
      expect((await post(a, '/v1/webhook_endpoints', { url: receiver.url })).status).toBe(200);
      const created = Date.now();
      expect((await post(a, '/v1/payments/hpp', SEED_004_SAMPLE)).status).toBe(200);
      await receiver.until((r) => r.length >= 1, 5000);
      expect(receiver.received[0]!.at - created).toBeLessThan(2000);
      expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ type: 'payment.created' });

      // Nothing of B's timed out yet (10 s), and B never held more than its 10 slots.
      await new Promise((r) => setTimeout(r, 300));
      expect(blackHole.accepted).toBe(10);
      expect(blackHole.maxOpen).toBe(10);
    } finally {
      await blackHole.stop();
      await receiver.stop();
    }
  });

  it('sends at most 2 requests at once to one endpoint', async () => {
    const receiver = await new Receiver().start();
    try {
      receiver.fallback = { status: 200, delayMs: 400 };
      const merchant = await newMerchant(app);
      expect((await post(merchant, '/v1/webhook_endpoints', { url: receiver.url })).status).toBe(200);
      for (let i = 0; i < 6; i++) await post(merchant, '/v1/payments/hpp', SEED_004_SAMPLE);
      await receiver.until((r) => r.length >= 6, 15_000);
      expect(receiver.maxInFlight).toBe(2);
    } finally {
      await receiver.stop();
    }
  });

  it('defers a failing endpoint behind its circuit breaker, probes it, and resumes when it answers', async () => {
    const receiver = await new Receiver().start();
    try {
      receiver.fallback = { status: 500 };
      const merchant = await newMerchant(app);
      const endpoint = (await post(merchant, '/v1/webhook_endpoints', { url: receiver.url })).json;
      for (let i = 0; i < 8; i++) await post(merchant, '/v1/payments/hpp', SEED_004_SAMPLE);

      // 5 failures in a row open the breaker; the attempt in flight then may still end (6).
      await receiver.until((r) => r.length >= 5, 10_000);
      const opened = Date.now();
      await new Promise((r) => setTimeout(r, 2000));
      expect(receiver.received.length).toBeLessThanOrEqual(6);
      const held = (await deliveries(merchant, endpoint.id)).filter((d) => d.attempts.length === 0);
      expect(held.length).toBeGreaterThanOrEqual(2);
      for (const d of held) {
        expect(d.status).toBe('pending');
        expect(d.next_attempt_at! * 1000).toBeGreaterThan(opened);
      }

      // Once it answers, the probe closes the breaker and every delivery goes through.
      receiver.fallback = { status: 200 };
      const seen = receiver.received.length;
      await receiver.until((r) => r.length >= seen + 8, 20_000);
      expect(receiver.received[seen]!.at - opened).toBeGreaterThanOrEqual(2000);
      await eventually(
        async () => (await deliveries(merchant, endpoint.id)).every((d) => d.status === 'succeeded'),
        10_000,
      );
    } finally {
      await receiver.stop();
    }
  });
});
