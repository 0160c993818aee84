import type { Database } from '../../src/db/orm.js';
import { WebhookRepository } from '../../src/db/repositories/webhooks.js';
import { InProcessPubSub } from '../../src/events/pubsub.js';
import { OutboxRelay, type PublicationSink, type PublishedEvent } from '../../src/events/relay.js';
import { randomBase62 } from '../../src/domain/ids.js';
import { WebhookDeliveries } from '../../src/webhooks/deliveries.js';
import { backends } from '../support/backends.js';
import { insertEvent, insertMerchant, openTestDatabase } from '../support/database.js';

describe.each(backends)('the outbox relay and its sinks (%s)', (backend) => {
  let db: Database;
  let close: () => Promise<void>;
  const pubsub = new InProcessPubSub();

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(backend));
  });
  afterAll(() => close());

  const unpublished = async (ids: string[]) =>
    (
      await db.em
        .fork()
        .execute<{ id: string }[]>(
          `select id from event where published_at is null and id in (${ids.map(() => '?').join(',')})`,
          ids,
        )
    ).map((r) => r.id);
  const deliveriesFor = async (eventIds: string[]) => {
    const [row] = await db.em
      .fork()
      .execute<{ n: string }[]>(
        `select count(*) as n from webhook_delivery where event_id in (${eventIds.map(() => '?').join(',')})`,
        eventIds,
      );
    return Number(row!.n);
  };
  const relayWith = (sinks: PublicationSink[], committed: [PublishedEvent[], number[]][] = []) =>
    new OutboxRelay(db, pubsub, sinks, {
      onError: () => {},
      onCommitted: (events, written) => committed.push([[...events], [...written]]),
    });

  it('hands each sink the published batch in the publishing transaction, and reports what they wrote', async () => {
    const merchant = await insertMerchant(db);
    const ids = [
      await insertEvent(db, { merchantId: merchant, type: 'payment.created' }),
      await insertEvent(db, { merchantId: merchant, type: 'payment.succeeded', livemode: true }),
    ];
    const heard: string[] = [];
    const off = await pubsub.subscribe(`till:payments:${merchant}:test`, (raw) =>
      heard.push(JSON.parse(raw).id),
    );
    const seen: PublishedEvent[][] = [];
    const sink: PublicationSink = async (tx, events) => {
      seen.push([...events]);
      // The sink reads inside the transaction: the claimed events are not yet marked published.
      const [row] = await tx.execute<{ n: string }[]>(
        `select count(*) as n from event where published_at is null and id in (?, ?)`,
        ids,
      );
      return Number(row!.n);
    };
    const committed: [PublishedEvent[], number[]][] = [];
    const relay = relayWith([sink, async () => 7], committed);

    await relay.kick();
    await off();

    const mine = seen.flat().filter((e) => e.merchantId === merchant);
    expect(mine).toEqual([
      { id: ids[0], type: 'payment.created', merchantId: merchant, livemode: false },
      { id: ids[1], type: 'payment.succeeded', merchantId: merchant, livemode: true },
    ]);
    expect(committed).toHaveLength(1);
    expect(committed[0]![1]).toEqual([2, 7]);
    expect(await unpublished(ids)).toEqual([]);
    expect(heard).toEqual([ids[0]]);
  });

  it('a failing sink rolls the publication back: nothing is marked published, no sink row stays', async () => {
    const merchant = await insertMerchant(db);
    const webhooks = new WebhookRepository(db);
    await webhooks.insertEndpoint(db.em.fork(), {
      id: `we_${randomBase62(24)}`,
      merchantId: merchant,
      livemode: false,
      url: 'https://receiver.example.com/hooks',
      description: null,
      enabled_events: ['*'],
      sealedSecret: 'v1:test:sealed',
    });
    const ids = [
      await insertEvent(db, { merchantId: merchant, type: 'payment.created' }),
      await insertEvent(db, { merchantId: merchant, type: 'payment.failed' }),
    ];
    const deliveries = new WebhookDeliveries(webhooks);
    const create: PublicationSink = (tx, events) => deliveries.createFor(tx, events);
    const failure = new Error('sink down');
    const committed: [PublishedEvent[], number[]][] = [];
    const failing = relayWith(
      [
        create,
        async () => {
          throw failure;
        },
      ],
      committed,
    );

    await expect(failing.publishBatch()).rejects.toBe(failure);
    expect(committed).toEqual([]);
    expect((await unpublished(ids)).sort()).toEqual([...ids].sort());
    expect(await deliveriesFor(ids)).toBe(0);

    // With the sinks working, the same events are published and their deliveries created.
    const working = relayWith([create], committed);
    await working.kick();
    expect(await unpublished(ids)).toEqual([]);
    expect(await deliveriesFor(ids)).toBe(2);
    expect(committed.map(([, written]) => written).reduce((sum, [n]) => sum + (n ?? 0), 0)).toBe(2);
  });

  it('commits in quick succession share one batch: soon() waits BATCH_LINGER_MS, and flush() runs a waiting batch at once', async () => {
    const merchant = await insertMerchant(db);
    const committed: [PublishedEvent[], number[]][] = [];
    const relay = relayWith([], committed);
    // Whatever earlier tests left unpublished goes first, so the batches below are only this test's.
    await relay.kick();
    committed.length = 0;

    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await insertEvent(db, { merchantId: merchant, type: 'payment.created' }));
      relay.soon();
    }
    expect(committed).toHaveLength(0);
    const deadline = Date.now() + 5_000;
    while (committed.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await relay.flush();
    expect(committed).toHaveLength(1);
    expect(committed[0]![0].map((e) => e.id)).toEqual(ids);
    expect(await unpublished(ids)).toEqual([]);

    // A batch waiting for its linger runs at once on flush (shutdown): nothing committed is left.
    const late = await insertEvent(db, { merchantId: merchant, type: 'payment.canceled' });
    relay.soon();
    await relay.flush();
    expect(committed).toHaveLength(2);
    expect(committed[1]![0].map((e) => e.id)).toEqual([late]);
  });
});
