import { randomBytes } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { dummyHash, PASSWORD_MAX_LENGTH, verifyPassword } from '../crypto/passwords.js';
import type { Database } from '../db/orm.js';
import { DashboardSessionRepository } from '../db/repositories/dashboard-sessions.js';
import { DashboardUserRepository, type DashboardUserRow } from '../db/repositories/dashboard-users.js';
import { RateLimitError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { hashSecret } from './api-keys.js';
import type { AuditLog } from './audit.js';
import type { CredentialWatch } from './credential-watch.js';
import type { LoginThrottle } from './login-throttle.js';
import type { Principal, Role } from './principal.js';

/** The cookie that carries a dashboard session's token. */
export const SESSION_COOKIE = 'till_session';

/** A session's token: 256 random bits; only its SHA-256 is stored. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Where a sign-in comes from (throttling, the session's record, the audit entry). */
export interface ClientInfo {
  address: string;
  userAgent: string | null;
  requestId: string | null;
}

/** A session as a cookie proves it: everything but the mode, which each request picks. */
export interface DashboardSession {
  id: string;
  userId: string;
  merchantId: string;
  role: Role;
  expiresAt: Date;
}

/** A session just opened: its cookie token (shown to the browser once, never stored) and the session. */
export interface OpenedSession {
  token: string;
  session: DashboardSession;
}

/** The principal of a session in one mode. */
export function sessionPrincipal(
  session: DashboardSession,
  livemode: boolean,
  requestId: string | null = null,
): Principal {
  return {
    merchantId: session.merchantId,
    livemode,
    credentialId: session.id,
    kind: 'session',
    userId: session.userId,
    role: session.role,
    expiresAt: session.expiresAt.getTime(),
    requestId,
  };
}

/**
 * Dashboard sign-in and sessions. A session lives in the database for an absolute lifetime and can
 * be revoked; a revocation is announced like a key's, so every instance refuses the cookie and
 * closes the sockets it opened within a second.
 */
export class DashboardSessionService {
  private readonly sessions: DashboardSessionRepository;
  private readonly users: DashboardUserRepository;

  constructor(
    private readonly db: Database,
    private readonly watch: CredentialWatch,
    private readonly audit: AuditLog,
    private readonly throttle: LoginThrottle,
    private readonly lifetimeSeconds: number,
  ) {
    this.sessions = new DashboardSessionRepository(db);
    this.users = new DashboardUserRepository(db);
  }

  /**
   * Checks an email and password and opens a session; null when they do not match an active user.
   * Failures count against the login throttle (email and client address), whose lockout throws a
   * RateLimitError before any password is checked.
   */
  async signIn(email: string, password: string, client: ClientInfo): Promise<OpenedSession | null> {
    const identity = `dashboard:${email.trim().toLowerCase()}`;
    const wait = await this.throttle.retryAfter(identity, client.address);
    if (wait > 0)
      throw new RateLimitError(`Too many failed sign-in attempts. Try again in ${wait} seconds.`, {
        limit: 0,
        windowSec: wait,
        remaining: 0,
        resetSec: wait,
      });
    const user = email.length <= 320 ? await this.users.activeByEmail(email.trim()) : null;
    // An unknown email costs the same hash as a known one, so timing does not reveal accounts.
    const matches =
      password.length <= PASSWORD_MAX_LENGTH * 4 &&
      (await verifyPassword(password, user?.password_hash ?? (await dummyHash())));
    if (!user || !matches) {
      await this.throttle.fail(identity, client.address);
      return null;
    }
    await this.throttle.succeed(identity, client.address);
    return this.db.em.fork().transactional(async (tx) => {
      const opened = await this.open(tx, user, client);
      await this.audit.record(
        {
          merchantId: user.merchant_id,
          livemode: null,
          actor: { type: 'user', id: user.id, requestId: client.requestId },
          action: 'dashboard_user.signed_in',
          objectType: 'dashboard_user',
          objectId: user.id,
          details: { session: opened.session.id },
        },
        tx,
      );
      return opened;
    });
  }

  /** Opens a session for `user` in `tx` (sign-in, an accepted invitation). */
  async open(tx: SqlEntityManager, user: DashboardUserRow, client: ClientInfo): Promise<OpenedSession> {
    const token = randomBytes(32).toString('base64url');
    const id = newId.dashboardSession();
    const expiresAt = await this.sessions.insert(tx, {
      id,
      userId: user.id,
      merchantId: user.merchant_id,
      tokenHash: hashSecret(token),
      ttlSeconds: this.lifetimeSeconds,
      address: client.address,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
    });
    await this.users.touchSignIn(tx, user.id);
    return {
      token,
      session: { id, userId: user.id, merchantId: user.merchant_id, role: user.role, expiresAt },
    };
  }

  /** The live session a cookie's token names, or null (unknown, expired, revoked, user removed). */
  async lookup(token: unknown): Promise<DashboardSession | null> {
    if (typeof token !== 'string' || !TOKEN.test(token)) return null;
    const row = await this.sessions.findActive(hashSecret(token));
    if (!row) return null;
    const session: DashboardSession = {
      id: row.id,
      userId: row.user_id,
      merchantId: row.merchant_id,
      role: row.role,
      expiresAt: row.expires_at,
    };
    return this.watch.isCut(sessionPrincipal(session, false)) ? null : session;
  }

  /** Ends one session, or (`everywhere`) every session of its user. */
  async signOut(principal: Principal, everywhere: boolean): Promise<void> {
    if (principal.kind !== 'session' || !principal.userId) return;
    const userId = principal.userId;
    const revoked = await this.db.em.fork().transactional(async (tx) => {
      if (!everywhere) return this.sessions.revoke(tx, principal.credentialId);
      const rows = await this.sessions.revokeAllOf(tx, userId);
      await this.audit.record(
        {
          merchantId: principal.merchantId,
          livemode: null,
          actor: { type: 'user', id: userId, requestId: principal.requestId ?? null },
          action: 'dashboard_user.signed_out_everywhere',
          objectType: 'dashboard_user',
          objectId: userId,
          details: { sessions: rows.length },
        },
        tx,
      );
      return rows;
    });
    await this.announce(revoked);
  }

  /** Revokes every session of a user in `tx`; call `announce` with the answer once it commits. */
  revokeAllOf(tx: SqlEntityManager, userId: string) {
    return this.sessions.revokeAllOf(tx, userId);
  }

  /** Tells every instance (this one at once) that these sessions are revoked. */
  async announce(rows: { id: string; merchant_id: string; revoked_at: Date | string }[]): Promise<void> {
    for (const row of rows)
      await this.watch.announce({
        merchantId: row.merchant_id,
        credentialId: row.id,
        revokedAt: new Date(row.revoked_at).getTime(),
        expiresAt: null,
      });
  }
}
