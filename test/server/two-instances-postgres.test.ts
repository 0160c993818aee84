import {
  CancelPaymentDocument,
  PaymentStatusChangedDocument,
  type PaymentStatusChangedSubscription,
} from '../__generated__/graphql.js';
import { PostgresPubSub } from '../../src/events/pg-pubsub.js';
import { Collector, gql, wsClient } from '../support/graphql.js';
import { eventually, request, SEED_004_SAMPLE } from '../support/http.js';
import { describeServer } from '../support/services.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';

/** Holds an instance's relay batches until released; counts those that ran. */
function holdBatches(running: RunningTill) {
  const relay = running.till.relay;
  const publishBatch = relay.publishBatch.bind(relay);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const state = { ran: 0, release };
  relay.publishBatch = async (size) => {
    await released;
    state.ran += 1;
    return publishBatch(size);
  };
  return state;
}

describeServer('two instances sharing PostgreSQL, without Redis', () => {
  let a: RunningTill & { databaseUrl?: string };
  let b: RunningTill;
  const disposers: (() => unknown)[] = [];
  // No Redis, and a poll so slow that only the hand-off at commit can deliver within the test.
  const env = { REDIS_URL: '', WORKER_INTERVAL_MS: '60000' };

  beforeAll(async () => {
    a = await startTill({ backend: 'server', env });
    b = await startTill({ backend: 'server', databaseUrl: a.databaseUrl, env });
  });
  afterAll(async () => {
    for (const d of disposers) await d();
    await b.close();
    await a.close();
  });

  it('uses PostgreSQL LISTEN/NOTIFY for pub/sub, and /readyz checks its LISTEN connection', async () => {
    expect(a.till.pubsub).toBeInstanceOf(PostgresPubSub);
    expect(b.till.pubsub).toBeInstanceOf(PostgresPubSub);
    const ready = await request(a.url, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json.checks).toEqual({ database: 'ok', listen: 'ok' });
  });

  it('a subscriber on B hears changes made on A at once, before any relay batch runs, large ones included', async () => {
    const merchant = await newMerchant(a);
    const key = merchant.test_secret_key;
    const endpoint = await request(a.url, 'POST', '/v1/webhook_endpoints', {
      key,
      body: { url: 'https://receiver.example.com/hooks' },
    });
    expect(endpoint.status).toBe(200);
    const heldA = holdBatches(a);
    const heldB = holdBatches(b);
    const client = wsClient(b.url, key);
    disposers.push(() => client.dispose());
    const listening = b.liveSubscriptions();
    const all = new Collector<PaymentStatusChangedSubscription>(client, PaymentStatusChangedDocument, {
      paymentId: null,
    });
    disposers.push(all.dispose);
    await eventually(() => b.liveSubscriptions() > listening);
    const raw: string[] = [];
    const off = await b.till.pubsub.subscribe(`till:payments:${merchant.merchant_id}:test`, (m) =>
      raw.push(m),
    );
    disposers.push(off);

    // Metadata near its limit: the message (which carries the payment twice) is far over NOTIFY's 8000 bytes.
    const metadata = Object.fromEntries(
      Array.from({ length: 24 }, (_, i) => [`key_${i}`, `${'é€'.repeat(60)}-${i}`]),
    );
    const started = Date.now();
    const created = await request(a.url, 'POST', '/v1/payments/hpp', {
      key,
      body: { ...SEED_004_SAMPLE, metadata },
    });
    expect(created.status).toBe(200);
    const id = created.json.id as string;
    const canceled = await gql(a.url, CancelPaymentDocument, { id }, { key });
    expect(canceled.data!.cancelPayment.payment!.status).toBe('CANCELED');
    await all.until((c) => c.items.length === 2, 5_000);
    const elapsed = Date.now() - started;

    expect(all.items.map((i) => [i.paymentStatusChanged.id, i.paymentStatusChanged.status])).toEqual([
      [id, 'PENDING'],
      [id, 'CANCELED'],
    ]);
    await eventually(() => raw.length === 2);
    expect(Buffer.byteLength(raw[0]!)).toBeGreaterThan(8000);
    expect(JSON.parse(raw[0]!).payment.metadata).toEqual(metadata);
    // Nothing was published by a batch: none has run, and the events are not yet marked published.
    expect([heldA.ran, heldB.ran]).toEqual([0, 0]);
    const rows = () =>
      a.till.db.em.fork().execute<{ id: string; published: boolean; deliveries: string }[]>(
        `select e.id, e.published_at is not null as published,
                  (select count(*) from webhook_delivery d where d.event_id = e.id) as deliveries
             from event e where e.payment_id = ? order by e.seq`,
        [id],
      );
    expect((await rows()).map((r) => r.published)).toEqual([false, false]);
    expect(elapsed).toBeLessThan(5_000);

    // The batches then mark the events published and create each one's delivery, once.
    heldA.release();
    heldB.release();
    await a.till.relay.kick();
    await b.till.relay.kick();
    await eventually(async () => (await rows()).every((r) => r.published));
    expect((await rows()).map((r) => Number(r.deliveries))).toEqual([1, 1]);

    // And the subscriber heard each change once: a later change arrives right after the two.
    const again = await request(a.url, 'POST', '/v1/payments/hpp', { key, body: SEED_004_SAMPLE });
    await all.until((c) => c.items.length === 3, 5_000);
    expect(all.items.map((i) => i.paymentStatusChanged.id)).toEqual([id, id, again.json.id]);
  });
});
