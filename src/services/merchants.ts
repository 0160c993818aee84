import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Database } from '../db/orm.js';
import { CredentialRepository } from '../db/repositories/credentials.js';
import { MerchantRepository } from '../db/repositories/merchants.js';
import { invalid, notFound } from '../domain/errors.js';
import { newId, randomBase62 } from '../domain/ids.js';
import { safeEqual } from '../crypto/safe-equal.js';
import { hashSecret, keyRow, mintSecret } from './api-keys.js';
import type { AuditAction, AuditLog } from './audit.js';
import type { CredentialWatch } from './credential-watch.js';
import type { Actor } from './principal.js';

export interface TerminalCredential {
  id: string;
  currencies: string[];
  payment_methods: string[];
  tokenization: boolean;
}

/** The api dialect's credentials: the `x-api-key` and the two OAuth pairs that obtain access tokens. */
export interface ApiDialectCredentials {
  api_key: string;
  oauth: { client_id: string; client_secret: string; username: string; password: string };
}

/** The credential shape shown once, at creation. The database keeps only hashes. */
export interface MerchantCredentials extends ApiDialectCredentials {
  merchant_id: string;
  name: string;
  test_secret_key: string;
  live_secret_key: string;
  client_key: string;
  terminals: TerminalCredential[];
}

/** Terminals every new merchant starts with (the sandbox's three). */
export const DEFAULT_TERMINALS: TerminalCredential[] = [
  { id: 'TERM001', currencies: ['EUR', 'BAM'], payment_methods: ['card'], tokenization: true },
  { id: 'DEV02', currencies: ['EUR'], payment_methods: ['card'], tokenization: false },
  { id: 'NOMETHODS', currencies: ['EUR'], payment_methods: [], tokenization: false },
];

const API_DIALECT_KINDS = ['api', 'oauth_client', 'oauth_password'] as const;

function newApiDialectCredentials(): ApiDialectCredentials {
  return {
    api_key: mintSecret('api', false),
    oauth: {
      client_id: `cli_${randomBase62(20)}`,
      client_secret: mintSecret('oauth_client', false),
      username: `usr_${randomBase62(16)}`,
      password: mintSecret('oauth_password', false),
    },
  };
}

