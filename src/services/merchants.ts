import { LockMode } from '@mikro-orm/core';
import type { Database } from '../db/orm.js';
import { ApiKeySchema } from '../db/entities/api-key.entity.js';
import { MerchantSchema } from '../db/entities/merchant.entity.js';
import { TerminalSchema } from '../db/entities/terminal.entity.js';
import { invalid, notFound } from '../domain/errors.js';
import { newId, randomBase62 } from '../domain/ids.js';
import { safeEqual } from '../crypto/safe-equal.js';
import { addKeyRow, hashSecret, mintSecret } from './api-keys.js';
import type { AuditLog } from './audit.js';
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
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly watch: CredentialWatch | null,
  ) {}

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
      em.create(MerchantSchema, {
        id: merchantId,
        name: trimmed,
        clientKey: creds.client_key,
        createdAt: new Date(),
      });
      addKeyRow(em, { merchantId, kind: 'secret', livemode: false, secret: creds.test_secret_key });
      addKeyRow(em, { merchantId, kind: 'secret', livemode: true, secret: creds.live_secret_key });
      addKeyRow(em, { merchantId, kind: 'publishable', livemode: false, secret: creds.client_key });
      this.addApiDialectRows(em, merchantId, creds);
      for (const t of creds.terminals)
        em.create(TerminalSchema, {
          merchantId,
          id: t.id,
          currencies: t.currencies,
          paymentMethods: t.payment_methods,
          tokenization: t.tokenization,
        });
      await em.flush();
      await this.audit.record(
        {
          merchantId,
          livemode: null,
          actor,
          action: 'merchant.created',
          objectType: 'merchant',
          objectId: merchantId,
        },
        em,
      );
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
      const merchant = await em.findOne(
        MerchantSchema,
        { id: merchantId },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      if (!merchant) throw notFound('merchant', merchantId);
      const old = await em.find(ApiKeySchema, {
        merchantId,
        kind: { $in: [...API_DIALECT_KINDS] },
        revokedAt: null,
      });
      const now = new Date();
      for (const row of old) {
        row.revokedAt = now;
        row.changedAt = now;
      }
      await em.flush();
      this.addApiDialectRows(em, merchantId, creds);
      await em.flush();
      await this.audit.record(
        {
          merchantId,
          livemode: false,
          actor,
          action: 'oauth_credentials.rotated',
          objectType: 'merchant',
          objectId: merchantId,
          details: { revoked: old.map((r) => r.id) },
        },
        em,
      );
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

  private addApiDialectRows(
    em: Parameters<typeof addKeyRow>[0],
    merchantId: string,
    creds: ApiDialectCredentials,
  ): void {
    addKeyRow(em, { merchantId, kind: 'api', livemode: false, secret: creds.api_key });
    addKeyRow(em, {
      merchantId,
      kind: 'oauth_client',
      livemode: false,
      secret: creds.oauth.client_secret,
      identifier: creds.oauth.client_id,
    });
    addKeyRow(em, {
      merchantId,
      kind: 'oauth_password',
      livemode: false,
      secret: creds.oauth.password,
      identifier: creds.oauth.username,
    });
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
    const key = await this.db.em.fork().findOne(ApiKeySchema, { kind, identifier, revokedAt: null });
    // Compare against a dummy when the identifier is unknown, so timing does not reveal which one exists.
    return safeEqual(key?.secretHash ?? '0'.repeat(64), hashSecret(secret)) && key
      ? { merchantId: key.merchantId, credentialId: key.id }
      : null;
  }

  /** The merchant of an `x-api-key` (the api dialect's), or null. */
  async merchantOfApiKey(apiKey: string): Promise<string | null> {
    if (typeof apiKey !== 'string' || apiKey.length > 200) return null;
    const key = await this.db.em
      .fork()
      .findOne(ApiKeySchema, { kind: 'api', secretHash: hashSecret(apiKey), revokedAt: null });
    return key?.merchantId ?? null;
  }

  /** The publishable client key hosted pages present now (null after it was revoked). */
  async clientKeyOf(merchantId: string): Promise<string | null> {
    const merchant = await this.db.em.fork().findOne(MerchantSchema, { id: merchantId });
    return merchant?.clientKey ?? null;
  }

  async exists(merchantId: string): Promise<boolean> {
    return (await this.db.em.fork().count(MerchantSchema, { id: merchantId })) > 0;
  }
}
