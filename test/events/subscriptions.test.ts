import {
  PaymentStatusChangedDocument,
  type PaymentStatusChangedSubscription,
} from '../__generated__/graphql.js';
import { backends } from '../support/backends.js';
import { Collector, wsClient } from '../support/graphql.js';
import { eventually, request, SEED_004_SAMPLE } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

type Item = PaymentStatusChangedSubscription;

describe.each(backends)('paymentStatusChanged over graphql-ws (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  const clients: { dispose(): unknown }[] = [];
  const createPayment = async (key = merchant.test_secret_key) =>
    (await request(app.url, 'POST', '/v1/payments/hpp', { key, body: SEED_004_SAMPLE })).json.id as string;
  const cancel = (id: string, key = merchant.test_secret_key) =>
    request(app.url, 'POST', `/v1/payments/${id}/cancel`, { key });
  const subscribe = (key: string | null, paymentId: string | null) => {
    const client = wsClient(app.url, key);
    clients.push(client);
    const collector = new Collector<Item>(client, PaymentStatusChangedDocument, { paymentId });
    clients.push(collector);
    return collector;
  };

  beforeAll(async () => {
    app = await startTill({ backend, env: { HPP_SESSION_TTL_SECONDS: '2' } });
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await app.close();
  });
  beforeEach(async () => {
    merchant = await newMerchant(app);
  });

  it("starts with the payment's current state, then pushes a cancel live", async () => {
    const id = await createPayment();
    const sub = subscribe(merchant.test_secret_key, id);
    await sub.until((c) => c.items.length === 1);
    expect(sub.items[0]!.paymentStatusChanged).toMatchObject({ id, status: 'PENDING', version: 1 });
    expect((await cancel(id)).status).toBe(200);
    await sub.until((c) => c.items.length === 2);
    expect(sub.items[1]!.paymentStatusChanged).toMatchObject({ id, status: 'CANCELED', version: 2 });
  });

  it('a late subscriber still gets the final status first', async () => {
    const id = await createPayment();
    await cancel(id);
    const sub = subscribe(merchant.test_secret_key, id);
    await sub.until((c) => c.items.length === 1);
    expect(sub.items[0]!.paymentStatusChanged).toMatchObject({ id, status: 'CANCELED', version: 2 });
  });

  it("without a payment id streams all of the caller's payments, and nobody else's", async () => {
    const other = await newMerchant(app, 'Other');
    const listening = app.liveSubscriptions();
    const mine = subscribe(merchant.test_secret_key, null);
    const theirs = subscribe(other.test_secret_key, null);
    const live = subscribe(merchant.live_secret_key, null);
    // graphql-ws connects lazily: wait until all three are listening.
    await eventually(() => app.liveSubscriptions() === listening + 3);
    const a = await createPayment();
    await cancel(a);
    const b = await createPayment(other.test_secret_key);
    await mine.until((c) => c.items.length === 2);
    expect(mine.items.map((i) => [i.paymentStatusChanged.id, i.paymentStatusChanged.status])).toEqual([
      [a, 'PENDING'],
      [a, 'CANCELED'],
    ]);
    await theirs.until((c) => c.items.length === 1);
    expect(theirs.items.map((i) => i.paymentStatusChanged.id)).toEqual([b]);
    // One more payment of each merchant, made last: changes reach the feeds in the order they were
    // made, so once these have arrived nothing earlier is still on its way.
    const lastOfMine = await createPayment();
    const lastOfTheirs = await createPayment(other.test_secret_key);
    await mine.until((c) => c.items.length === 3);
    await theirs.until((c) => c.items.length === 2);
    expect(mine.items[2]!.paymentStatusChanged.id).toBe(lastOfMine);
    expect(theirs.items[1]!.paymentStatusChanged.id).toBe(lastOfTheirs);
    expect(live.items).toEqual([]);
  });

  it('pushes EXPIRED when the session time runs out', async () => {
    const id = await createPayment();
    const sub = subscribe(merchant.test_secret_key, id);
    await sub.until((c) => c.items.some((i) => i.paymentStatusChanged.status === 'EXPIRED'), 15_000);
    const expired = await request(app.url, 'GET', `/v1/payments/${id}`, { key: merchant.test_secret_key });
    expect(expired.json).toMatchObject({ status: 'EXPIRED', version: 2 });
    expect(expired.json.status_transitions.expired_at).toEqual(expect.any(Number));
  });

  it("another merchant's payment id → a NOT_FOUND error, no data", async () => {
    const id = await createPayment();
    const other = await newMerchant(app, 'Other');
    const sub = subscribe(other.test_secret_key, id);
    await sub.until((c) => c.errors.length > 0 || c.completed);
    expect(sub.items).toEqual([]);
    expect(JSON.stringify(sub.errors)).toContain('No such payment');
  });

  it.each([
    ['no credentials', null],
    ['a wrong key', 'api_test_sk_00000000000000000000000000000000'],
  ])('%s → the socket closes with 4403 Forbidden', async (_name, key) => {
    const sub = subscribe(key, null);
    await sub.until((c) => c.errors.length > 0);
    expect((sub.errors[0] as { code?: number }).code).toBe(4403);
  });
});