/** Merchants, the credentials they start with, their terminals, and the api dialect's credential pairs. */
export class MerchantService {
  private readonly merchants: MerchantRepository;
  private readonly credentials: CredentialRepository;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly watch: CredentialWatch | null,
  ) {
    this.merchants = new MerchantRepository(db);
    this.credentials = new CredentialRepository(db);
  }

  async createMerchant(name: string, actor: Actor): Promise<MerchantCredentials> {
    const trimmed = typeof name === 'string' ? name.trim() : '';
    if (trimmed.length < 1 || trimmed.length > 200) throw invalid('name', 'name must be 1 to 200 characters');
    const merchantId = newId.merchant();
    const creds: MerchantCredentials = {
      merchant_id: merchantId,
      name: trimmed,
      test_secret_key: mintSecret('secret', false),
      live_secret_key: mintSecret('secret', true),
      client_key: mintSecret('publishable', false),
      ...newApiDialectCredentials(),
      terminals: DEFAULT_TERMINALS.map((t) => ({ ...t })),
    };
    await this.db.em.fork().transactional(async (em) => {
      this.merchants.add(
        em,
        { id: merchantId, name: trimmed, clientKey: creds.client_key },
        creds.terminals.map((t) => ({
          id: t.id,
          currencies: t.currencies,
          paymentMethods: t.payment_methods,
          tokenization: t.tokenization,
        })),
      );
      for (const row of [
        { kind: 'secret' as const, livemode: false, secret: creds.test_secret_key },
        { kind: 'secret' as const, livemode: true, secret: creds.live_secret_key },
        { kind: 'publishable' as const, livemode: false, secret: creds.client_key },
      ])
        this.credentials.add(em, keyRow({ merchantId, ...row }));
      this.addApiDialectRows(em, merchantId, creds);
      await this.credentials.save(em);
      await this.record(em, merchantId, null, actor, 'merchant.created');
    });
    return creds;
  }

  /**
   * New api-dialect credentials (x-api-key, client and password pairs); the old ones stop working
   * at once, and so does every access token issued to them.
   */
  async rotateApiDialectCredentials(merchantId: string, actor: Actor): Promise<ApiDialectCredentials> {
    const creds = newApiDialectCredentials();
    const revoked = await this.db.em.fork().transactional(async (em) => {
      if (!(await this.merchants.lock(em, merchantId))) throw notFound('merchant', merchantId);
      const old = await this.credentials.activeOfKinds(em, merchantId, API_DIALECT_KINDS);
      const now = new Date();
      for (const row of old) {
        row.revokedAt = now;
        row.changedAt = now;
      }
      await this.credentials.save(em);
      this.addApiDialectRows(em, merchantId, creds);
      await this.credentials.save(em);
      await this.record(em, merchantId, false, actor, 'oauth_credentials.rotated', {
        revoked: old.map((r) => r.id),
      });
      return old;
    });
    for (const row of revoked)
      await this.watch?.announce({
        merchantId,
        credentialId: row.id,
        revokedAt: row.revokedAt!.getTime(),
        expiresAt: null,
      });
    return creds;
  }

  private addApiDialectRows(em: SqlEntityManager, merchantId: string, creds: ApiDialectCredentials): void {
    for (const row of [
      { kind: 'api' as const, secret: creds.api_key },
      { kind: 'oauth_client' as const, secret: creds.oauth.client_secret, identifier: creds.oauth.client_id },
      { kind: 'oauth_password' as const, secret: creds.oauth.password, identifier: creds.oauth.username },
    ])
      this.credentials.add(em, keyRow({ merchantId, livemode: false, ...row }));
  }

  /** The audit entry of a change to a merchant, in the change's transaction. */
  private record(
    em: SqlEntityManager,
    merchantId: string,
    livemode: boolean | null,
    actor: Actor,
    action: AuditAction,
    details?: Record<string, unknown>,
  ): Promise<void> {
    return this.audit.record(
      { merchantId, livemode, actor, action, objectType: 'merchant', objectId: merchantId, details },
      em,
    );
  }

  /**
   * Checks a named credential pair (OAuth client_id + client_secret, or username + password) and
   * returns its merchant and credential ids, or null. Constant-time on the secret's hash.
   */
  async verifyPair(
    kind: 'oauth_client' | 'oauth_password',
    identifier: string,
    secret: string,
  ): Promise<{ merchantId: string; credentialId: string } | null> {
    if (typeof identifier !== 'string' || typeof secret !== 'string' || identifier.length > 200) return null;
    const key = await this.credentials.findActivePair(kind, identifier);
    // Compare against a dummy when the identifier is unknown, so timing does not reveal which one exists.
    return safeEqual(key?.secretHash ?? '0'.repeat(64), hashSecret(secret)) && key
      ? { merchantId: key.merchantId, credentialId: key.id }
      : null;
  }

  /** The merchant of an `x-api-key` (the api dialect's), or null. */
  async merchantOfApiKey(apiKey: string): Promise<string | null> {
    if (typeof apiKey !== 'string' || apiKey.length > 200) return null;
    const key = await this.credentials.findActive('api', hashSecret(apiKey));
    return key?.merchantId ?? null;
  }

  /** The publishable client key hosted pages present now (null after it was revoked). */
  async clientKeyOf(merchantId: string): Promise<string | null> {
    const merchant = await this.merchants.find(merchantId);
    return merchant?.clientKey ?? null;
  }

  async exists(merchantId: string): Promise<boolean> {
    return this.merchants.exists(merchantId);
  }

  /** The merchant's display name, or null when there is no such merchant. */
  async nameOf(merchantId: string): Promise<string | null> {
    return (await this.merchants.find(merchantId))?.name ?? null;
  }
}
