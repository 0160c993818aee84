import type { Database } from '../db/orm.js';
import { CredentialRepository } from '../db/repositories/credentials.js';
import { DashboardSessionRepository } from '../db/repositories/dashboard-sessions.js';
import type { PubSub } from '../events/pubsub.js';
import { CREDENTIALS_TOPIC } from '../events/topics.js';
import type { Principal } from './principal.js';

/** A credential that was revoked or rolled, as every instance hears of it. */
export interface CredentialChange {
  merchantId: string;
  /**
   * An `api_key` row (a key, or the OAuth credential access tokens were issued to), or a dashboard
   * session (`ses_…`).
   */
  credentialId?: string;
  /** One access token's `jti`. */
  tokenId?: string;
  /** Set when the credential no longer works at all, epoch ms. */
  revokedAt: number | null;
  /** Set when a rolled key keeps working until then, epoch ms. */
  expiresAt: number | null;
}

type Listener = (change: CredentialChange) => void;

const ms = (value: Date | string | null): number | null =>
  value === null ? null : new Date(value).getTime();

/**
 * Each instance's view of revoked and expiring credentials. A revocation is announced on the
 * credentials topic (every instance hears it within milliseconds) and each instance also polls the
 * database for changes, so a lost pub/sub message (or a CLI run without Redis) is caught on the
 * next tick. Everything that trusts a credential beyond one request — the verified-key cache, the
 * access tokens that are never looked up, open WebSockets — asks this view.
 */
export class CredentialWatch {
  private readonly revokedCredentials = new Map<string, number>();
  private readonly revokedTokens = new Map<string, number>();
  private readonly expiring = new Map<string, number>();
  private readonly listeners = new Set<Listener>();
  /** Database time of the newest change seen; polls look a little before it (late commits). */
  private since: string | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private readonly credentials: CredentialRepository;
  private readonly sessions: DashboardSessionRepository;

  constructor(
    db: Database,
    private readonly pubsub: PubSub,
    /** How long an access token lives at most: revocations older than that no longer matter to tokens. */
    private readonly tokenLifetimeMs: number,
  ) {
    this.credentials = new CredentialRepository(db);
    this.sessions = new DashboardSessionRepository(db);
  }

  /**
   * Loads what is revoked or expiring now, starts listening for changes, and polls the database
   * every `pollMs` (at most a second, so a missed announcement still takes effect within one).
   */
  async start(pollMs = 1000): Promise<void> {
    this.unsubscribe = await this.pubsub.subscribe(CREDENTIALS_TOPIC, (raw) => {
      try {
        this.apply(JSON.parse(raw) as CredentialChange);
      } catch {
        // A malformed message changes nothing; the next poll reads the truth from the database.
      }
    });
    await this.poll();
    const every = Math.min(pollMs, 1000);
    const loop = () => {
      this.polling = this.poll()
        .catch(() => {
          // A database blip: the next tick tries again.
        })
        .finally(() => {
          this.polling = null;
          if (this.timer) this.timer = setTimeout(loop, every).unref();
        });
    };
    this.timer = setTimeout(loop, every).unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
    await this.unsubscribe?.();
    this.unsubscribe = null;
    this.listeners.clear();
  }

  /** Tells every instance (this one first) about a change that has been committed. */
  async announce(change: CredentialChange): Promise<void> {
    this.apply(change);
    await this.pubsub.publish(CREDENTIALS_TOPIC, JSON.stringify(change)).catch(() => {
      // Other instances then learn of it from their next poll.
    });
  }

  /** Reads changes committed since the last poll (the safety net under pub/sub). */
  async poll(): Promise<void> {
    const window = `${Math.ceil(this.tokenLifetimeMs / 1000) + 60} seconds`;
    const keys = await this.credentials.keyChanges(this.since, window);
    const tokens = await this.credentials.tokenRevocations(this.since);
    const sessions = await this.sessions.revocations(this.since);
    // Each change, with the database time it was made at.
    const changes: [number | null, CredentialChange][] = [
      ...keys.map((row): [number | null, CredentialChange] => [
        ms(row.changed_at),
        {
          merchantId: row.merchant_id,
          credentialId: row.id,
          revokedAt: ms(row.revoked_at),
          expiresAt: ms(row.expires_at),
        },
      ]),
      ...tokens.map((row): [number | null, CredentialChange] => [
        ms(row.revoked_at),
        {
          merchantId: row.merchant_id,
          tokenId: row.jti,
          revokedAt: ms(row.revoked_at),
          expiresAt: ms(row.expires_at),
        },
      ]),
      // A dashboard session is a credential of its own (its id is the principal's credentialId).
      ...sessions.map((row): [number | null, CredentialChange] => [
        ms(row.revoked_at),
        { merchantId: row.merchant_id, credentialId: row.id, revokedAt: ms(row.revoked_at), expiresAt: null },
      ]),
    ];
    let newest = this.since === null ? null : new Date(this.since).getTime();
    for (const [at, change] of changes) {
      newest = Math.max(newest ?? 0, at ?? 0);
      this.apply(change);
    }
    if (newest !== null) this.since = new Date(newest).toISOString();
    else if (this.since === null) this.since = new Date(Date.now() - 60_000).toISOString();
    this.prune();
  }

  /** Called for every change this instance learns of (the same change may arrive twice). */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** When the principal's credential stops working (the earliest of its own and a roll's), or null. */
  expiryOf(principal: Principal): number | null {
    const rolled = this.expiring.get(principal.credentialId) ?? null;
    const own = principal.expiresAt ?? null;
    if (rolled === null) return own;
    return own === null ? rolled : Math.min(own, rolled);
  }

  /** True when the principal's credential has been revoked or has expired. */
  isCut(principal: Principal, now = Date.now()): boolean {
    if (this.revokedCredentials.has(principal.credentialId)) return true;
    if (principal.tokenId && this.revokedTokens.has(principal.tokenId)) return true;
    const expiry = this.expiryOf(principal);
    return expiry !== null && expiry <= now;
  }

  private apply(change: CredentialChange): void {
    if (change.credentialId) {
      if (change.revokedAt !== null) this.revokedCredentials.set(change.credentialId, change.revokedAt);
      else if (change.expiresAt !== null) this.expiring.set(change.credentialId, change.expiresAt);
    }
    if (change.tokenId && change.revokedAt !== null)
      this.revokedTokens.set(change.tokenId, change.expiresAt ?? Date.now() + this.tokenLifetimeMs);
    for (const listener of this.listeners) listener(change);
  }

  /**
   * Forgets what can no longer matter: revoked tokens past their `exp`, expiries that have passed
   * long ago, and revoked credentials older than any token issued to them. Revoked secret keys are
   * refused by the database lookup itself, so dropping them here never revives one.
   */
  private prune(now = Date.now()): void {
    for (const [jti, exp] of this.revokedTokens) if (exp < now) this.revokedTokens.delete(jti);
    for (const [id, at] of this.revokedCredentials)
      if (at < now - this.tokenLifetimeMs - 60_000) this.revokedCredentials.delete(id);
    for (const [id, at] of this.expiring)
      if (at < now - this.tokenLifetimeMs - 60_000) this.expiring.delete(id);
  }
}
