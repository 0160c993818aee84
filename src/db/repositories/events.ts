import type { SqlEntityManager } from '@mikro-orm/sql';
import type { EventRow, PaymentEventMessage } from '../../events/outbox.js';
import type { Database } from '../orm.js';
import { TEST_EVENT_TYPE } from './webhook-deliveries.js';

/** An unpublished event as the relay claims it: the row, its place in the outbox and its trace. */
export interface OutboxRow extends EventRow {
  seq: string | number;
  merchant_id: string;
  payment_snapshot: PaymentEventMessage['payment'] | string | null;
  traceparent: string | null;
}

/** Which of one merchant's events (in one mode) a read covers. */
export interface EventOwner {
  merchantId: string;
  livemode: boolean;
}

const COLUMNS = 'id, type, livemode, data, extract(epoch from created_at)::bigint as created_at_unix';

/** The `event` table: the outbox the relay drains, and the events API reading it back. */
export class EventRepository {
  constructor(private readonly db: Database) {}

  /**
   * Up to `limit` unpublished events, oldest first, locked for `tx`: FOR UPDATE SKIP LOCKED, so
   * relays on several instances claim disjoint batches. With `relay`, an event another relay
   * announced at commit is claimed only once it is `othersAfterMs` old (that relay died before it
   * got to it); its own and unannounced events are claimed at once.
   */
  claimUnpublished(
    tx: SqlEntityManager,
    limit: number,
    relay?: { origin: string; othersAfterMs: number },
  ): Promise<OutboxRow[]> {
    const mine = relay
      ? `and (announced_by is null or announced_by = ? or created_at < now() - ? * interval '1 millisecond')`
      : '';
    return tx.execute<OutboxRow[]>(
      `select seq, id, type, merchant_id, livemode, data, payment_snapshot, traceparent,
                extract(epoch from created_at)::bigint as created_at_unix
           from event where published_at is null ${mine} order by seq limit ? for update skip locked`,
      relay ? [relay.origin, relay.othersAfterMs, limit] : [limit],
    );
  }

  async markPublished(tx: SqlEntityManager, seqs: readonly (string | number)[]): Promise<void> {
    await tx.execute(
      `update event set published_at = now() where seq in (${seqs.map(() => '?').join(',')})`,
      [...seqs],
    );
  }

  async find(owner: EventOwner, id: string): Promise<EventRow | undefined> {
    const [row] = await this.db.em
      .fork()
      .execute<EventRow[]>(`select ${COLUMNS} from event where id = ? and merchant_id = ? and livemode = ?`, [
        id,
        owner.merchantId,
        owner.livemode,
      ]);
    return row;
  }

  /** Where one of the owner's events is in the outbox (for paging from it), or undefined. */
  async seqOf(owner: EventOwner, id: string): Promise<string | undefined> {
    const [row] = await this.db.em
      .fork()
      .execute<{ seq: string }[]>('select seq from event where id = ? and merchant_id = ? and livemode = ?', [
        id,
        owner.merchantId,
        owner.livemode,
      ]);
    return row?.seq;
  }

  /**
   * Newest first, at most `limit`, before `beforeSeq` when given; `type` an exact type, or a prefix
   * when given as `prefix` (matched with LIKE).
   */
  list(
    owner: EventOwner,
    filter: { limit: number; beforeSeq?: string; type?: { exact: string } | { prefix: string } },
  ): Promise<EventRow[]> {
    // Test events sent to one webhook endpoint are not events of the account.
    const where = ['merchant_id = ?', 'livemode = ?', `type <> '${TEST_EVENT_TYPE}'`];
    const params: unknown[] = [owner.merchantId, owner.livemode];
    if (filter.beforeSeq !== undefined) {
      where.push('seq < ?');
      params.push(filter.beforeSeq);
    }
    if (filter.type && 'prefix' in filter.type) {
      where.push('type like ?');
      params.push(`${filter.type.prefix}%`);
    } else if (filter.type) {
      where.push('type = ?');
      params.push(filter.type.exact);
    }
    return this.db.em
      .fork()
      .execute<EventRow[]>(
        `select ${COLUMNS} from event where ${where.join(' and ')} order by seq desc limit ?`,
        [...params, filter.limit],
      );
  }

  /**
   * The events of some of the owner's payments (their refunds' included), oldest first, at most
   * `limitEach` per payment.
   */
  async ofPayments(
    owner: EventOwner,
    paymentIds: readonly string[],
    limitEach: number,
  ): Promise<(EventRow & { payment_id: string })[]> {
    if (paymentIds.length === 0) return [];
    return this.db.em.fork().execute<(EventRow & { payment_id: string })[]>(
      `select * from (
         select ${COLUMNS}, payment_id, seq, row_number() over (partition by payment_id order by seq) as n
           from event where payment_id in (${paymentIds.map(() => '?').join(',')}) and merchant_id = ? and livemode = ?
       ) e where n <= ? order by seq`,
      [...paymentIds, owner.merchantId, owner.livemode, limitEach],
    );
  }

  /** The owner's events after `afterSeq`, oldest first, at most `limit`. */
  after(owner: EventOwner, afterSeq: string, limit: number): Promise<EventRow[]> {
    return this.db.em.fork().execute<EventRow[]>(
      `select ${COLUMNS} from event where merchant_id = ? and livemode = ? and seq > ? and type <> '${TEST_EVENT_TYPE}'
          order by seq limit ?`,
      [owner.merchantId, owner.livemode, afterSeq, limit],
    );
  }
}
