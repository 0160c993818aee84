import type { Database } from '../../src/db/orm.js';
import { PaymentRepository } from '../../src/db/repositories/payments.js';
import { EventRepository } from '../../src/db/repositories/events.js';
import { openEventFeed } from '../../src/events/event-feed.js';
import { handOffAtCommit, recordPaymentEvent, type TillEvent } from '../../src/events/outbox.js';
import { openPaymentFeed } from '../../src/events/payment-feed.js';
import type { PaymentPayload } from '../../src/events/payment-payload.js';
import { InProcessPubSub, type PubSub } from '../../src/events/pubsub.js';
import {
  messageOf,
  OTHERS_ANNOUNCED_AFTER_MS,
  OutboxRelay,
  type PublicationSink,
  type PublishedEvent,
} from '../../src/events/relay.js';
import type { CreateHostedPaymentInput } from '../../src/domain/payment.js';
import { PaymentService } from '../../src/services/payments.js';
import { backends } from '../support/backends.js';
import { insertMerchant, openTestDatabase } from '../support/database.js';

const input: CreateHostedPaymentInput = {
  rules: 'v1',
  amount: 2500,
  currency: 'EUR',
  returnUrl: 'https://shop.example.com/r',
  // Keys jsonb reorders (shortest first, then bytewise; integer-like keys), and text beyond ASCII.
  metadata: {
    zeta: 'ü€😀',
    a: 1,
    '10': 'ten',
    '2': 'two',
    bb: { yy: true, x: [3, { d: 1, cc: 2 }] },
    É: 'é',
  },
};

