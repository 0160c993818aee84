import { context, ROOT_CONTEXT, SpanKind, trace, type Span } from '@opentelemetry/api';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Database } from '../db/orm.js';
import { EventRepository, type OutboxRow } from '../db/repositories/events.js';
import { linkTo, recordFailure, TillAttributes, tracer } from '../tracing/spans.js';
import { eventFromRow, type PaymentEventMessage } from './outbox.js';
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

/**
 * The outbox relay: publishes committed events to pub/sub, oldest first, and marks them published.
 * Each batch is claimed with FOR UPDATE SKIP LOCKED, so several instances relay side by side
 * without publishing an event twice; a failed publish or sink rolls back and is retried (at least
 * once).
 */
export class OutboxRelay {
  private readonly events: EventRepository;

  constructor(
    private readonly db: Database,
    private readonly pubsub: PubSub,
    private readonly sinks: readonly PublicationSink[],
    private readonly hooks: RelayHooks,
  ) {
    this.events = new EventRepository(db);
  }

  private readonly drain = new Drain(
    () => this.publishBatch(),
    (error) => this.hooks.onError(error),
  );

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
  async publishBatch(batchSize = 200): Promise<number> {
    const claimedAt = new Date();
    let span = undefined as Span | undefined;
    try {
      const batch = await this.db.em.fork().transactional(async (em) => {
        const rows = await this.events.claimUnpublished(em, batchSize);
        if (rows.length === 0) return null;
        span = publishSpan(rows, claimedAt);
        return context.with(trace.setSpan(ROOT_CONTEXT, span), async () => {
          for (const row of rows)
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
      this.hooks.onCommitted?.(batch.published, batch.written);
      return batch.published.length;
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span?.end();
    }
  }

  /** Waits for an in-flight drain (used on shutdown so nothing committed is left unpublished). */
  async flush(): Promise<void> {
    await this.kick();
  }
}

/** The message subscribers receive: the event, its merchant, and the payment as it is after it. */
function messageOf(row: OutboxRow): PaymentEventMessage {
  const event = eventFromRow(row);
  const snapshot =
    typeof row.payment_snapshot === 'string' ? JSON.parse(row.payment_snapshot) : row.payment_snapshot;
  return {
    ...event,
    merchant_id: row.merchant_id,
    payment: snapshot ?? (event.data.object as PaymentEventMessage['payment']),
  };
}

/** The span of one published batch: which events, and a link to the request behind each. */
function publishSpan(rows: OutboxRow[], claimedAt: Date): Span {
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
    },
  });
}
