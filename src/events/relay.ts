import { context, ROOT_CONTEXT, SpanKind, trace, type Span } from '@opentelemetry/api';
import type { Database } from '../db/orm.js';
import { linkTo, recordFailure, TillAttributes, tracer } from '../tracing/spans.js';
import { eventFromRow, type EventRow, type PaymentEventMessage } from './outbox.js';
import { Drain } from './drain.js';
import type { PubSub } from './pubsub.js';
import { paymentTopic } from './topics.js';

interface OutboxRow extends EventRow {
  seq: string | number;
  merchant_id: string;
  payment_snapshot: PaymentEventMessage['payment'] | string | null;
  traceparent: string | null;
}

/**
 * The outbox relay: publishes committed events to pub/sub, oldest first, and marks them published.
 * Each batch is claimed with FOR UPDATE SKIP LOCKED, so several instances relay side by side
 * without publishing an event twice; a failed publish rolls back and is retried (at least once).
 */
export class OutboxRelay {
  constructor(
    private readonly db: Database,
    private readonly pubsub: PubSub,
    private readonly onError: (error: unknown) => void,
    /** Told when a batch created webhook deliveries, so the dispatcher sends them at once. */
    private readonly onDeliveries: () => void = () => {},
    /** Told what a committed batch published (for metrics). */
    private readonly onPublished: (events: { type: string; livemode: boolean }[]) => void = () => {},
  ) {}

  private readonly drain = new Drain(
    () => this.publishBatch(),
    (error) => this.onError(error),
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
   * poll — leaves none.
   */
  async publishBatch(batchSize = 200): Promise<number> {
    let deliveries = 0;
    let sent: { type: string; livemode: boolean }[] = [];
    const claimedAt = new Date();
    let span = undefined as Span | undefined;
    try {
      const published = await this.db.em.fork().transactional(async (em) => {
        const rows = await em.execute<OutboxRow[]>(
          `select seq, id, type, merchant_id, livemode, data, payment_snapshot, traceparent,
                    extract(epoch from created_at)::bigint as created_at_unix
               from event where published_at is null order by seq limit ? for update skip locked`,
          [batchSize],
        );
        if (rows.length === 0) return 0;
        span = publishSpan(rows, claimedAt);
        return context.with(trace.setSpan(ROOT_CONTEXT, span), async () => {
          for (const row of rows) {
            const event = eventFromRow(row);
            const snapshot =
              typeof row.payment_snapshot === 'string'
                ? JSON.parse(row.payment_snapshot)
                : row.payment_snapshot;
            const message: PaymentEventMessage = {
              ...event,
              merchant_id: row.merchant_id,
              payment: snapshot ?? (event.data.object as PaymentEventMessage['payment']),
            };
            await this.pubsub.publish(paymentTopic(row.merchant_id, row.livemode), JSON.stringify(message));
            // Webhooks: one delivery per subscribed endpoint, created with the publication, atomically;
            // due at once, or when the endpoint's circuit breaker lets deliveries through again.
            const created = await em.execute<{ id: string }[]>(
              `insert into webhook_delivery (id, endpoint_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)
                 select 'wd_' || substr(md5(random()::text || clock_timestamp()::text || e.id), 1, 24), e.id, ?, 'pending', 0,
                        greatest(now(), e.breaker_open_until), now(), now()
                   from webhook_endpoint e
                  where e.merchant_id = ? and e.livemode = ? and e.status = 'enabled'
                    and ('*' = any(e.enabled_events) or ? = any(e.enabled_events))
                 on conflict (endpoint_id, event_id) do nothing
                 returning id`,
              [row.id, row.merchant_id, row.livemode, row.type],
            );
            deliveries += created.length;
          }
          await em.execute(
            `update event set published_at = now() where seq in (${rows.map(() => '?').join(',')})`,
            [...rows.map((r) => r.seq)],
          );
          sent = rows.map((r) => ({ type: r.type, livemode: r.livemode }));
          return rows.length;
        });
      });
      span?.setAttribute(TillAttributes.webhookDeliveries, deliveries);
      if (deliveries > 0) this.onDeliveries();
      if (sent.length > 0) this.onPublished(sent);
      return published;
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
