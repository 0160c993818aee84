import { randomBytes } from 'node:crypto';
import { context, ROOT_CONTEXT, SpanKind, trace, type Span } from '@opentelemetry/api';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Database } from '../db/orm.js';
import { EventRepository, type OutboxRow } from '../db/repositories/events.js';
import { linkTo, recordFailure, TillAttributes, tracer } from '../tracing/spans.js';
import {
  eventFromRow,
  eventObject,
  handOffAtCommit,
  type CommitHandOff,
  type PaymentEventMessage,
  type RecordedEvent,
  type TillEvent,
} from './outbox.js';
import { Drain } from './drain.js';
import type { PubSub } from './pubsub.js';
import { paymentTopic } from './topics.js';

/** An event the relay is publishing, as the sinks see it. */
export interface PublishedEvent {
  id: string;
  type: string;
  merchantId: string;
  livemode: boolean;
}

/**
 * Writes what a batch of published events calls for elsewhere (webhook deliveries, say), in the
 * transaction that marks them published: the events are published and the sink's rows exist, or
 * neither. Returns how many rows it wrote.
 */
export type PublicationSink = (tx: SqlEntityManager, events: readonly PublishedEvent[]) => Promise<number>;

export interface RelayHooks {
  onError(error: unknown): void;
  /** Told after a batch committed: what it published, and how many rows each sink wrote (in order). */
  onCommitted?(events: readonly PublishedEvent[], written: readonly number[]): void;
}

/** How many announcements a relay remembers until its batch has marked their events published. */
const REMEMBERED_ANNOUNCEMENTS = 20_000;

/**
 * How long a batch that claimed an event waits for that event's hand-off to say whether it
 * published it. The hand-off is told of the commit as soon as the committing connection hears it
 * went through; only a hand-off that never comes (its announce threw) waits this long, and the batch
 * then publishes the event itself.
 */
const ANNOUNCEMENT_WAIT_MS = 5_000;

/** The most events one batch claims. */
const BATCH_SIZE = 200;

/**
 * How long after a commit the relay's batch waits before claiming, so that one batch takes the
 * events of many commits. The hand-off has published them already; the batch only gives them their
 * webhook deliveries and marks them published, and a batch per commit would double the database's
 * commits under load.
 */
export const BATCH_LINGER_MS = 25;

/** An event this relay will announce, or has: whether the announcement published it. */
interface Announcement {
  readonly published: Promise<boolean>;
  settle(published: boolean): void;
}

/**
 * How old an event another relay announced must be before this one claims it: that relay marks its
 * own events published right after their commit, so one still unpublished this late was left by a
 * relay that died between the commit and its batch. Generous, because claiming an event its
 * announcer is only slow to mark publishes it twice (harmless to subscribers, but wasted fan-out),
 * while the cost of waiting is only borne after a crash.
 */
export const OTHERS_ANNOUNCED_AFTER_MS = 30_000;

/**
 * The outbox relay. A transaction that records events hands them over the moment it commits
 * (`announce`), and they are published to pub/sub at once. The relay's batches then claim the
 * committed events, oldest first, run the sinks (webhook deliveries) and mark them published; they
 * publish only what no hand-off announced — an event whose process died between its commit and the
 * hand-off, or whose hand-off failed — so the outbox stays the source of truth. Each batch is
 * claimed with FOR UPDATE SKIP LOCKED, so several instances relay side by side; an event announced
 * by one instance is left to that instance's batches (see `OTHERS_ANNOUNCED_AFTER_MS`). A failed
 * publish or sink rolls back and is retried (at least once).
 */
export class OutboxRelay implements CommitHandOff {
  private readonly events: EventRepository;
  /** Names this relay in the events it announces (`event.announced_by`). */
  readonly origin = randomBytes(9).toString('base64url');
  /**
   * The events this relay's hand-off was told of (recorded in a transaction not yet ended, or
   * announced) and that no batch of it has marked published yet, oldest first.
   */
  private readonly announcements = new Map<string, Announcement>();
  /** Publishes of announcements under way (awaited on shutdown). */
  private readonly announcing = new Set<Promise<void>>();

  constructor(
    private readonly db: Database,
    private readonly pubsub: PubSub,
    private readonly sinks: readonly PublicationSink[],
    private readonly hooks: RelayHooks,
  ) {
    this.events = new EventRepository(db);
    handOffAtCommit(db.em, this);
  }

