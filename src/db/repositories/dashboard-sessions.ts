import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Role } from '../../services/principal.js';
import type { Database } from '../orm.js';

/** A live session with its user, as a cookie lookup finds it. */
export interface ActiveSessionRow {
  id: string;
  user_id: string;
  merchant_id: string;
  expires_at: Date;
  role: Role;
  email: string;
}

/** A revoked `dashboard_session` row, as instances poll for them. */
export interface SessionRevocationRow {
  id: string;
  merchant_id: string;
  revoked_at: Date | string;
}

/** Dashboard sessions: only the SHA-256 of each cookie's token is stored. */
export class DashboardSessionRepository {
  constructor(private readonly db: Database) {}

  async insert(
    tx: SqlEntityManager,
    row: {
      id: string;
      userId: string;
      merchantId: string;
      tokenHash: string;
      ttlSeconds: number;
      address: string | null;
      userAgent: string | null;
    },
  ): Promise<Date> {
    const rows = await tx.execute<{ expires_at: Date | string }[]>(
      `insert into dashboard_session (id, user_id, merchant_id, token_hash, created_at, expires_at, address, user_agent)
       values (?, ?, ?, ?, now(), now() + ? * interval '1 second', ?, ?) returning expires_at`,
      [row.id, row.userId, row.merchantId, row.tokenHash, row.ttlSeconds, row.address, row.userAgent],
    );
    return new Date(rows[0]!.expires_at);
  }

  /** The unrevoked, unexpired session of an active user with this token hash, or null. */
  async findActive(tokenHash: string): Promise<ActiveSessionRow | null> {
    const rows = await this.db.em.fork().execute<ActiveSessionRow[]>(
      `select s.id, s.user_id, s.merchant_id, s.expires_at, u.role, u.email
       from dashboard_session s join dashboard_user u on u.id = s.user_id
       where s.token_hash = ? and s.revoked_at is null and s.expires_at > now() and u.status = 'active'`,
      [tokenHash],
    );
    const row = rows[0];
    return row ? { ...row, expires_at: new Date(row.expires_at) } : null;
  }

  /** Revokes one session; its id and merchant when it was live. */
  async revoke(tx: SqlEntityManager, id: string): Promise<SessionRevocationRow[]> {
    return tx.execute<SessionRevocationRow[]>(
      `update dashboard_session set revoked_at = now() where id = ? and revoked_at is null
       returning id, merchant_id, revoked_at`,
      [id],
    );
  }

  /** Revokes every live session of a user; the ones it revoked. */
  async revokeAllOf(tx: SqlEntityManager, userId: string): Promise<SessionRevocationRow[]> {
    return tx.execute<SessionRevocationRow[]>(
      `update dashboard_session set revoked_at = now()
       where user_id = ? and revoked_at is null and expires_at > now()
       returning id, merchant_id, revoked_at`,
      [userId],
    );
  }

  /**
   * Sessions revoked since `since` (looked at a few seconds early for late commits); on the first
   * look (`since` null), every revoked session not yet expired.
   */
  revocations(since: string | null): Promise<SessionRevocationRow[]> {
    return this.db.em.fork().execute<SessionRevocationRow[]>(
      since === null
        ? `select id, merchant_id, revoked_at from dashboard_session
           where revoked_at is not null and expires_at > now()`
        : `select id, merchant_id, revoked_at from dashboard_session
           where revoked_at > ?::timestamptz - interval '5 seconds'`,
      since === null ? [] : [since],
    );
  }
}
