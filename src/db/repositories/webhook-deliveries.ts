import type { Database } from '../orm.js';
import type { PaymentScope } from './payments.js';

/** A delivery as the delivery log shows it: its event, its endpoint and its latest attempt. */
export interface DeliveryLogRow {
  id: string;
  seq: string | number;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  payment_id: string | null;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  response_status: number | null;
  response_excerpt: string | null;
  created_at: Date | string;
  last_attempt_at: Date | string | null;
  next_attempt_at: Date | string | null;
}

/** The type of the test events a merchant sends to one endpoint (never published, never listed as events). */
export const TEST_EVENT_TYPE = 'ping';

/**
 * The log's columns, scoped to one merchant and mode through the endpoint (parameters: merchant,
 * livemode). The latest attempt's answer is shown, or its error when nothing answered; a pending
 * delivery's next attempt waits for the endpoint's circuit breaker too.
 */
const SELECT = `
  select d.id, d.seq, d.endpoint_id, d.event_id, e.type as event_type, e.payment_id, d.status, d.attempts,
         la.status_code as response_status, coalesce(la.response_excerpt, la.error) as response_excerpt,
         d.created_at, la.attempted_at as last_attempt_at,
         case when d.status = 'pending' then greatest(d.next_attempt_at, w.breaker_open_until)
              else d.next_attempt_at end as next_attempt_at
    from webhook_delivery d
    join webhook_endpoint w on w.id = d.endpoint_id and w.merchant_id = ? and w.livemode = ?
    join event e on e.id = d.event_id
    left join lateral (
      select a.status_code, a.response_excerpt, a.error, a.attempted_at from webhook_attempt a
       where a.delivery_id = d.id order by a.attempted_at desc limit 1
    ) la on true`;

/** The webhook delivery log: a scope's deliveries with their latest attempts, and test events. */
export class WebhookDeliveryRepository {
  constructor(private readonly db: Database) {}

  /** Newest first, at most `limit`, inserted before `beforeSeq` when given. */
  list(
    scope: PaymentScope,
    filter: {
      limit: number;
      endpointId?: string | null;
      paymentIds?: readonly string[] | null;
      beforeSeq?: string | null;
    },
  ): Promise<DeliveryLogRow[]> {
    const where: string[] = [];
    const params: unknown[] = [scope.merchantId, scope.livemode];
    if (filter.endpointId) {
      where.push('d.endpoint_id = ?');
      params.push(filter.endpointId);
    }
    if (filter.paymentIds) {
      if (filter.paymentIds.length === 0) return Promise.resolve([]);
      where.push(`e.payment_id in (${filter.paymentIds.map(() => '?').join(',')})`);
      params.push(...filter.paymentIds);
    }
    if (filter.beforeSeq) {
      where.push('d.seq < ?');
      params.push(filter.beforeSeq);
    }
    return this.db.em
      .fork()
      .execute<DeliveryLogRow[]>(
        `${SELECT} ${where.length ? `where ${where.join(' and ')}` : ''} order by d.seq desc limit ?`,
        [...params, filter.limit],
      );
  }

  async find(scope: PaymentScope, id: string): Promise<DeliveryLogRow | undefined> {
    const [row] = await this.db.em
      .fork()
      .execute<DeliveryLogRow[]>(`${SELECT} where d.id = ?`, [scope.merchantId, scope.livemode, id]);
    return row;
  }

  /**
   * A test event for one endpoint and its pending delivery, due now (past the endpoint's circuit
   * breaker, like a manual redelivery). The event is stored as already
   * published, so the relay neither broadcasts it nor delivers it to the merchant's other endpoints.
   */
  async insertTestDelivery(
    scope: PaymentScope,
    ids: { eventId: string; deliveryId: string; endpointId: string },
    object: Record<string, unknown>,
  ): Promise<void> {
    await this.db.em.fork().transactional(async (em) => {
      await em.execute(
        `insert into event (id, merchant_id, livemode, type, payment_id, data, created_at, published_at)
         values (?, ?, ?, ?, null, ?::jsonb, now(), now())`,
        [ids.eventId, scope.merchantId, scope.livemode, TEST_EVENT_TYPE, JSON.stringify({ object })],
      );
      await em.execute(
        `insert into webhook_delivery (id, endpoint_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)
         values (?, ?, ?, 'pending', 0, now(), now(), now())`,
        [ids.deliveryId, ids.endpointId, ids.eventId],
      );
      // Asked for by the merchant, it goes now even past an open circuit breaker, as the probe.
      await em.execute('update webhook_endpoint set breaker_open_until = null where id = ?', [
        ids.endpointId,
      ]);
    });
  }
}
