import { randomBytes } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { hashPassword, passwordProblem } from '../crypto/passwords.js';
import type { Database } from '../db/orm.js';
import {
  DashboardUserRepository,
  type DashboardUserRow,
  type InvitationRow,
} from '../db/repositories/dashboard-users.js';
import { MerchantRepository } from '../db/repositories/merchants.js';
import { ErrorCode, invalid, notFound, TillError } from '../domain/errors.js';
import { DASHBOARD_USER_ID_PATTERN, INVITATION_ID_PATTERN, newId } from '../domain/ids.js';
import { unixSeconds, unixSecondsOrNull } from '../domain/time.js';
import { hashSecret } from './api-keys.js';
import type { AuditAction, AuditLog } from './audit.js';
import type { ClientInfo, DashboardSessionService, OpenedSession } from './dashboard-sessions.js';
import { ROLES, type Actor, type Role } from './principal.js';

/** How long an invitation link works. */
export const INVITATION_TTL_SECONDS = 7 * 24 * 3600;

/** A team member as the APIs show it (never the password hash). */
export interface TeamMemberObject {
  id: string;
  email: string;
  role: Role;
  status: 'active' | 'disabled';
  created_at: number;
  last_sign_in_at: number | null;
}

/** A pending invitation as the APIs show it (never its token). */
export interface InvitationObject {
  id: string;
  email: string;
  role: Role;
  created_at: number;
  expires_at: number;
}

export const memberObject = (u: DashboardUserRow): TeamMemberObject => ({
  id: u.id,
  email: u.email,
  role: u.role,
  status: u.status,
  created_at: unixSeconds(u.created_at),
  last_sign_in_at: unixSecondsOrNull(u.last_sign_in_at),
});

const invitationObject = (i: InvitationRow): InvitationObject => ({
  id: i.id,
  email: i.email,
  role: i.role,
  created_at: unixSeconds(i.created_at),
  expires_at: unixSeconds(i.expires_at),
});

/** A deliberately loose email check: one @, something either side, no spaces; at most 320 characters. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function checkEmail(email: unknown): string {
  const trimmed = typeof email === 'string' ? email.trim() : '';
  if (trimmed.length > 320 || !EMAIL.test(trimmed)) throw invalid('email', 'email must be an email address');
  return trimmed;
}

export function checkRole(role: unknown): Role {
  if (!(ROLES as readonly unknown[]).includes(role))
    throw invalid('role', `role must be one of ${ROLES.join(', ')}`);
  return role as Role;
}

const refuse = (message: string, field?: string) => new TillError(ErrorCode.Forbidden, message, field);
const conflict = (message: string, field: string) => new TillError(ErrorCode.InvalidRequest, message, field);

/**
 * A merchant's dashboard team: users (email + scrypt-hashed password, one role each) and the
 * invitations that create them. Who may change whom is decided by the caller's permissions
 * (`mayManageOwners`); the rule that a merchant always keeps an owner is kept here.
 */
