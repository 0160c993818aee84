import { createHash } from 'node:crypto';
import { unixSeconds, unixSecondsOrNull } from '../domain/time.js';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { ApiKey } from '../db/entities/api-key.entity.js';
import { safeEqual } from '../crypto/safe-equal.js';
import type { Database } from '../db/orm.js';
import { CredentialRepository, type NewApiKey } from '../db/repositories/credentials.js';
import { MerchantRepository } from '../db/repositories/merchants.js';
import { ErrorCode, invalid, notFound, TillError } from '../domain/errors.js';
import { API_KEY_ID_PATTERN, newId, randomBase62 } from '../domain/ids.js';
import type { AuditLog } from './audit.js';
import type { CredentialWatch } from './credential-watch.js';
import type { Actor, Principal } from './principal.js';

/** The keys a merchant manages itself: secret keys (per mode) and the publishable key. */
export const MANAGED_KEY_TYPES = ['secret', 'publishable'] as const;
export type ManagedKeyType = (typeof MANAGED_KEY_TYPES)[number];

/** How long a rolled key may keep working: from at once to a week, as at the larger gateways. */
export const MAX_ROLL_GRACE_SECONDS = 7 * 24 * 3600;

const SECRET_KEY = /^api_(test|live)_sk_[A-Za-z0-9]{32}$/;
const PUBLISHABLE_KEY = /^api_(test|live)_pk_[A-Za-z0-9]{32}$/;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Shown in logs and listings in place of a secret: its prefix and first four random characters. */
export function displayPrefix(secret: string): string {
  const cut = secret.lastIndexOf('_') + 1;
  return `${secret.slice(0, cut + 4)}…`;
}

/** A new secret of a kind, in its documented shape. */
export function mintSecret(kind: ApiKey['kind'], livemode: boolean): string {
  const mode = livemode ? 'live' : 'test';
  switch (kind) {
    case 'secret':
      return `api_${mode}_sk_${randomBase62(32)}`;
    case 'publishable':
      return `api_${mode}_pk_${randomBase62(32)}`;
    case 'api':
      return `api_key_${randomBase62(40)}`;
    case 'oauth_client':
      return randomBase62(48);
    case 'oauth_password':
      return randomBase62(32);
  }
}

/** The row that stores a credential: only the hash of its secret, and what listings show. */
export function keyRow(row: {
  merchantId: string;
  kind: ApiKey['kind'];
  livemode: boolean;
  secret: string;
  identifier?: string | null;
}): NewApiKey {
  return {
    id: newId.apiKey(),
    merchantId: row.merchantId,
    kind: row.kind,
    livemode: row.livemode,
    identifier: row.identifier ?? null,
    displayPrefix: displayPrefix(row.secret),
    last4: row.secret.slice(-4),
    secretHash: hashSecret(row.secret),
  };
}

/** A key as listings show it: never the secret, only its prefix and last four characters. */
export interface ApiKeyObject {
  id: string;
  object: 'api_key';
  type: ManagedKeyType;
  livemode: boolean;
  /** `api_test_sk_…` with the secret's last four: `api_test_sk_…a1b2`. */
  redacted: string;
  last4: string | null;
  status: 'active' | 'expiring' | 'expired' | 'revoked';
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  replaced_by: string | null;
}

function toObject(key: ApiKey, now = Date.now()): ApiKeyObject {
  const prefix = key.displayPrefix.slice(0, key.displayPrefix.lastIndexOf('_') + 1);
  return {
    id: key.id,
    object: 'api_key',
    type: key.kind as ManagedKeyType,
    livemode: key.livemode,
    redacted: `${prefix}…${key.last4 ?? ''}`,
    last4: key.last4 ?? null,
    status: key.revokedAt
      ? 'revoked'
      : key.expiresAt
        ? key.expiresAt.getTime() <= now
          ? 'expired'
          : 'expiring'
        : 'active',
    created_at: unixSeconds(key.createdAt),
    expires_at: unixSecondsOrNull(key.expiresAt ?? null),
    revoked_at: unixSecondsOrNull(key.revokedAt ?? null),
    replaced_by: key.replacedBy ?? null,
  };
}

/** Who presents a key: its merchant, mode and credential. */
function principalOf(key: ApiKey, kind: 'secret_key' | 'publishable_key'): Principal {
  return {
    merchantId: key.merchantId,
    livemode: key.livemode,
    credentialId: key.id,
    kind,
    expiresAt: key.expiresAt?.getTime() ?? null,
  };
}

interface CachedPrincipal {
  principal: Principal;
  hash: string;
  until: number;
}

