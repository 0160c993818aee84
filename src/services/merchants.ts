import { createHash, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/orm.js';
import { ApiKeySchema, type ApiKey } from '../db/entities/api-key.entity.js';
import { MerchantSchema } from '../db/entities/merchant.entity.js';
import { TerminalSchema } from '../db/entities/terminal.entity.js';
import { invalid } from '../domain/errors.js';
import { newId, randomBase62 } from '../domain/ids.js';
import type { Principal } from './principal.js';

export interface TerminalCredential {
  id: string;
  currencies: string[];
  payment_methods: string[];
  tokenization: boolean;
}

/** SPEC §2's credential shape: shown once, at creation. The database keeps only hashes. */
export interface MerchantCredentials {
  merchant_id: string;
  name: string;
  test_secret_key: string;
  live_secret_key: string;
  client_key: string;
  api_key: string;
  oauth: { client_id: string; client_secret: string; username: string; password: string };
  terminals: TerminalCredential[];
}

/** Terminals every new merchant starts with (SPEC §2: the sandbox's three). */
export const DEFAULT_TERMINALS: TerminalCredential[] = [
  { id: 'TERM001', currencies: ['EUR', 'BAM'], payment_methods: ['card'], tokenization: true },
  { id: 'DEV02', currencies: ['EUR'], payment_methods: ['card'], tokenization: false },
  { id: 'NOMETHODS', currencies: ['EUR'], payment_methods: [], tokenization: false },
];

const SECRET_KEY = /^api_(test|live)_sk_[A-Za-z0-9]{32}$/;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Shown in logs and dashboards in place of a secret: its prefix and first four random characters. */
export function displayPrefix(secret: string): string {
  const cut = secret.lastIndexOf('_') + 1;
  return `${secret.slice(0, cut + 4)}…`;
}

interface CachedPrincipal {
  principal: Principal;
  hash: Buffer;
  until: number;
}

/** Merchants, their credentials and terminals; and turning a presented secret into a Principal. */
export class MerchantService {
  /** Recently verified keys, so the hot path does not query per request. Short-lived for revocation. */
  private readonly keyCache = new Map<string, CachedPrincipal>();
  private static readonly CACHE_MS = 30_000;
  private static readonly CACHE_MAX = 10_000;

  constructor(private readonly db: Database) {}

  async createMerchant(name: string): Promise<MerchantCredentials> {
    const trimmed = typeof name === 'string' ? name.trim() : '';
    if (trimmed.length < 1 || trimmed.length > 200) throw invalid('name', 'name must be 1 to 200 characters');
    const merchantId = newId.merchant();
    const creds: MerchantCredentials = {
      merchant_id: merchantId,
      name: trimmed,
      test_secret_key: `api_test_sk_${randomBase62(32)}`,
      live_secret_key: `api_live_sk_${randomBase62(32)}`,
      client_key: `api_test_pk_${randomBase62(32)}`,
      api_key: `api_key_${randomBase62(40)}`,
      oauth: {
        client_id: `cli_${randomBase62(20)}`,
        client_secret: randomBase62(48),
        username: `usr_${randomBase62(16)}`,
        password: randomBase62(32),
      },
      terminals: DEFAULT_TERMINALS.map((t) => ({ ...t })),
    };
    await this.db.em.fork().transactional(async (em) => {
      em.create(MerchantSchema, {
        id: merchantId,
        name: trimmed,
        clientKey: creds.client_key,
        createdAt: new Date(),
      });
      const key = (
        kind: ApiKey['kind'],
        livemode: boolean,
        secret: string,
        identifier: string | null = null,
      ) =>
        em.create(ApiKeySchema, {
          id: newId.apiKey(),
          merchantId,
          kind,
          livemode,
          identifier,
          displayPrefix: displayPrefix(secret),
          secretHash: hashSecret(secret),
          createdAt: new Date(),
          revokedAt: null,
        });
      key('secret', false, creds.test_secret_key);
      key('secret', true, creds.live_secret_key);
      key('publishable', false, creds.client_key);
      key('api', false, creds.api_key);
      key('oauth_client', false, creds.oauth.client_secret, creds.oauth.client_id);
      key('oauth_password', false, creds.oauth.password, creds.oauth.username);
      for (const t of creds.terminals)
        em.create(TerminalSchema, {
          merchantId,
          id: t.id,
          currencies: t.currencies,
          paymentMethods: t.payment_methods,
          tokenization: t.tokenization,
        });
    });
    return creds;
  }

  /**
   * Checks a named credential pair (OAuth client_id + client_secret, or username + password) and
   * returns its merchant id, or null. Constant-time on the secret's hash.
   */
  async verifyPair(
    kind: 'oauth_client' | 'oauth_password',
    identifier: string,
    secret: string,
  ): Promise<string | null> {
    if (typeof identifier !== 'string' || typeof secret !== 'string' || identifier.length > 200) return null;
    const key = await this.db.em.fork().findOne(ApiKeySchema, { kind, identifier, revokedAt: null });
    const given = Buffer.from(hashSecret(secret), 'hex');
    // Compare against a dummy when the identifier is unknown, so timing does not reveal which one exists.
    const stored = Buffer.from(key?.secretHash ?? '0'.repeat(64), 'hex');
    return timingSafeEqual(stored, given) && key ? key.merchantId : null;
  }

  /** The merchant of an `x-api-key` (seed 000's api dialect), or null. */
  async merchantOfApiKey(apiKey: string): Promise<string | null> {
    if (typeof apiKey !== 'string' || apiKey.length > 200) return null;
    const key = await this.db.em
      .fork()
      .findOne(ApiKeySchema, { kind: 'api', secretHash: hashSecret(apiKey), revokedAt: null });
    return key?.merchantId ?? null;
  }

  /** The merchant's publishable client key (shown on the hosted page). */
  async clientKeyOf(merchantId: string): Promise<string | null> {
    const merchant = await this.db.em.fork().findOne(MerchantSchema, { id: merchantId });
    return merchant?.clientKey ?? null;
  }

  /**
   * The Principal of a secret key (`api_test_sk_…` / `api_live_sk_…`), or null. The lookup is by
   * SHA-256 of the secret, and the cached comparison is constant-time, so timing reveals nothing.
   */
  async authenticateSecretKey(secret: string): Promise<Principal | null> {
    if (!SECRET_KEY.test(secret)) return null;
    const hashHex = hashSecret(secret);
    const hash = Buffer.from(hashHex, 'hex');
    const cached = this.keyCache.get(hashHex);
    if (cached && cached.until > Date.now() && timingSafeEqual(cached.hash, hash)) return cached.principal;
    const key = await this.db.em
      .fork()
      .findOne(ApiKeySchema, { secretHash: hashHex, kind: 'secret', revokedAt: null });
    if (!key || !timingSafeEqual(Buffer.from(key.secretHash, 'hex'), hash)) {
      this.keyCache.delete(hashHex);
      return null;
    }
    const principal: Principal = { merchantId: key.merchantId, livemode: key.livemode, credentialId: key.id };
    if (this.keyCache.size >= MerchantService.CACHE_MAX) this.keyCache.clear();
    this.keyCache.set(hashHex, { principal, hash, until: Date.now() + MerchantService.CACHE_MS });
    return principal;
  }
}
