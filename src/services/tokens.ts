import {
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTHeaderParameters,
} from 'jose';
import type { Sealer } from '../crypto/sealing.js';
import type { Database } from '../db/orm.js';
import { CredentialRepository } from '../db/repositories/credentials.js';
import { sealedFor } from '../db/sealed-columns.js';
import { randomBase62 } from '../domain/ids.js';
import type { AuditLog } from './audit.js';
import type { CredentialWatch } from './credential-watch.js';
import { SYSTEM, type Actor, type Principal } from './principal.js';

const ALG = 'ES256';
/** Access tokens are short-lived: a leaked one is useful for minutes, not days. */
export const ACCESS_TOKEN_TTL_SECONDS = 900;
/** How long an instance trusts its cached key set before re-reading it (rotation reaches all instances). */
const KEY_CACHE_MS = 60_000;

interface LoadedKey {
  kid: string;
  publicJwk: JWK;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  createdAt: Date;
}

/** The claims Till puts in an access token besides the registered ones. */
export interface TillClaims {
  /** Merchant id (also `sub`). */
  mid: string;
  /** The stored credential the token was issued to: revoking or rotating it cuts the token off. */
  cid: string;
  livemode: boolean;
  client_id: string;
  scope: string;
}

/**
 * Till's OIDC/OAuth 2.0 token authority: ES256-signed JWT access tokens whose keys (with `kid`)
 * live in the database, so every instance verifies what any instance issued, and rotation is a
 * new row. Verification pins the algorithm, issuer and audience; `alg: none` cannot pass. The
 * private keys are stored sealed: reading the database is not enough to sign a token.
 */
export class TokenService {
  private keys: LoadedKey[] = [];
  private loadedAt = 0;
  private loading: Promise<void> | null = null;
  private readonly credentials: CredentialRepository;

  constructor(
    private readonly db: Database,
    private readonly sealer: Sealer,
    private readonly publicUrl: string,
    private readonly watch: CredentialWatch | null = null,
    private readonly audit: AuditLog | null = null,
  ) {
    this.credentials = new CredentialRepository(db);
  }

  get issuer(): string {
    return this.publicUrl;
  }

  /** The audience of access tokens: Till's merchant APIs. */
  get audience(): string {
    return `${this.publicUrl}/api`;
  }

  /** Loads the key set, creating the first key if there is none. */
  async init(): Promise<void> {
    await this.reload();
    if (this.keys.length === 0) {
      await this.rotate(SYSTEM);
    }
  }

  /** Makes a new signing key the active one. Older keys keep verifying until retired. */
  async rotate(actor: Actor): Promise<string> {
    const { privateKey } = await generateKeyPair(ALG, { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const { d: _private, ...publicJwk } = privateJwk;
    const kid = `key_${randomBase62(16)}`;
    const now = new Date();
    await this.db.em.fork().transactional(async (em) => {
      this.credentials.addSigningKey(em, {
        kid,
        alg: ALG,
        publicJwk: { ...publicJwk, kid, alg: ALG, use: 'sig' },
        privateJwkSealed: this.sealer.seal(
          JSON.stringify({ ...privateJwk, kid, alg: ALG }),
          sealedFor.signingKey(kid),
        ),
        createdAt: now,
        retiredAt: null,
      });
      // Keep the previous key for verification; retire anything older (its tokens have expired).
      const older = await this.credentials.signingKeysPast(em, 2);
      for (const key of older) key.retiredAt = now;
      await this.credentials.save(em);
      await this.audit?.record(
        {
          merchantId: null,
          livemode: null,
          actor,
          action: 'signing_key.rotated',
          objectType: 'signing_key',
          objectId: kid,
          details: { retired: older.map((k) => k.kid) },
        },
        em,
      );
    });
    await this.reload();
    return kid;
  }

  private async reload(): Promise<void> {
    if (!this.loading)
      this.loading = (async () => {
        try {
          // A key written before sealing existed is left out until the next start has sealed it.
          const rows = await this.credentials.usableSigningKeys();
          this.keys = await Promise.all(
            rows.map(async (row) => ({
              kid: row.kid,
              publicJwk: row.publicJwk,
              privateKey: (await importJWK(
                JSON.parse(this.sealer.open(row.privateJwkSealed!, sealedFor.signingKey(row.kid))) as JWK,
                ALG,
              )) as CryptoKey,
              publicKey: (await importJWK(row.publicJwk, ALG)) as CryptoKey,
              createdAt: row.createdAt,
            })),
          );
          this.loadedAt = Date.now();
        } finally {
          this.loading = null;
        }
      })();
    await this.loading;
  }

  private async current(): Promise<LoadedKey[]> {
    if (Date.now() - this.loadedAt > KEY_CACHE_MS) await this.reload();
    if (this.keys.length === 0) await this.init();
    return this.keys;
  }

  /**
   * Issues an access token for a merchant to a stored credential (test mode: the OAuth credentials
   * are sandbox ones). `lifetimeSeconds` is shortened only by tests and never exceeds the default.
   */
  async issue(
    merchantId: string,
    credential: { id: string; clientId: string },
    options: { livemode?: boolean; lifetimeSeconds?: number } = {},
  ): Promise<{ token: string; expiresIn: number }> {
    const [key] = await this.current();
    const lifetime = Math.min(options.lifetimeSeconds ?? ACCESS_TOKEN_TTL_SECONDS, ACCESS_TOKEN_TTL_SECONDS);
    const claims: TillClaims = {
      mid: merchantId,
      cid: credential.id,
      livemode: options.livemode ?? false,
      client_id: credential.clientId,
      scope: 'payments',
    };
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: ALG, kid: key!.kid, typ: 'at+jwt' })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(merchantId)
      .setIssuedAt()
      .setExpirationTime(`${lifetime}s`)
      .setJti(randomBase62(24))
      .sign(key!.privateKey);
    return { token, expiresIn: lifetime };
  }