describe.each(backends)('the hand-off at commit (%s)', (backend) => {
  let db: Database;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(backend));
  });
  afterAll(() => close());

  /** A relay over `pubsub` whose batches run only when the test calls them, and what it reports. */
  function setup(pubsub: PubSub = new InProcessPubSub()) {
    const sunk: PublishedEvent[] = [];
    const committed: PublishedEvent[] = [];
    const sink: PublicationSink = async (_tx, events) => {
      sunk.push(...events);
      return events.length;
    };
    const errors: unknown[] = [];
    const relay = new OutboxRelay(db, pubsub, [sink], {
      onError: (error) => errors.push(error),
      onCommitted: (events) => committed.push(...events),
    });
    const batches: number[] = [];
    const publishBatch = relay.publishBatch.bind(relay);
    relay.publishBatch = async (size) => {
      const n = await publishBatch(size);
      batches.push(n);
      return n;
    };
    // The services' "events committed" callback would kick the relay; here the test decides when.
    const payments = new PaymentService(
      new PaymentRepository(db),
      {
        publicUrl: 'https://till.example',
        hppSessionTtlSeconds: 3600,
      },
      () => {},
    );
    return { relay, pubsub, payments, sunk, committed, errors, batches };
  }

  const heardOn = async (pubsub: PubSub, merchantId: string) => {
    const heard: string[] = [];
    await pubsub.subscribe(`till:payments:${merchantId}:test`, (raw) => heard.push(raw));
    return heard;
  };
  const rowOf = async (id: string) => {
    const [row] = await db.em.fork().execute(
      `select id, type, merchant_id, livemode, data, payment_snapshot,
                extract(epoch from created_at)::bigint as created_at_unix, published_at, announced_by
           from event where id = ?`,
      [id],
    );
    return row as Record<string, unknown> & { published_at: unknown; announced_by: string | null };
  };

  it('publishes a committed event the moment it commits, before any batch, as the batch would send it', async () => {
    const { relay, pubsub, payments, batches } = setup();
    const merchantId = await insertMerchant(db);
    const heard = await heardOn(pubsub, merchantId);
    const principal = { merchantId, livemode: false, credentialId: 'key_1' };

    // Several events, so created_at's rounding to whole seconds is exercised both ways.
    const created = [];
    for (let i = 0; i < 6; i++) created.push(await payments.createHostedPayment(principal, input));
    await relay.settled();

    expect(batches).toEqual([]);
    expect(heard).toHaveLength(created.length);
    for (const [i, raw] of heard.entries()) {
      const message = JSON.parse(raw);
      expect(message.payment.id).toBe(created[i]!.payment.id);
      const row = await rowOf(message.id);
      expect(row.announced_by).toBe(relay.origin);
      // Byte for byte what a batch reading the row back publishes.
      expect(raw).toBe(JSON.stringify(messageOf(row as never)));
    }
  });

  it('publishes after the committing call has returned, so its answer never waits for the fan-out', async () => {
    const { relay, pubsub, payments } = setup();
    const merchantId = await insertMerchant(db);
    const heard = await heardOn(pubsub, merchantId);
    const principal = { merchantId, livemode: false, credentialId: 'key_1' };

    const { payment } = await payments.createHostedPayment(principal, input);
    // In process, a publish runs every subscriber's listener before it returns: none has run yet.
    expect(heard).toEqual([]);
    await relay.settled();
    expect(heard.map((raw) => JSON.parse(raw).payment.id)).toEqual([payment.id]);
  });

  it('publishes nothing for a transaction that rolls back', async () => {
    const { pubsub, batches } = setup();
    const merchantId = await insertMerchant(db);
    const heard = await heardOn(pubsub, merchantId);
    const payment = { id: 'pay_rolledback0000000000000', merchantId, livemode: false };
    const failure = new Error('rolled back');
    await expect(
      db.em.fork().transactional(async (em) => {
        await recordPaymentEvent(em, payment, 'payment.canceled', { id: payment.id } as PaymentPayload);
        throw failure;
      }),
    ).rejects.toBe(failure);
    // A later commit in the same process is heard; the rolled-back one never is.
    const committed = setup(pubsub);
    const principal = { merchantId, livemode: false, credentialId: 'key_1' };
    const { payment: later } = await committed.payments.createHostedPayment(principal, input);
    await committed.relay.settled();
    expect(heard.map((raw) => JSON.parse(raw).payment.id)).toEqual([later.id]);
    expect(batches).toEqual([]);
  });

  it("the relay's batch then runs the sinks and marks the event published, once, without publishing it again", async () => {
    const { relay, pubsub, payments, sunk, committed } = setup();
    const merchantId = await insertMerchant(db);
    const heard = await heardOn(pubsub, merchantId);
    const principal = { merchantId, livemode: false, credentialId: 'key_1' };
    await payments.createHostedPayment(principal, input);
    await relay.settled();
    expect(heard).toHaveLength(1);
    const eventId = JSON.parse(heard[0]!).id as string;

    await relay.kick();
    await relay.kick();

    expect(heard).toHaveLength(1);
    expect(sunk.filter((e) => e.id === eventId)).toHaveLength(1);
    expect(committed.filter((e) => e.id === eventId)).toHaveLength(1);
    expect((await rowOf(eventId)).published_at).not.toBeNull();
  });

  it('a batch that claims an event after its commit but before the hand-off hears of it leaves the publish to the hand-off', async () => {
    // The database shows a commit to other connections a moment before the committing one hears it
    // went through: here a batch runs in that moment (it claims the committed event) and the
    // hand-off is told of the commit only afterwards.
    const { relay, pubsub, payments, sunk } = setup();
    const merchantId = await insertMerchant(db);
    const heard = await heardOn(pubsub, merchantId);
    let batch: Promise<number> | undefined;
    let handedOver: Promise<void> | undefined;
    handOffAtCommit(db.em, {
      origin: relay.origin,
      expect: (event) => relay.expect(event),
      withdraw: (events) => relay.withdraw(events),
      announce: (events) => {
        batch = relay.publishBatch();
        handedOver = new Promise((resolve) => setTimeout(() => resolve(relay.announce(events)), 200));
      },
    });
    const { payment } = await payments.createHostedPayment(
      { merchantId, livemode: false, credentialId: 'key_1' },
      input,
    );
    await expect(batch).resolves.toBeGreaterThanOrEqual(1);
    await handedOver;
    await relay.settled();
    handOffAtCommit(db.em, relay);

    expect(heard.map((raw) => JSON.parse(raw).payment.id)).toEqual([payment.id]);
    const eventId = JSON.parse(heard[0]!).id as string;
    expect(sunk.filter((e) => e.id === eventId)).toHaveLength(1);
    expect((await rowOf(eventId)).published_at).not.toBeNull();
  });

  it('an announcement whose publish fails is published by the next batch', async () => {
    const inner = new InProcessPubSub();
    let failNext = true;
    const flaky: PubSub = {
      publish: async (topic, message) => {
        if (failNext) {
          failNext = false;
          throw new Error('pub/sub down');
        }
        await inner.publish(topic, message);
      },
      subscribe: (topic, listener) => inner.subscribe(topic, listener),
      ping: async () => true,
      close: () => inner.close(),
    };
    const { relay, payments, errors } = setup(flaky);
    const merchantId = await insertMerchant(db);
    const heard = await heardOn(inner, merchantId);
    const { payment } = await payments.createHostedPayment(
      { merchantId, livemode: false, credentialId: 'key_1' },
      input,
    );
    await relay.flush();
    expect(errors).toHaveLength(1);
    expect(heard.map((raw) => JSON.parse(raw).payment.id)).toEqual([payment.id]);
  });

  it('an announcement whose publish throws before returning is published by the next batch too', async () => {
    const inner = new InProcessPubSub();
    let failNext = true;
    const throwing: PubSub = {
      publish: (topic, message) => {
        if (failNext) {
          failNext = false;
          throw new Error('thrown at once');
        }
        return inner.publish(topic, message);
      },
      subscribe: (topic, listener) => inner.subscribe(topic, listener),
      ping: async () => true,
      close: () => inner.close(),
    };
    const { relay, payments, errors } = setup(throwing);
    const merchantId = await insertMerchant(db);
    const heard = await heardOn(inner, merchantId);
    const { payment } = await payments.createHostedPayment(
      { merchantId, livemode: false, credentialId: 'key_1' },
      input,
    );
    await relay.flush();
    expect(errors).toHaveLength(1);
    expect(heard.map((raw) => JSON.parse(raw).payment.id)).toEqual([payment.id]);
  });

  it("another instance's relay leaves an announced event to its announcer, and publishes it once that one is long gone", async () => {
    const announcer = setup();
    const merchantId = await insertMerchant(db);
    const principal = { merchantId, livemode: false, credentialId: 'key_1' };
    const heard = await heardOn(announcer.pubsub, merchantId);
    // The other instance's relay: another origin, announcing through the same pub/sub.
    const other = setup(announcer.pubsub);
    // The announcer's hand-off is the ORM's latest; hand it back (one relay per process in Till).
    const announcing = setup(announcer.pubsub);
    const { payment } = await announcing.payments.createHostedPayment(principal, input);
    await announcing.relay.settled();
    expect(heard).toHaveLength(1);
    const eventId = JSON.parse(heard[0]!).id as string;

    await other.relay.kick();
    expect((await rowOf(eventId)).published_at).toBeNull();
    expect(other.sunk.filter((e) => e.id === eventId)).toEqual([]);

    // The announcer died before its batch: once the event is old enough, the other relay takes it.
    await db.em
      .fork()
      .execute(`update event set created_at = created_at - ? * interval '1 millisecond' where id = ?`, [
        OTHERS_ANNOUNCED_AFTER_MS + 1000,
        eventId,
      ]);
    await other.relay.kick();
    expect((await rowOf(eventId)).published_at).not.toBeNull();
    expect(other.sunk.filter((e) => e.id === eventId)).toHaveLength(1);
    // Heard twice on the wire; the feeds below show subscribers get it once.
    expect(heard.filter((raw) => JSON.parse(raw).id === eventId)).toHaveLength(2);
    expect(JSON.parse(heard[1]!).payment.id).toBe(payment.id);
  });

  it('a subscriber gets an event once when both the hand-off and a batch publish it', async () => {
    const pubsub = new InProcessPubSub();
    const first = setup(pubsub);
    const merchantId = await insertMerchant(db);
    const scope = { merchantId, livemode: false };
    const payments = await openPaymentFeed({
      pubsub,
      scope,
      paymentId: null,
      current: async () => {
        throw new Error('not asked');
      },
    });
    const events = await openEventFeed({ pubsub, scope, after: null, replay: async () => [] });
    const wire: string[] = [];
    await pubsub.subscribe(`till:payments:${merchantId}:test`, (raw) => wire.push(raw));

    const { payment } = await first.payments.createHostedPayment(
      { merchantId, livemode: false, credentialId: 'key_1' },
      input,
    );
    await first.relay.settled();
    // A relay that did not announce it (another instance's, after the grace) publishes it again.
    const eventId = JSON.parse(wire[0]!).id as string;
    await db.em
      .fork()
      .execute(`update event set created_at = created_at - ? * interval '1 millisecond' where id = ?`, [
        OTHERS_ANNOUNCED_AFTER_MS + 1000,
        eventId,
      ]);
    const second = setup(pubsub);
    await second.relay.kick();
    // Then a later change, so each feed has something after the duplicate to show.
    const canceled = await second.payments.cancelPayment(
      { merchantId, livemode: false, credentialId: 'key_1' },
      payment.id,
    );
    await second.relay.settled();
    expect(wire.map((raw) => JSON.parse(raw).type)).toEqual([
      'payment.created',
      'payment.created',
      'payment.canceled',
    ]);

    const statuses = [(await payments.next()).value, (await payments.next()).value].map(
      (p: PaymentPayload) => [p.id, p.status],
    );
    expect(statuses).toEqual([
      [payment.id, 'PENDING'],
      [payment.id, canceled.status],
    ]);
    const types = [(await events.next()).value, (await events.next()).value].map((e: TillEvent) => e.type);
    expect(types).toEqual(['payment.created', 'payment.canceled']);
    await payments.return?.();
    await events.return?.();
  });

  it("claims other relays' young announced events only through the grace window", async () => {
    const merchantId = await insertMerchant(db);
    const events = new EventRepository(db);
    const { payments } = setup();
    await payments.createHostedPayment({ merchantId, livemode: false, credentialId: 'key_1' }, input);
    const claimed = await db.em.fork().transactional(async (tx) => ({
      asOther: await events.claimUnpublished(tx, 1000, { origin: 'someone-else', othersAfterMs: 60_000 }),
      unfiltered: await events.claimUnpublished(tx, 1000),
    }));
    const mine = (rows: { merchant_id: string }[]) => rows.filter((r) => r.merchant_id === merchantId);
    expect(mine(claimed.asOther)).toEqual([]);
    expect(mine(claimed.unfiltered)).toHaveLength(1);
  });
});
