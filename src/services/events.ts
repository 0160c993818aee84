import type { Database } from '../db/orm.js';
import { notFound } from '../domain/errors.js';
import { EVENT_ID_PATTERN } from '../domain/ids.js';
import type { TillEvent } from '../events/outbox.js';
import type { Principal } from './principal.js';

interface EventRow {
  id: string;
  type: string;
  livemode: boolean;
  data: TillEvent['data'] | string;
  created_at_unix: string | number;
}

const toEvent = (row: EventRow): TillEvent => ({
  id: row.id,
  object: 'event',
  type: row.type,
  created_at: Number(row.created_at_unix),
  livemode: row.livemode,
  data: typeof row.data === 'string' ? JSON.parse(row.data) : row.data,
});

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
    return toEvent(row);
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
      const [cursor] = EVENT_ID_PATTERN.test(options.startingAfter)
        ? await em.execute<{ seq: string }[]>(
            'select seq from event where id = ? and merchant_id = ? and livemode = ?',
            [options.startingAfter, principal.merchantId, principal.livemode],
          )
        : [];
      if (!cursor) throw notFound('event', options.startingAfter, 'starting_after');
      where.push('seq < ?');
      params.push(cursor.seq);
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
    return { data: rows.slice(0, options.limit).map(toEvent), hasMore: rows.length > options.limit };
  }
}
