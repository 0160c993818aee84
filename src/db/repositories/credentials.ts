import { LockMode } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { ApiKeySchema, type ApiKey } from '../entities/api-key.entity.js';
import { SigningKeySchema, type SigningKey } from '../entities/signing-key.entity.js';
import type { Database } from '../orm.js';

/** A credential row to add: only the hash of its secret, and what listings show. */
export type NewApiKey = Pick<
  ApiKey,
  'id' | 'merchantId' | 'kind' | 'livemode' | 'identifier' | 'displayPrefix' | 'last4' | 'secretHash'
>;

/** An `api_key` row that was rolled or revoked, as instances poll for them. */
export interface KeyChangeRow {
  id: string;
  merchant_id: string;
  revoked_at: Date | string | null;
  expires_at: Date | string | null;
  changed_at: Date | string;
}

/** A `revoked_token` row. */
export interface RevokedTokenRow {
  jti: string;
  merchant_id: string;
  expires_at: Date | string;
  revoked_at: Date | string;
}

/**
 * The credentials Till stores: merchants' keys and OAuth secrets (`api_key`), the keys that sign
 * access tokens (`signing_key`) and revoked access tokens (`revoked_token`).
 */
export class CredentialRepository {
  constructor(private readonly db: Database) {}

  // Keys

  /** Adds a credential row to `tx`'s unit of work (written at its next flush). */
  add(tx: SqlEntityManager, row: NewApiKey): ApiKey {
    return tx.create(ApiKeySchema, {
      ...row,
      createdAt: new Date(),
      expiresAt: null,
      replacedBy: null,
      revokedAt: null,
      changedAt: null,
    });
  }

  /** The unrevoked credential of a kind with this secret hash, or null. */
  findActive(kind: ApiKey['kind'], secretHash: string): Promise<ApiKey | null> {
    return this.db.em.fork().findOne(ApiKeySchema, { secretHash, kind, revokedAt: null });
  }

  /** The unrevoked credential of a pair kind (OAuth client or password) with this identifier, or null. */
  findActivePair(kind: 'oauth_client' | 'oauth_password', identifier: string): Promise<ApiKey | null> {
    return this.db.em.fork().findOne(ApiKeySchema, { kind, identifier, revokedAt: null });
  }

  /** The merchant's credentials of these kinds (in one mode, or both), newest first. */
  list(merchantId: string, kinds: readonly ApiKey['kind'][], livemode?: boolean): Promise<ApiKey[]> {
    return this.db.em
      .fork()
      .find(
        ApiKeySchema,
        { merchantId, kind: { $in: [...kinds] }, ...(livemode === undefined ? {} : { livemode }) },
        { orderBy: { createdAt: 'desc', id: 'asc' } },
      );
  }

  /** One of the merchant's credentials of these kinds, its row locked for `tx`, or null. */
  lock(
    tx: SqlEntityManager,
    merchantId: string,
    keyId: string,
    kinds: readonly ApiKey['kind'][],
    livemode?: boolean,
  ): Promise<ApiKey | null> {
    return tx.findOne(
      ApiKeySchema,
      { id: keyId, merchantId, kind: { $in: [...kinds] }, ...(livemode === undefined ? {} : { livemode }) },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    );
  }

  /** The merchant's unrevoked credentials of these kinds, managed by `tx`. */
  activeOfKinds(
    tx: SqlEntityManager,
    merchantId: string,
    kinds: readonly ApiKey['kind'][],
  ): Promise<ApiKey[]> {
    return tx.find(ApiKeySchema, { merchantId, kind: { $in: [...kinds] }, revokedAt: null });
  }

  /**
   * Keys rolled or revoked since `since` (a database time, looked at a few seconds early for late
   * commits); on the first look (`since` null), those changed within `window` and those still
   * expiring.
   */
  keyChanges(since: string | null, window: string): Promise<KeyChangeRow[]> {
    return this.db.em.fork().execute<KeyChangeRow[]>(
      since === null
        ? `select id, merchant_id, revoked_at, expires_at, changed_at from api_key
           where changed_at > now() - ?::interval and (revoked_at is not null or expires_at is not null)
              or (revoked_at is null and expires_at > now())`
        : `select id, merchant_id, revoked_at, expires_at, changed_at from api_key
           where changed_at > ?::timestamptz - interval '5 seconds'`,
      [since ?? window],
    );
  }

  // Access tokens

  /** Records an access token as revoked; false when it already was. */
  async revokeToken(
    tx: SqlEntityManager,
    token: { jti: string; merchantId: string; expiresAt: Date },
  ): Promise<boolean> {
    const inserted = await tx.execute<{ jti: string }[]>(
      `insert into revoked_token (jti, merchant_id, expires_at, revoked_at) values (?, ?, ?, now())
       on conflict (jti) do nothing returning jti`,
      [token.jti, token.merchantId, token.expiresAt],
    );
    return inserted.length > 0;
  }

  /**
   * Tokens revoked since `since` (looked at a few seconds early for late commits); on the first
   * look (`since` null), every revoked token not yet expired.
   */
  tokenRevocations(since: string | null): Promise<RevokedTokenRow[]> {
    return this.db.em.fork().execute<RevokedTokenRow[]>(
      since === null
        ? 'select jti, merchant_id, expires_at, revoked_at from revoked_token where expires_at > now()'
        : `select jti, merchant_id, expires_at, revoked_at from revoked_token
             where revoked_at > ?::timestamptz - interval '5 seconds'`,
      since === null ? [] : [since],
    );
  }

  /** Drops revocations of tokens that have expired anyway. */
  async pruneRevokedTokens(): Promise<void> {
    await this.db.em.fork().execute('delete from revoked_token where expires_at < now()');
  }

  // Signing keys

  /** Adds a signing key to `tx`'s unit of work (written at its next flush). */
  addSigningKey(tx: SqlEntityManager, key: SigningKey): SigningKey {
    return tx.create(SigningKeySchema, key);
  }

  /** Unretired signing keys past the newest `keep`, managed by `tx` (to retire them). */
  signingKeysPast(tx: SqlEntityManager, keep: number): Promise<SigningKey[]> {
    return tx.find(SigningKeySchema, { retiredAt: null }, { orderBy: { createdAt: 'desc' }, offset: keep });
  }

  /** Unretired signing keys whose private half is sealed, newest first. */
  usableSigningKeys(): Promise<SigningKey[]> {
    return this.db.em
      .fork()
      .find(
        SigningKeySchema,
        { retiredAt: null, privateJwkSealed: { $ne: null } },
        { orderBy: { createdAt: 'desc' } },
      );
  }

  // Units of work

  /** Writes the changes `tx` has collected (new rows, changed entities). */
  save(tx: SqlEntityManager): Promise<void> {
    return tx.flush();
  }
}