export class DashboardUserService {
  private readonly users: DashboardUserRepository;
  private readonly merchants: MerchantRepository;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    /** Absent where no session is ever opened (the CLI, the embedded first start). */
    private readonly sessions: DashboardSessionService | null,
    private readonly publicUrl: string,
  ) {
    this.users = new DashboardUserRepository(db);
    this.merchants = new MerchantRepository(db);
  }

  /** The link that accepts an invitation: the token rides in the fragment, which never reaches a server log. */
  invitationUrl(token: string): string {
    return `${this.publicUrl}/dashboard/#/invite/${token}`;
  }

  async list(merchantId: string): Promise<TeamMemberObject[]> {
    return (await this.users.listActive(merchantId)).map(memberObject);
  }

  async member(merchantId: string, userId: string): Promise<TeamMemberObject | null> {
    const row = DASHBOARD_USER_ID_PATTERN.test(userId) ? await this.users.find(merchantId, userId) : null;
    return row && row.status === 'active' ? memberObject(row) : null;
  }

  async pendingInvitations(merchantId: string): Promise<InvitationObject[]> {
    return (await this.users.pendingInvitations(merchantId)).map(invitationObject);
  }

  /** A user made directly with a password (the embedded sandbox's owner). */
  async create(merchantId: string, input: { email: string; role: Role; password: string }, actor: Actor) {
    const email = checkEmail(input.email);
    const problem = passwordProblem(input.password);
    if (problem) throw invalid('password', problem);
    const passwordHash = await hashPassword(input.password);
    return this.db.em.fork().transactional(async (tx) => {
      if (!(await this.merchants.find(merchantId, tx))) throw notFound('merchant', merchantId);
      const id = newId.dashboardUser();
      if (
        !(await this.users.insert(tx, {
          id,
          merchant_id: merchantId,
          email,
          password_hash: passwordHash,
          role: input.role,
        }))
      )
        throw conflict('A dashboard user with this email already exists.', 'email');
      await this.record(tx, merchantId, actor, 'dashboard_user.created', 'dashboard_user', id, {
        role: input.role,
      });
      return id;
    });
  }

  /** A new invitation; its token is only in the returned URL, shown once. */
  async invite(
    merchantId: string,
    input: { email: unknown; role: unknown },
    actor: Actor,
    mayManageOwners: boolean,
  ): Promise<{ invitation: InvitationObject; url: string }> {
    const email = checkEmail(input.email);
    const role = checkRole(input.role);
    if (role === 'owner' && !mayManageOwners) throw refuse('Only an owner may invite an owner.', 'role');
    if (await this.users.activeByEmail(email))
      throw conflict('A dashboard user with this email already exists.', 'email');
    const token = randomBytes(32).toString('base64url');
    const row = await this.db.em.fork().transactional(async (tx) => {
      if (!(await this.merchants.find(merchantId, tx))) throw notFound('merchant', merchantId);
      const created = await this.users.insertInvitation(tx, {
        id: newId.invitation(),
        merchant_id: merchantId,
        email,
        role,
        token_hash: hashSecret(token),
        created_by: actor.id,
        ttlSeconds: INVITATION_TTL_SECONDS,
      });
      await this.record(tx, merchantId, actor, 'invitation.created', 'invitation', created.id, { role });
      return created;
    });
    return { invitation: invitationObject(row), url: this.invitationUrl(token) };
  }

  async revokeInvitation(merchantId: string, id: string, actor: Actor): Promise<InvitationObject> {
    return this.db.em.fork().transactional(async (tx) => {
      const row = INVITATION_ID_PATTERN.test(id) ? await this.users.lockInvitation(tx, merchantId, id) : null;
      if (!row) throw notFound('invitation', id);
      if (row.accepted_at) throw conflict('This invitation was already accepted.', 'id');
      if (!row.revoked_at) {
        await this.users.markInvitation(tx, row.id, 'revoked_at');
        await this.record(tx, merchantId, actor, 'invitation.revoked', 'invitation', row.id, {});
      }
      return invitationObject(row);
    });
  }

  /**
   * Accepts an invitation: creates its user with `password` and opens a session. The token works
   * once, until it expires or is revoked; a refusal does not say which of those it was.
   */
  async accept(token: unknown, password: unknown, client: ClientInfo): Promise<OpenedSession> {
    if (!this.sessions) throw new Error('accepting invitations needs the session service');
    const problem = passwordProblem(password);
    if (problem) throw invalid('password', problem);
    const unusable = () =>
      new TillError(ErrorCode.InvalidRequest, 'This invitation link is invalid or has expired.', 'token');
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) throw unusable();
    const passwordHash = await hashPassword(password as string);
    const sessions = this.sessions;
    return this.db.em.fork().transactional(async (tx) => {
      const invitation = await this.users.lockInvitationByToken(tx, hashSecret(token));
      if (
        !invitation ||
        invitation.accepted_at ||
        invitation.revoked_at ||
        invitation.expires_at.getTime() <= Date.now()
      )
        throw unusable();
      const id = newId.dashboardUser();
      const user = {
        id,
        merchant_id: invitation.merchant_id,
        email: invitation.email,
        password_hash: passwordHash,
        role: invitation.role,
      };
      if (!(await this.users.insert(tx, user)))
        throw conflict('A dashboard user with this email already exists.', 'token');
      await this.users.markInvitation(tx, invitation.id, 'accepted_at');
      const actor: Actor = { type: 'user', id, requestId: client.requestId };
      await this.record(
        tx,
        invitation.merchant_id,
        actor,
        'invitation.accepted',
        'invitation',
        invitation.id,
        {
          user: id,
          role: invitation.role,
        },
      );
      const row = (await this.users.find(invitation.merchant_id, id, tx))!;
      return sessions.open(tx, row, client);
    });
  }

  /** Changes a member's role. Making or unmaking an owner needs `mayManageOwners`; the last owner stays. */
  async updateRole(
    merchantId: string,
    userId: string,
    role: unknown,
    actor: Actor,
    mayManageOwners: boolean,
  ): Promise<TeamMemberObject> {
    const next = checkRole(role);
    return this.db.em.fork().transactional(async (tx) => {
      const owners = await this.users.lockOwners(tx, merchantId);
      const row = await this.lockActive(tx, merchantId, userId);
      if (row.role === next) return memberObject(row);
      if ((next === 'owner' || row.role === 'owner') && !mayManageOwners)
        throw refuse('Only an owner may make or unmake an owner.', 'role');
      if (row.role === 'owner' && owners.length <= 1)
        throw conflict('The last owner cannot be demoted: make another member owner first.', 'role');
      await this.users.setRole(tx, row.id, next);
      await this.record(tx, merchantId, actor, 'dashboard_user.role_changed', 'dashboard_user', row.id, {
        from: row.role,
        to: next,
      });
      return memberObject({ ...row, role: next });
    });
  }

  /** Removes a member from the team and revokes every session they hold, on every instance. */
  async remove(
    merchantId: string,
    userId: string,
    actor: Actor,
    mayManageOwners: boolean,
  ): Promise<TeamMemberObject> {
    const { member, revoked } = await this.db.em.fork().transactional(async (tx) => {
      const owners = await this.users.lockOwners(tx, merchantId);
      const row = await this.lockActive(tx, merchantId, userId);
      if (row.role === 'owner' && !mayManageOwners) throw refuse('Only an owner may remove an owner.', 'id');
      if (row.role === 'owner' && owners.length <= 1)
        throw conflict('The last owner cannot be removed: make another member owner first.', 'id');
      await this.users.disable(tx, row.id);
      const revoked = this.sessions ? await this.sessions.revokeAllOf(tx, row.id) : [];
      await this.record(tx, merchantId, actor, 'dashboard_user.removed', 'dashboard_user', row.id, {
        role: row.role,
      });
      return { member: memberObject({ ...row, status: 'disabled' }), revoked };
    });
    await this.sessions?.announce(revoked);
    return member;
  }

  private async lockActive(
    tx: SqlEntityManager,
    merchantId: string,
    userId: string,
  ): Promise<DashboardUserRow> {
    const row = DASHBOARD_USER_ID_PATTERN.test(userId) ? await this.users.find(merchantId, userId, tx) : null;
    if (!row || row.status !== 'active') throw notFound('team member', userId);
    return row;
  }

  private record(
    tx: SqlEntityManager,
    merchantId: string,
    actor: Actor,
    action: AuditAction,
    objectType: string,
    objectId: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    return this.audit.record(
      { merchantId, livemode: null, actor, action, objectType, objectId, details },
      tx,
    );
  }
}
