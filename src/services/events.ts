import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Database } from '../db/orm.js';
import { notFound } from '../domain/errors.js';
import { EVENT_ID_PATTERN } from '../domain/ids.js';
import { eventFromRow, type EventRow, type TillEvent } from '../events/outbox.js';
import type { Principal } from './principal.js';

const COLUMNS = 'id, type, livemode, data, extract(epoch from created_at)::bigint as created_at_unix';

/** The events API: the outbox, read back — the same ids as webhooks and subscriptions. */
export class EventService {
  constructor(private readonly db: Database) {}

  async get(principal: Principal, id: string): Promise<TillEvent> {
    const [row] = EVENT_ID_PATTERN.test(id)
      ? await this.db.em
          .fork()
          .execute<EventRow[]>(
            `select ${COLUMNS} from event where id = ? and merchant_id = ? and livemode = ?`,
            [id, principal.merchantId, principal.livemode],
          )
      : [];
    if (!row) throw notFound('event', id);
    return eventFromRow(row);
  }

  /** Newest first; `startingAfter` an event id of this principal; `type` an exact type or `prefix.*`. */
  async list(
    principal: Principal,
    options: { limit: number; startingAfter?: string | null; type?: string | null },
  ): Promise<{ data: TillEvent[]; hasMore: boolean }> {
    const em = this.db.em.fork();
    const where = ['merchant_id = ?', 'livemode = ?'];
    const params: unknown[] = [principal.merchantId, principal.livemode];
    if (options.startingAfter) {
      where.push('seq < ?');
      params.push(await seqOf(em, principal, options.startingAfter, 'starting_after'));
    }
    if (options.type) {
      if (options.type.endsWith('.*')) {
        where.push('type like ?');
        params.push(`${options.type.slice(0, -1)}%`);
      } else {
        where.push('type = ?');
        params.push(options.type);
      }
    }
    const rows = await em.execute<EventRow[]>(
      `select ${COLUMNS} from event where ${where.join(' and ')} order by seq desc limit ?`,
      [...params, options.limit + 1],
    );
    return { data: rows.slice(0, options.limit).map(eventFromRow), hasMore: rows.length > options.limit };
  }

  /**
   * The principal's events after `eventId`, oldest first, at most `limit`: what a subscriber that
   * resumes missed.
   */
  async after(principal: Principal, eventId: string, limit = 100): Promise<TillEvent[]> {
    const em = this.db.em.fork();
    const seq = await seqOf(em, principal, eventId, 'after');
    const rows = await em.execute<EventRow[]>(
      `select ${COLUMNS} from event where merchant_id = ? and livemode = ? and seq > ? order by seq limit ?`,
      [principal.merchantId, principal.livemode, seq, limit],
    );
    return rows.map(eventFromRow);
  }
}

/** Where one of the principal's events is in the outbox, for paging from it. */
async function seqOf(em: SqlEntityManager, principal: Principal, id: string, param: string): Promise<string> {
  const [row] = EVENT_ID_PATTERN.test(id)
    ? await em.execute<{ seq: string }[]>(
        'select seq from event where id = ? and merchant_id = ? and livemode = ?',
        [id, principal.merchantId, principal.livemode],
      )
    : [];
  if (!row) throw notFound('event', id, param);
  return row.seq;
}
