import type { SqlEntityManager } from '@mikro-orm/sql';
import { EventSchema } from '../db/entities/event.entity.js';
import { newId } from '../domain/ids.js';
import type { PaymentRecord } from '../domain/payment.js';
import { activeTraceparent } from '../tracing/spans.js';
import type { PaymentPayload, RefundPayload } from './payment-payload.js';
import type { EventType } from './topics.js';

/**
 * Seed-style event (`{id, type, created_at, livemode, data: {object}}`): the body of webhooks and of
 * the events API, the same ids everywhere.
 */
export interface TillEvent {
  id: string;
  object: 'event';
  type: EventType;
  created_at: number;
  livemode: boolean;
  data: { object: PaymentPayload | RefundPayload };
}

/** What the relay publishes: the event plus, for subscribers, the payment as it is after it. */
export interface PaymentEventMessage extends TillEvent {
  merchant_id: string;
  payment: PaymentPayload;
}

/**
 * A published message, parsed. Every subscriber of a topic receives the same message string, one
 * after the other: parsing it once (and sharing the object, which nobody mutates) keeps fan-out to
 * thousands of subscribers cheap.
 */
export function parseEventMessage(raw: string): PaymentEventMessage {
  if (raw !== parsed.raw) parsed = { raw, message: JSON.parse(raw) as PaymentEventMessage };
  return parsed.message!;
}
let parsed: { raw: string | null; message: PaymentEventMessage | null } = { raw: null, message: null };

/** An event's parts, whoever holds them: a stored row, a published message, a GraphQL `Event`. */
export interface EventParts {
  id: string;
  type: EventType;
  /** Unix seconds. */
  createdAt: number;
  livemode: boolean;
  object: PaymentPayload | RefundPayload;
}

/**
 * The event object. Webhooks, the events API, subscriptions and `till listen` all send what this
 * returns, so a receiver sees the same bytes for the same event whichever way it arrived.
 */
export function eventObject(parts: EventParts): TillEvent {
  return {
    id: parts.id,
    object: 'event',
    type: parts.type,
    created_at: parts.createdAt,
    livemode: parts.livemode,
    data: { object: parts.object },
  };
}

/** The columns of the `event` table an event is read back from (`data` is text on some drivers). */
export interface EventRow {
  id: string;
  type: string;
  livemode: boolean;
  data: TillEvent['data'] | string;
  created_at_unix: string | number;
}

/** The event a stored row holds. */
export function eventFromRow(row: EventRow): TillEvent {
  const data = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as TillEvent['data'];
  return eventObject({
    id: row.id,
    // Only producers write events, and they can name only catalogued types.
    type: row.type as EventType,
    createdAt: Number(row.created_at_unix),
    livemode: row.livemode,
    object: data.object,
  });
}

/**
 * An event as its transaction wrote it, kept until the transaction ends: on commit it is handed to
 * the relay of this process, which publishes it at once; on rollback it is dropped.
 */
export interface RecordedEvent {
  id: string;
  type: EventType;
  merchantId: string;
  livemode: boolean;
  createdAt: Date;
  data: TillEvent['data'];
  paymentSnapshot: PaymentPayload | null;
}

/** Who publishes the events a transaction recorded, the moment it commits. */
export interface CommitHandOff {
  /** Written with each event it will announce, so other instances' relays leave that event to it. */
  readonly origin: string;
  /**
   * Told of each event as its transaction writes it, before the commit: the database makes a commit
   * visible to other connections before the committing one hears it went through, so a batch may
   * claim the event before `announce` is called, and must know to leave its publish to the hand-off.
   */
  expect(event: RecordedEvent): void;
  /** Called once per committed transaction that recorded events, in the order they were recorded. */
  announce(events: readonly RecordedEvent[]): void;
  /** Called with the events of a transaction that rolled back: they will never be announced. */
  withdraw(events: readonly RecordedEvent[]): void;
}

/** One hand-off per ORM (keyed by its configuration, which every fork shares). */
const handOffs = new WeakMap<object, CommitHandOff>();
/** The events each open transaction recorded (keyed by its transaction context). */
const recorded = new WeakMap<object, RecordedEvent[]>();

/**
 * Hands every event that `recordPaymentEvent` writes through `em`'s ORM to `handOff` once its
 * transaction commits (MikroORM's `afterTransactionCommit`). A later call replaces the hand-off.
 */
export function handOffAtCommit(em: SqlEntityManager, handOff: CommitHandOff): void {
  const events = em.getEventManager();
  if (!handOffs.has(em.config))
    events.registerSubscriber({
      afterTransactionCommit: ({ transaction }) => {
        const committed = transaction && recorded.get(transaction);
        if (!committed) return;
        recorded.delete(transaction);
        // The commit has happened: nothing here may make the committing caller see a failure.
        try {
          handOffs.get(em.config)?.announce(committed);
        } catch {
          // The relay's next batch publishes what was not announced.
        }
      },
      afterTransactionRollback: ({ transaction }) => {
        const dropped = transaction && recorded.get(transaction);
        if (!dropped) return;
        recorded.delete(transaction);
        handOffs.get(em.config)?.withdraw(dropped);
      },
    });
  handOffs.set(em.config, handOff);
}

/**
 * Queues an event in the caller's transaction (the transactional outbox): the event exists exactly
 * when the change it describes was committed. `snapshot` is the payment as the change left it; the
 * event carries it, or, for a refund event, `object` with the snapshot alongside for subscribers.
 *
 * When the ORM has a hand-off (see `handOffAtCommit`) and `em` is in a top-level transaction, the
 * event is handed to it at commit and the row names its origin. A savepoint's events are left to
 * the relay's batches: whether they commit is decided with the enclosing transaction.
 */
export async function recordPaymentEvent(
  em: SqlEntityManager,
  payment: Pick<PaymentRecord, 'id' | 'merchantId' | 'livemode'>,
  type: EventType,
  snapshot: PaymentPayload,
  object?: RefundPayload,
): Promise<void> {
  const event: RecordedEvent = {
    id: newId.event(),
    merchantId: payment.merchantId,
    livemode: payment.livemode,
    type,
    data: { object: object ?? snapshot },
    paymentSnapshot: object ? snapshot : null,
    createdAt: new Date(),
  };
  await em.insert(EventSchema, {
    ...event,
    paymentId: payment.id,
    publishedAt: null,
    announcedBy: announceAtCommit(em, event),
    // Whoever publishes or delivers the event later links its span to the request that committed it.
    traceparent: activeTraceparent(),
  });
}

/**
 * Keeps `event`, which the caller writes in `em`'s transaction, for the hand-off at that
 * transaction's commit, and returns the origin its row must name (`announced_by`). Null when there
 * is no hand-off, no transaction, or only a savepoint: such an event is left to the relay's batches.
 * Every writer of an outbox row calls it (`recordPaymentEvent`, the create path's own INSERT).
 */
export function announceAtCommit(em: SqlEntityManager, event: RecordedEvent): string | null {
  const handOff = handOffs.get(em.config);
  const transaction = handOff ? (em.getTransactionContext() as object | undefined) : undefined;
  if (transaction === undefined || 'savepointName' in transaction) return null;
  const list = recorded.get(transaction);
  if (list) list.push(event);
  else recorded.set(transaction, [event]);
  handOff!.expect(event);
  return handOff!.origin;
}