  /**
   * Publishes the events of a transaction that just committed, in order, without a claim: called
   * by the hand-off (`handOffAtCommit`), in the committing request's trace. A publish that fails is
   * left to the next batch.
   */
  announce(recorded: readonly RecordedEvent[]): void {
    const span = tracer.startSpan('outbox announce', {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.operation.type': 'send',
        'messaging.batch.message_count': recorded.length,
        [TillAttributes.eventIds]: recorded.map((event) => event.id),
        [TillAttributes.eventTypes]: recorded.map((event) => event.type),
      },
    });
    const announcements = recorded.map((event) => this.announcementOf(event.id));
    const publish = (event: RecordedEvent, i: number) => {
      const announcement = announcements[i]!;
      return attempt(() =>
        this.pubsub.publish(paymentTopic(event.merchantId, event.livemode), announcedMessage(event)),
      ).then(
        () => announcement.settle(true),
        (error: unknown) => {
          // A batch that claimed the event (or claims it next) publishes it.
          announcement.settle(false);
          recordFailure(span, error);
          this.hooks.onError(error);
          void this.kick();
        },
      );
    };
    // Published on the event loop's next turn: the committing request writes its answer first, and
    // then the fan-out to this instance's subscribers (which runs as the publish delivers) follows,
    // instead of holding the answer back by the time thousands of subscribers take.
    const done: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => Promise.all(recorded.map(publish)))
      .then(() => {
        span.end();
        this.announcing.delete(done);
      });
    this.announcing.add(done);
  }

  /** An event is being written in a transaction that will hand it to this relay if it commits. */
  expect(event: RecordedEvent): void {
    this.announcementOf(event.id);
  }

  /** The transaction that wrote these events rolled back. */
  withdraw(events: readonly RecordedEvent[]): void {
    for (const event of events) {
      this.announcements.get(event.id)?.settle(false);
      this.announcements.delete(event.id);
    }
  }

  /** The announcement of event `id`, remembered from now until a batch marks the event published. */
  private announcementOf(id: string): Announcement {
    let announcement = this.announcements.get(id);
    if (announcement) return announcement;
    let settle!: (published: boolean) => void;
    const published = new Promise<boolean>((resolve) => (settle = resolve));
    announcement = { published, settle };
    this.announcements.set(id, announcement);
    if (this.announcements.size > REMEMBERED_ANNOUNCEMENTS) {
      // The oldest is forgotten: a batch that claims its event publishes it (maybe again).
      const [oldest, forgotten] = this.announcements.entries().next().value!;
      forgotten.settle(false);
      this.announcements.delete(oldest);
    }
    return announcement;
  }

  /**
   * Whether this relay's hand-off published event `id`: false for an event it was never told of, or
   * whose announcement failed; waited for when the announcement is still under way.
   */
  private async announcedPublish(id: string): Promise<boolean> {
    const announcement = this.announcements.get(id);
    if (!announcement) return false;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ANNOUNCEMENT_WAIT_MS);
      timer.unref();
    });
    try {
      return await Promise.race([announcement.published, gaveUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A full batch is followed by another at once; a partial one took everything there was. */
  private readonly drain = new Drain(
    () => this.publishBatch(),
    (error) => this.hooks.onError(error),
    BATCH_SIZE,
  );
  private lingering: NodeJS.Timeout | null = null;

  /**
   * A transaction that recorded events committed: a batch runs within `BATCH_LINGER_MS`, together
   * with every other commit's in that time.
   */
  soon(): void {
    if (this.lingering) return;
    this.lingering = setTimeout(() => {
      this.lingering = null;
      void this.kick();
    }, BATCH_LINGER_MS);
    this.lingering.unref();
  }

  /**
   * Publishes everything pending now; coalesces calls made while a drain is already running. The
   * drain runs outside the caller's trace: a request that commits an event kicks the relay, but the
   * batch it publishes is not that request's work alone (see `publishBatch`).
   */
  kick(): Promise<void> {
    return context.with(ROOT_CONTEXT, () => this.drain.run());
  }

  /**
   * Publishes one batch; returns its size. A batch is traced as a span of its own, linked to the
   * request behind each of its events (the request whose commit kicked the relay is only one of
   * them). The span starts at the claim and ends after the commit; an empty claim — the workers'
   * poll — leaves none. The sinks run inside that span.
   */
  async publishBatch(batchSize = BATCH_SIZE): Promise<number> {
    const claimedAt = new Date();
    let span = undefined as Span | undefined;
    try {
      const batch = await this.db.em.fork().transactional(async (em) => {
        const rows = await this.events.claimUnpublished(em, batchSize, {
          origin: this.origin,
          othersAfterMs: OTHERS_ANNOUNCED_AFTER_MS,
        });
        if (rows.length === 0) return null;
        const announced = await Promise.all(rows.map((row) => this.announcedPublish(row.id)));
        span = publishSpan(rows, claimedAt, announced.filter(Boolean).length);
        return context.with(trace.setSpan(ROOT_CONTEXT, span), async () => {
          for (const [i, row] of rows.entries())
            if (!announced[i])
              await this.pubsub.publish(
                paymentTopic(row.merchant_id, row.livemode),
                JSON.stringify(messageOf(row)),
              );
          const published = rows.map((row) => ({
            id: row.id,
            type: row.type,
            merchantId: row.merchant_id,
            livemode: row.livemode,
          }));
          const written: number[] = [];
          for (const sink of this.sinks) written.push(await sink(em, published));
          await this.events.markPublished(
            em,
            rows.map((r) => r.seq),
          );
          return { published, written };
        });
      });
      if (!batch) return 0;
      for (const event of batch.published) this.announcements.delete(event.id);
      this.hooks.onCommitted?.(batch.published, batch.written);
      return batch.published.length;
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span?.end();
    }
  }

  /** Waits for the announcements under way to be published (or left to a batch). */
  async settled(): Promise<void> {
    await Promise.all(this.announcing);
  }

  /**
   * Waits for announcements under way and an in-flight drain, and runs the batch a commit scheduled
   * (used on shutdown so nothing committed is left unpublished).
   */
  async flush(): Promise<void> {
    if (this.lingering) clearTimeout(this.lingering);
    this.lingering = null;
    await this.settled();
    await this.kick();
  }
}

/** The message subscribers receive of an event a batch read back from its row. */
export function messageOf(row: Omit<OutboxRow, 'seq' | 'traceparent'>): PaymentEventMessage {
  const snapshot =
    typeof row.payment_snapshot === 'string' ? JSON.parse(row.payment_snapshot) : row.payment_snapshot;
  return eventMessage(eventFromRow(row), row.merchant_id, snapshot);
}

/**
 * The message subscribers receive: the event, its merchant, and the payment as it is after it (the
 * snapshot, or for a payment event its own object). The hand-off and the batches both build it
 * here, from the same values, so it is the same text either way.
 */
function eventMessage(
  event: TillEvent,
  merchantId: string,
  snapshot: PaymentEventMessage['payment'] | null,
): PaymentEventMessage {
  return {
    ...event,
    merchant_id: merchantId,
    payment: snapshot ?? (event.data.object as PaymentEventMessage['payment']),
  };
}

/** `publish()`'s promise, or a rejected one if it throws before returning one. */
function attempt(publish: () => Promise<void>): Promise<void> {
  try {
    return publish();
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * The message a batch would publish for `event` once it read the row back, serialised once: `data`
 * and the snapshot as `jsonb` returns them (object keys shortest first, then bytewise), `created_at`
 * in whole seconds as `extract(epoch …)::bigint` rounds it.
 */
function announcedMessage(event: RecordedEvent): string {
  const message = eventMessage(
    eventObject({
      id: event.id,
      type: event.type,
      createdAt: Math.round(event.createdAt.getTime() / 1000),
      livemode: event.livemode,
      object: asJsonb(event.data.object) as TillEvent['data']['object'],
    }),
    event.merchantId,
    asJsonb(event.paymentSnapshot) as PaymentEventMessage['payment'] | null,
  );
  // Serialised without a replacer, which would take JSON.stringify off its fast path.
  return JSON.stringify(message);
}

/**
 * `value` as a `jsonb` column returns it: JSON values only (`toJSON` applied), every object's keys
 * in jsonb's order — shorter (in UTF-8 bytes) first, then bytewise.
 */
function asJsonb(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
    return asJsonb((value as { toJSON(): unknown }).toJSON());
  if (Array.isArray(value)) return value.map(asJsonb);
  const object = value as Record<string, unknown>;
  const ordered: Record<string, unknown> = {};
  for (const key of jsonbOrderOf(Object.keys(object))) ordered[key] = asJsonb(object[key]);
  return ordered;
}

/** Key lists already put in `jsonb`'s order, by the list (payloads repeat a few shapes). */
const jsonbOrders = new Map<string, readonly string[]>();
const JSONB_ORDERS_KEPT = 1000;

function jsonbOrderOf(keys: string[]): readonly string[] {
  const shape = keys.join('\u0000');
  const known = jsonbOrders.get(shape);
  if (known) return known;
  const sorted = keys
    .map((key) => ({ key, bytes: Buffer.from(key, 'utf8') }))
    .sort((a, b) => a.bytes.length - b.bytes.length || Buffer.compare(a.bytes, b.bytes))
    .map(({ key }) => key);
  if (jsonbOrders.size < JSONB_ORDERS_KEPT) jsonbOrders.set(shape, sorted);
  return sorted;
}

/**
 * The span of one batch: which events it claimed (and how many of them a hand-off had already
 * published), and a link to the request behind each.
 */
function publishSpan(rows: OutboxRow[], claimedAt: Date, announced: number): Span {
  return tracer.startSpan('outbox publish', {
    root: true,
    kind: SpanKind.PRODUCER,
    startTime: claimedAt,
    links: rows.flatMap((row) => linkTo(row.traceparent, { [TillAttributes.eventId]: row.id })),
    attributes: {
      'messaging.operation.type': 'send',
      'messaging.batch.message_count': rows.length,
      [TillAttributes.eventIds]: rows.map((row) => row.id),
      [TillAttributes.eventTypes]: rows.map((row) => row.type),
      'till.outbox.announced_count': announced,
    },
  });
}
