import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Role } from '../../services/principal.js';
import type { Database } from '../orm.js';

/** A `dashboard_user` row. */
export interface DashboardUserRow {
  id: string;
  merchant_id: string;
  email: string;
  password_hash: string;
  role: Role;
  status: 'active' | 'disabled';
  created_at: Date;
  last_sign_in_at: Date | null;
}

/** A `dashboard_invitation` row. */
export interface InvitationRow {
  id: string;
  merchant_id: string;
  email: string;
  role: Role;
  token_hash: string;
  created_by: string | null;
  created_at: Date;
  expires_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
}

const date = (v: Date | string) => new Date(v);
const dateOrNull = (v: Date | string | null) => (v === null ? null : new Date(v));

function user(row: DashboardUserRow): DashboardUserRow {
  return { ...row, created_at: date(row.created_at), last_sign_in_at: dateOrNull(row.last_sign_in_at) };
}

function invitation(row: InvitationRow): InvitationRow {
  return {
    ...row,
    created_at: date(row.created_at),
    expires_at: date(row.expires_at),
    accepted_at: dateOrNull(row.accepted_at),
    revoked_at: dateOrNull(row.revoked_at),
  };
}

/** Dashboard users and the invitations that create them. Only hashes of secrets are stored. */
export class DashboardUserRepository {
  constructor(private readonly db: Database) {}

  /** A new active user; false when an active user already has this email (any case). */
  async insert(
    tx: SqlEntityManager,
    row: Pick<DashboardUserRow, 'id' | 'merchant_id' | 'email' | 'password_hash' | 'role'>,
  ): Promise<boolean> {
    const inserted = await tx.execute<{ id: string }[]>(
      `insert into dashboard_user (id, merchant_id, email, password_hash, role, status, created_at)
       values (?, ?, ?, ?, ?, 'active', now())
       on conflict (lower(email)) where status = 'active' do nothing returning id`,
      [row.id, row.merchant_id, row.email, row.password_hash, row.role],
    );
    return inserted.length > 0;
  }

  /** The active user with this email (any case), or null. */
  async activeByEmail(email: string): Promise<DashboardUserRow | null> {
    const rows = await this.db.em
      .fork()
      .execute<DashboardUserRow[]>(
        `select * from dashboard_user where lower(email) = lower(?) and status = 'active'`,
        [email],
      );
    return rows[0] ? user(rows[0]) : null;
  }

  /** One of the merchant's users (active or removed), locked for `tx` when given. */
  async find(merchantId: string, id: string, tx?: SqlEntityManager): Promise<DashboardUserRow | null> {
    const rows = await (tx ?? this.db.em.fork()).execute<DashboardUserRow[]>(
      `select * from dashboard_user where merchant_id = ? and id = ?${tx ? ' for update' : ''}`,
      [merchantId, id],
    );
    return rows[0] ? user(rows[0]) : null;
  }

  /** The merchant's active users, oldest first. */
  async listActive(merchantId: string): Promise<DashboardUserRow[]> {
    const rows = await this.db.em
      .fork()
      .execute<DashboardUserRow[]>(
        `select * from dashboard_user where merchant_id = ? and status = 'active' order by created_at, id`,
        [merchantId],
      );
    return rows.map(user);
  }

  /** The merchant's active owners, their rows locked for `tx` (so two demotions cannot cross). */
  async lockOwners(tx: SqlEntityManager, merchantId: string): Promise<string[]> {
    const rows = await tx.execute<{ id: string }[]>(
      `select id from dashboard_user where merchant_id = ? and status = 'active' and role = 'owner'
       order by id for update`,
      [merchantId],
    );
    return rows.map((r) => r.id);
  }

  async setRole(tx: SqlEntityManager, id: string, role: Role): Promise<void> {
    await tx.execute('update dashboard_user set role = ? where id = ?', [role, id]);
  }

  async disable(tx: SqlEntityManager, id: string): Promise<void> {
    await tx.execute(`update dashboard_user set status = 'disabled' where id = ?`, [id]);
  }

  async setPassword(id: string, passwordHash: string): Promise<void> {
    await this.db.em
      .fork()
      .execute('update dashboard_user set password_hash = ? where id = ?', [passwordHash, id]);
  }

  async touchSignIn(tx: SqlEntityManager, id: string): Promise<void> {
    await tx.execute('update dashboard_user set last_sign_in_at = now() where id = ?', [id]);
  }

  // Invitations

  async insertInvitation(
    tx: SqlEntityManager,
    row: Pick<InvitationRow, 'id' | 'merchant_id' | 'email' | 'role' | 'token_hash' | 'created_by'> & {
      ttlSeconds: number;
    },
  ): Promise<InvitationRow> {
    const rows = await tx.execute<InvitationRow[]>(
      `insert into dashboard_invitation (id, merchant_id, email, role, token_hash, created_by, created_at, expires_at)
       values (?, ?, ?, ?, ?, ?, now(), now() + ? * interval '1 second') returning *`,
      [row.id, row.merchant_id, row.email, row.role, row.token_hash, row.created_by, row.ttlSeconds],
    );
    return invitation(rows[0]!);
  }

  /** The merchant's invitations that can still be accepted, newest first. */
  async pendingInvitations(merchantId: string): Promise<InvitationRow[]> {
    const rows = await this.db.em.fork().execute<InvitationRow[]>(
      `select * from dashboard_invitation
       where merchant_id = ? and accepted_at is null and revoked_at is null and expires_at > now()
       order by created_at desc, id`,
      [merchantId],
    );
    return rows.map(invitation);
  }

  /** The invitation with this token hash, locked for `tx`, whatever its state. */
  async lockInvitationByToken(tx: SqlEntityManager, tokenHash: string): Promise<InvitationRow | null> {
    const rows = await tx.execute<InvitationRow[]>(
      'select * from dashboard_invitation where token_hash = ? for update',
      [tokenHash],
    );
    return rows[0] ? invitation(rows[0]) : null;
  }

  /** One of the merchant's invitations, locked for `tx`. */
  async lockInvitation(tx: SqlEntityManager, merchantId: string, id: string): Promise<InvitationRow | null> {
    const rows = await tx.execute<InvitationRow[]>(
      'select * from dashboard_invitation where merchant_id = ? and id = ? for update',
      [merchantId, id],
    );
    return rows[0] ? invitation(rows[0]) : null;
  }

  async markInvitation(
    tx: SqlEntityManager,
    id: string,
    column: 'accepted_at' | 'revoked_at',
  ): Promise<void> {
    await tx.execute(`update dashboard_invitation set ${column} = now() where id = ?`, [id]);
  }
}
