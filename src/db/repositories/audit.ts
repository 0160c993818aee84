import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Database } from '../orm.js';

/** An `audit_log` row as written. */
export interface NewAuditRow {
  id: string;
  merchantId: string | null;
  livemode: boolean | null;
  actorType: string;
  actorId: string | null;
  action: string;
  objectType: string;
  objectId: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

/** An `audit_log` row as read. */
export interface AuditRow {
  id: string;
  merchant_id: string | null;
  livemode: boolean | null;
  actor_type: string;
  actor_id: string | null;
  action: string;
  object_type: string;
  object_id: string | null;
  request_id: string | null;
  details: Record<string, unknown> | string;
  created_at_unix: string | number;
}

/** Which entries a read covers: one merchant (and mode, plus its entries of no mode), or all. */
export type AuditFilter = { merchantId: string; livemode?: boolean } | 'all';

const COLUMNS = `id, merchant_id, livemode, actor_type, actor_id, action, object_type, object_id, request_id,
  details, extract(epoch from created_at)::bigint as created_at_unix`;

/**
 * The audit log's table. Append-only by construction: this is the only code that touches it, and it
 * can only insert and read.
 */
export class AuditRepository {
  constructor(private readonly db: Database) {}

  /** Appends one entry; inside `tx` when given, so it commits with the change it records. */
  async append(row: NewAuditRow, tx: SqlEntityManager = this.db.em.fork()): Promise<void> {
    await tx.execute(
      `insert into audit_log (id, merchant_id, livemode, actor_type, actor_id, action, object_type, object_id,
         request_id, details, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())`,
      [
        row.id,
        row.merchantId,
        row.livemode,
        row.actorType,
        row.actorId,
        row.action,
        row.objectType,
        row.objectId,
        row.requestId,
        JSON.stringify(row.details),
      ],
    );
  }

  /**
   * Newest first, at most `limit`; after the entry `startingAfter` when given (null when the filter
   * cannot see that entry).
   */
  async list(
    filter: AuditFilter,
    page: { limit: number; startingAfter?: string | null },
  ): Promise<AuditRow[] | null> {
    const em = this.db.em.fork();
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter !== 'all') {
      where.push('merchant_id = ?');
      params.push(filter.merchantId);
      if (filter.livemode !== undefined) {
        where.push('(livemode is null or livemode = ?)');
        params.push(filter.livemode);
      }
    }
    if (page.startingAfter) {
      const [cursor] = await em.execute<{ seq: string }[]>(
        `select seq from audit_log where id = ?${where.length ? ` and ${where.join(' and ')}` : ''}`,
        [page.startingAfter, ...params],
      );
      if (!cursor) return null;
      where.push('seq < ?');
      params.push(cursor.seq);
    }
    return em.execute<AuditRow[]>(
      `select ${COLUMNS} from audit_log ${where.length ? `where ${where.join(' and ')}` : ''}
       order by seq desc limit ?`,
      [...params, page.limit],
    );
  }
}
