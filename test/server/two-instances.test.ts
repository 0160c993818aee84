import {
  CancelPaymentDocument,
  PaymentStatusChangedDocument,
  type PaymentStatusChangedSubscription,
} from '../__generated__/graphql.js';
import { Collector, gql, wsClient } from '../support/graphql.js';
import { eventually, request, SEED_004_SAMPLE } from '../support/http.js';
import { describeServer } from '../support/services.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';

describeServer('two instances sharing PostgreSQL and Redis', () => {
  let a: RunningTill & { databaseUrl?: string };
  let b: RunningTill;
  const disposers: (() => unknown)[] = [];

  beforeAll(async () => {
    a = await startTill({ backend: 'server' });
    b = await startTill({ backend: 'server', databaseUrl: a.databaseUrl });
  });
  afterAll(async () => {
    for (const d of disposers) await d();
    await b.close();
    await a.close();
  });

  it('a subscriber on B sees a payment created and canceled through A, live', async () => {
    const merchant = await newMerchant(a);
    const client = wsClient(b.url, merchant.test_secret_key);
    disposers.push(() => client.dispose());
    const listening = b.liveSubscriptions();
    const all = new Collector<PaymentStatusChangedSubscription>(client, PaymentStatusChangedDocument, {
      paymentId: null,
    });
    disposers.push(all.dispose);
    await eventually(() => b.liveSubscriptions() > listening);

    const created = await request(a.url, 'POST', '/v1/payments/hpp', {
      key: merchant.test_secret_key,
      body: SEED_004_SAMPLE,
    });
    expect(created.status).toBe(200);
    const id = created.json.id as string;
    const one = new Collector<PaymentStatusChangedSubscription>(client, PaymentStatusChangedDocument, {
      paymentId: id,
    });
    disposers.push(one.dispose);
    await one.until((c) => c.items.length === 1);

    const canceled = await gql(a.url, CancelPaymentDocument, { id }, { key: merchant.test_secret_key });
    expect(canceled.data!.cancelPayment.payment!.status).toBe('CANCELED');
    await one.until((c) => c.items.length === 2);
    expect(one.items.map((i) => i.paymentStatusChanged.status)).toEqual(['PENDING', 'CANCELED']);
    await all.until((c) => c.items.length === 2);
    expect(all.items.map((i) => [i.paymentStatusChanged.id, i.paymentStatusChanged.status])).toEqual([
      [id, 'PENDING'],
      [id, 'CANCELED'],
    ]);
  });

  it('both relays together publish every event exactly once', async () => {
    const merchant = await newMerchant(a);
    // Write events with no relay kick, then let both instances' relays race for them.
    const principal = { merchantId: merchant.merchant_id, livemode: false, credentialId: 'test' };
    const input = {
      rules: 'v1' as const,
      amount: 100,
      currency: 'EUR',
      returnUrl: 'https://shop.example.com/r',
    };
    const seen: string[] = [];
    const topic = `till:payments:${merchant.merchant_id}:test`;
    const unsubscribe = await a.till.pubsub.subscribe(topic, (raw) => seen.push(JSON.parse(raw).id));
    const payments = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? a : b).till.services.payments.createHostedPayment(principal, input),
      ),
    );
    await Promise.all([a.till.relay.kick(), b.till.relay.kick(), a.till.relay.kick(), b.till.relay.kick()]);
    // Every event is marked published in the transaction that publishes it: once none is left,
    // both relays have published all they ever will. Redis hands a subscriber messages in the order
    // it received them, so a marker published after that arrives after every one of theirs.
    await eventually(async () => {
      const [row] = await a.till.db.em
        .fork()
        .execute<{ n: string }[]>(
          'select count(*) as n from event where merchant_id = ? and published_at is null',
          [merchant.merchant_id],
        );
      return Number(row!.n) === 0;
    });
    await a.till.pubsub.publish(topic, JSON.stringify({ id: 'marker' }));
    await eventually(() => seen.includes('marker'));
    await unsubscribe();
    expect(seen.pop()).toBe('marker');
    expect(seen).toHaveLength(payments.length);
    expect(new Set(seen).size).toBe(payments.length);
  });

  it('expiry run by both instances at once expires each payment exactly once', async () => {
    const merchant = await newMerchant(a);
    const principal = { merchantId: merchant.merchant_id, livemode: false, credentialId: 'test' };
    const input = {
      rules: 'v1' as const,
      amount: 100,
      currency: 'EUR',
      returnUrl: 'https://shop.example.com/r',
    };
    const created = await Promise.all(
      Array.from({ length: 30 }, () => a.till.services.payments.createHostedPayment(principal, input)),
    );
    const future = new Date(Date.now() + 2 * 3600 * 1000);
    // Both instances sweep concurrently, in small batches, until nothing is left to expire.
    let total = 0;
    for (;;) {
      const round = await Promise.all(
        [a, b, a, b].map((t) => t.till.services.payments.expireDuePayments(future, 10)),
      );
      total += round.reduce((x, y) => x + y, 0);
      if (round.every((n) => n === 0)) break;
    }
    const ours = await a.till.db.em
      .fork()
      .execute<{ type: string; n: string }[]>(
        `select type, count(*) as n from event where merchant_id = ? group by type order by type`,
        [merchant.merchant_id],
      );
    expect(ours.map((r) => [r.type, Number(r.n)])).toEqual([
      ['payment.created', created.length],
      ['payment.expired', created.length],
    ]);
    expect(total).toBeGreaterThanOrEqual(created.length);
  });
});
