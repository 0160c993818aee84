import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Database } from '../db/orm.js';
import { AuditRepository, type AuditRow } from '../db/repositories/audit.js';
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
  'connector_account.created',
  'connector_account.updated',
  'connector_account.disabled',
  'terminal.connectors_pinned',
  'dashboard_user.created',
  'dashboard_user.signed_in',
  'dashboard_user.signed_out_everywhere',
  'dashboard_user.role_changed',
  'dashboard_user.removed',
  'invitation.created',
  'invitation.revoked',
  'invitation.accepted',
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

const toObject = (row: AuditRow): AuditEntryObject => ({
  id: row.id,
  object: 'audit_entry',
  merchant_id: row.merchant_id,
  livemode: row.livemode,
  actor: { type: row.actor_type as Actor['type'], id: row.actor_id },
  action: row.action as AuditAction,
  object_type: row.object_type,
  object_id: row.object_id,
  request_id: row.request_id,
  details: typeof row.details === 'string' ? JSON.parse(row.details) : row.details,
  created_at: Number(row.created_at_unix),
});

/** Which entries a reader may see: one merchant (and mode), or everything (the operator). */
export type AuditScope = { merchantId: string; livemode?: boolean } | 'all';

/** The audit log: append-only (its repository can only insert and read). */
export class AuditLog {
  private readonly entries: AuditRepository;

  constructor(db: Database) {
    this.entries = new AuditRepository(db);
  }

  /** Appends one entry; inside `em`'s transaction when given, so it commits with the change. */
  async record(entry: AuditRecord, em?: SqlEntityManager): Promise<void> {
    await this.entries.append(
      {
        id: newId.auditEntry(),
        merchantId: entry.merchantId,
        livemode: entry.livemode,
        actorType: entry.actor.type,
        actorId: entry.actor.id,
        action: entry.action,
        objectType: entry.objectType,
        objectId: entry.objectId,
        requestId: entry.actor.requestId,
        details: entry.details ?? {},
      },
      em,
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
    const rows = await this.entries.list(scope, { ...options, limit: options.limit + 1 });
    if (!rows) throw notFound('audit entry', options.startingAfter!, 'starting_after');
    return { data: rows.slice(0, options.limit).map(toObject), hasMore: rows.length > options.limit };
  }
}
