import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Database } from '../db/orm.js';
import { notFound } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { Actor } from './principal.js';

/** The security-relevant actions Till records. One closed list, so a reader can see them all. */
export const AUDIT_ACTIONS = [
  'merchant.created',
  'api_key.created',
  'api_key.rolled',
  'api_key.revoked',
  'oauth_credentials.rotated',
  'access_token.revoked',
  'signing_key.rotated',
  'webhook_endpoint.created',
  'webhook_endpoint.updated',
  'webhook_endpoint.deleted',
  'webhook_endpoint.secret_rotated',
  'payment.captured',
  'payment.voided',
  'refund.created',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditRecord {
  merchantId: string | null;
  livemode: boolean | null;
  actor: Actor;
  action: AuditAction;
  objectType: string;
  objectId: string | null;
  details?: Record<string, unknown>;
}

/** An audit entry as the APIs show it. */
export interface AuditEntryObject {
  id: string;
  object: 'audit_entry';
  merchant_id: string | null;
  livemode: boolean | null;
  actor: { type: Actor['type']; id: string | null };
  action: AuditAction;
  object_type: string;
  object_id: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
  created_at: number;
}

interface AuditRow {
  id: string;
  merchant_id: string | null;
  livemode: boolean | null;
  actor_type: Actor['type'];
  actor_id: string | null;
  action: AuditAction;
  object_type: string;
  object_id: string | null;
  request_id: string | null;
  details: Record<string, unknown> | string;
  created_at_unix: string | number;
}

const toObject = (row: AuditRow): AuditEntryObject => ({
  id: row.id,
  object: 'audit_entry',
  merchant_id: row.merchant_id,
  livemode: row.livemode,
  actor: { type: row.actor_type, id: row.actor_id },
  action: row.action,
  object_type: row.object_type,
  object_id: row.object_id,
  request_id: row.request_id,
  details: typeof row.details === 'string' ? JSON.parse(row.details) : row.details,
  created_at: Number(row.created_at_unix),
});

const COLUMNS = `id, merchant_id, livemode, actor_type, actor_id, action, object_type, object_id, request_id,
  details, extract(epoch from created_at)::bigint as created_at_unix`;

/** Which entries a reader may see: one merchant (and mode), or everything (the operator). */
export type AuditScope = { merchantId: string; livemode?: boolean } | 'all';

/**
 * The audit log. Append-only by construction: this class is the only code that touches the
 * table, and it can only insert and read.
 */
export class AuditLog {
  constructor(private readonly db: Database) {}

  /** Appends one entry; inside `em`'s transaction when given, so it commits with the change. */
  async record(entry: AuditRecord, em?: SqlEntityManager): Promise<void> {
    await (em ?? this.db.em.fork()).execute(
      `insert into audit_log (id, merchant_id, livemode, actor_type, actor_id, action, object_type, object_id,
         request_id, details, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())`,
      [
        newId.auditEntry(),
        entry.merchantId,
        entry.livemode,
        entry.actor.type,
        entry.actor.id,
        entry.action,
        entry.objectType,
        entry.objectId,
        entry.actor.requestId,
        JSON.stringify(entry.details ?? {}),
      ],
    );
  }

  /**
   * Newest first. A merchant-and-mode scope also sees the merchant's entries that concern both
   * modes (livemode null), never the other mode's.
   */
  async list(
    scope: AuditScope,
    options: { limit: number; startingAfter?: string | null },
  ): Promise<{ data: AuditEntryObject[]; hasMore: boolean }> {
    const em = this.db.em.fork();
    const where: string[] = [];
    const params: unknown[] = [];
    if (scope !== 'all') {
      where.push('merchant_id = ?');
      params.push(scope.merchantId);
      if (scope.livemode !== undefined) {
        where.push('(livemode is null or livemode = ?)');
        params.push(scope.livemode);
      }
    }
    if (options.startingAfter) {
      const [cursor] = await em.execute<{ seq: string }[]>(
        `select seq from audit_log where id = ?${where.length ? ` and ${where.join(' and ')}` : ''}`,
        [options.startingAfter, ...params],
      );
      if (!cursor) throw notFound('audit entry', options.startingAfter, 'starting_after');
      where.push('seq < ?');
      params.push(cursor.seq);
    }
    const rows = await em.execute<AuditRow[]>(
      `select ${COLUMNS} from audit_log ${where.length ? `where ${where.join(' and ')}` : ''}
       order by seq desc limit ?`,
      [...params, options.limit + 1],
    );
    return { data: rows.slice(0, options.limit).map(toObject), hasMore: rows.length > options.limit };
  }
}