  /**
   * The Principal of a well-signed, unexpired access token, or null for anything else (expired,
   * tampered, foreign). Whether it has been revoked is the authenticator's question.
   */
  async verify(token: string): Promise<Principal | null> {
    if (typeof token !== 'string' || token.length > 4096 || token.split('.').length !== 3) return null;
    const keyFor = async (header: JWTHeaderParameters) => {
      let keys = await this.current();
      let key = keys.find((k) => k.kid === header.kid);
      if (!key && header.kid) {
        await this.reload(); // rotated on another instance since we last looked
        keys = this.keys;
        key = keys.find((k) => k.kid === header.kid);
      }
      if (!key) throw new Error('unknown key');
      return key.publicKey;
    };
    try {
      const { payload } = await jwtVerify(token, keyFor, {
        algorithms: [ALG],
        issuer: this.issuer,
        audience: this.audience,
        requiredClaims: ['sub', 'exp', 'iat', 'mid', 'cid', 'jti'],
        typ: 'at+jwt',
      });
      const claims = payload as unknown as TillClaims & { sub: string; jti: string; exp: number };
      if (typeof claims.mid !== 'string' || claims.mid !== claims.sub || typeof claims.cid !== 'string')
        return null;
      return {
        merchantId: claims.mid,
        livemode: claims.livemode === true,
        credentialId: claims.cid,
        kind: 'access_token',
        expiresAt: claims.exp * 1000,
        tokenId: claims.jti,
      };
    } catch {
      return null;
    }
  }

  /**
   * Revokes one access token (RFC 7009): it is refused everywhere from now on. A token that is not
   * Till's, is malformed or has already expired needs nothing done. A `client` that authenticated
   * may revoke only its own merchant's tokens; without one, holding the token is the proof.
   */
  async revoke(
    token: string,
    client: { merchantId: string; credentialId: string } | null,
    requestId: string | null,
  ): Promise<Principal | null> {
    const principal = await this.verify(token);
    if (!principal?.tokenId || (client !== null && principal.merchantId !== client.merchantId)) return null;
    const expiresAt = new Date(principal.expiresAt!);
    await this.db.em.fork().transactional(async (em) => {
      const revoked = await this.credentials.revokeToken(em, {
        jti: principal.tokenId!,
        merchantId: principal.merchantId,
        expiresAt,
      });
      if (!revoked) return;
      await this.audit?.record(
        {
          merchantId: principal.merchantId,
          livemode: principal.livemode,
          actor: client
            ? { type: 'api_key', id: client.credentialId, requestId }
            : { type: 'access_token', id: principal.credentialId, requestId },
          action: 'access_token.revoked',
          objectType: 'access_token',
          objectId: principal.tokenId!,
          details: { issued_to: principal.credentialId },
        },
        em,
      );
    });
    await this.watch?.announce({
      merchantId: principal.merchantId,
      tokenId: principal.tokenId,
      revokedAt: Date.now(),
      expiresAt: principal.expiresAt!,
    });
    return principal;
  }

  /** Drops revocations of tokens that have expired anyway. */
  async pruneRevoked(): Promise<void> {
    await this.credentials.pruneRevokedTokens();
  }

  /** The public keys that verify current tokens (the JWKS document). */
  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: (await this.current()).map((k) => k.publicJwk) };
  }

  /** OpenID Provider metadata (RFC 8414 / OIDC Discovery). */
  discovery(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      token_endpoint: `${this.publicUrl}/api/oauth2/token`,
      revocation_endpoint: `${this.publicUrl}/api/oauth2/revoke`,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      jwks_uri: `${this.publicUrl}/api/oauth2/jwks`,
      grant_types_supported: ['client_credentials', 'password'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: ['token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [ALG],
      token_endpoint_auth_signing_alg_values_supported: [ALG],
      scopes_supported: ['payments'],
      claims_supported: [
        'sub',
        'iss',
        'aud',
        'exp',
        'iat',
        'jti',
        'mid',
        'cid',
        'livemode',
        'client_id',
        'scope',
      ],
    };
  }
}