/**
 * The lifecycle of the keys a merchant holds — create, list, roll (the old key keeps working for a
 * grace period the caller chooses), revoke — and turning a presented key into a Principal. Every
 * change is audited and announced to every instance, which drop it from their caches and close
 * the sockets it opened.
 */
export class ApiKeyService {
  /** Recently verified keys, so the hot path does not query per request; dropped on any change. */
  private readonly cache = new Map<string, CachedPrincipal>();
  private static readonly CACHE_MS = 30_000;
  private static readonly CACHE_MAX = 10_000;
  private readonly credentials: CredentialRepository;
  private readonly merchants: MerchantRepository;

  constructor(
    private readonly db: Database,
    private readonly watch: CredentialWatch,
    private readonly audit: AuditLog,
  ) {
    this.credentials = new CredentialRepository(db);
    this.merchants = new MerchantRepository(db);
    watch.onChange((change) => {
      if (!change.credentialId) return;
      for (const [hash, entry] of this.cache)
        if (entry.principal.credentialId === change.credentialId) this.cache.delete(hash);
    });
  }

  /** The Principal of a live, unexpired secret key, or null. Constant-time on the secret's hash. */
  async verifySecretKey(secret: string): Promise<Principal | null> {
    if (typeof secret !== 'string' || !SECRET_KEY.test(secret)) return null;
    const hashHex = hashSecret(secret);
    const now = Date.now();
    const cached = this.cache.get(hashHex);
    if (cached && cached.until > now && safeEqual(cached.hash, hashHex))
      return this.watch.isCut(cached.principal, now) ? null : cached.principal;
    const key = await this.credentials.findActive('secret', hashHex);
    if (!key || !safeEqual(key.secretHash, hashHex)) {
      this.cache.delete(hashHex);
      return null;
    }
    const principal = principalOf(key, 'secret_key');
    if (this.watch.isCut(principal, now)) return null;
    if (this.cache.size >= ApiKeyService.CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(hashHex, { principal, hash: hashHex, until: now + ApiKeyService.CACHE_MS });
    return principal;
  }

  /** The Principal of a live publishable key (the hosted page's client key), or null. */
  async verifyPublishableKey(clientKey: string): Promise<Principal | null> {
    if (typeof clientKey !== 'string' || !PUBLISHABLE_KEY.test(clientKey)) return null;
    const key = await this.credentials.findActive('publishable', hashSecret(clientKey));
    if (!key) return null;
    const principal = principalOf(key, 'publishable_key');
    return this.watch.isCut(principal) ? null : principal;
  }

  /** The merchant's keys of one mode (or both), newest first. */
  async list(merchantId: string, livemode?: boolean): Promise<ApiKeyObject[]> {
    const keys = await this.credentials.list(merchantId, MANAGED_KEY_TYPES, livemode);
    return keys.map((k) => toObject(k));
  }

  /** A new key; its secret is in the answer and nowhere else, ever. */
  async create(
    merchantId: string,
    input: { type?: unknown; livemode?: unknown },
    actor: Actor,
  ): Promise<{ key: ApiKeyObject; secret: string }> {
    const type = this.checkType(input.type);
    if (typeof input.livemode !== 'boolean') throw invalid('livemode', 'livemode must be true or false');
    const livemode = input.livemode;
    this.checkPublishableMode(type, livemode);
    const secret = mintSecret(type, livemode);
    const key = await this.db.em.fork().transactional(async (em) => {
      if (!(await this.merchants.find(merchantId, em))) throw notFound('merchant', merchantId);
      const row = this.credentials.add(em, keyRow({ merchantId, kind: type, livemode, secret }));
      // The newest publishable key is the one hosted pages present.
      if (type === 'publishable') await this.merchants.setClientKey(em, merchantId, secret);
      await this.credentials.save(em);
      await this.recordChange(em, row, actor, 'api_key.created', { type });
      return row;
    });
    return { key: toObject(key), secret };
  }

  /**
   * Replaces a key: the new key is returned once; the old one keeps working for `expiresInSeconds`
   * (0 = stops at once), then is refused everywhere.
   */
  async roll(
    merchantId: string,
    keyId: string,
    input: { expiresInSeconds?: unknown },
    actor: Actor,
    scope?: { livemode: boolean },
  ): Promise<{ key: ApiKeyObject; secret: string; previous: ApiKeyObject }> {
    const grace = input.expiresInSeconds ?? 0;
    if (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0 || grace > MAX_ROLL_GRACE_SECONDS)
      throw invalid(
        'expires_in_seconds',
        `expires_in_seconds must be an integer from 0 to ${MAX_ROLL_GRACE_SECONDS} (7 days)`,
      );
    let secret = '';
    const { previous, next } = await this.db.em.fork().transactional(async (em) => {
      const old = await this.lockManaged(em, merchantId, keyId, scope);
      if (old.revokedAt) throw this.gone(old, 'revoked');
      if (old.expiresAt && old.expiresAt.getTime() <= Date.now()) throw this.gone(old, 'expired');
      if (old.replacedBy) throw this.gone(old, 'already rolled');
      secret = mintSecret(old.kind, old.livemode);
      const row = this.credentials.add(
        em,
        keyRow({ merchantId, kind: old.kind, livemode: old.livemode, secret }),
      );
      const now = new Date();
      old.replacedBy = row.id;
      old.changedAt = now;
      if (grace === 0) old.revokedAt = now;
      else old.expiresAt = new Date(now.getTime() + grace * 1000);
      if (old.kind === 'publishable') await this.merchants.setClientKey(em, merchantId, secret);
      await this.credentials.save(em);
      await this.recordChange(em, old, actor, 'api_key.rolled', {
        replaced_by: row.id,
        expires_in_seconds: grace,
      });
      return { previous: old, next: row };
    });
    await this.announce(previous);
    return { key: toObject(next), secret, previous: toObject(previous) };
  }

  /** Cuts a key off at once, on every surface and every instance. Revoking twice is harmless. */
  async revoke(
    merchantId: string,
    keyId: string,
    actor: Actor,
    scope?: { livemode: boolean },
  ): Promise<ApiKeyObject> {
    const key = await this.db.em.fork().transactional(async (em) => {
      const row = await this.lockManaged(em, merchantId, keyId, scope);
      if (row.revokedAt) return row;
      const now = new Date();
      row.revokedAt = now;
      row.changedAt = now;
      if (row.kind === 'publishable') {
        // Hosted pages stop presenting it; a new publishable key becomes the presented one.
        const merchant = await this.merchants.find(merchantId, em);
        if (merchant && merchant.clientKey && hashSecret(merchant.clientKey) === row.secretHash)
          merchant.clientKey = null;
      }
      await this.credentials.save(em);
      await this.recordChange(em, row, actor, 'api_key.revoked', { type: row.kind });
      return row;
    });
    await this.announce(key);
    return toObject(key);
  }

  /** The audit entry of a change to a key, in the change's transaction. */
  private recordChange(
    em: SqlEntityManager,
    key: ApiKey,
    actor: Actor,
    action: 'api_key.created' | 'api_key.rolled' | 'api_key.revoked',
    details: Record<string, unknown>,
  ): Promise<void> {
    return this.audit.record(
      {
        merchantId: key.merchantId,
        livemode: key.livemode,
        actor,
        action,
        objectType: 'api_key',
        objectId: key.id,
        details,
      },
      em,
    );
  }

  /** Tells every instance a committed roll or revocation (caches drop it, sockets re-check). */
  private announce(key: ApiKey): Promise<void> {
    return this.watch.announce({
      merchantId: key.merchantId,
      credentialId: key.id,
      revokedAt: key.revokedAt?.getTime() ?? null,
      expiresAt: key.expiresAt?.getTime() ?? null,
    });
  }

  private checkType(type: unknown): ManagedKeyType {
    if (!(MANAGED_KEY_TYPES as readonly unknown[]).includes(type))
      throw invalid('type', `type must be one of ${MANAGED_KEY_TYPES.join(', ')}`);
    return type as ManagedKeyType;
  }

  /** Only test payments reach the hosted page today, so a live publishable key would open nothing. */
  private checkPublishableMode(type: ManagedKeyType, livemode: boolean): void {
    if (type === 'publishable' && livemode)
      throw invalid('livemode', 'Publishable keys are test-mode only until live payments are available.');
  }

  private async lockManaged(
    em: SqlEntityManager,
    merchantId: string,
    keyId: string,
    scope?: { livemode: boolean },
  ): Promise<ApiKey> {
    const row = API_KEY_ID_PATTERN.test(keyId)
      ? await this.credentials.lock(em, merchantId, keyId, MANAGED_KEY_TYPES, scope?.livemode)
      : null;
    if (!row) throw notFound('api key', keyId);
    return row;
  }

  private gone(key: ApiKey, why: string): TillError {
    return new TillError(ErrorCode.InvalidState, `This key is ${why}; roll or revoke its replacement.`, 'id');
  }
}
