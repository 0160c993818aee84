import { ErrorCode, TillError } from '../domain/errors.js';
import type { ApiKeyService } from './api-keys.js';
import type { ApiRateLimit } from './api-rate-limit.js';
import type { CredentialWatch } from './credential-watch.js';
import { sessionPrincipal, type DashboardSessionService } from './dashboard-sessions.js';
import type { Principal } from './principal.js';
import type { LimitDecision } from './rate-limits.js';
import type { TokenService } from './tokens.js';

/** Which credentials a surface accepts. */
export type AcceptedCredential = 'secret_key' | 'access_token';

/** The bearer token of an `Authorization` value, or null. */
export function bearerToken(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match ? match[1]! : null;
}

/**
 * The one authentication path: every credential Till accepts — secret keys (`api_test_sk_…` /
 * `api_live_sk_…`), OIDC access tokens, publishable keys — becomes a Principal here, and here
 * only, for REST v1, the api dialect, GraphQL over HTTP and graphql-ws alike. A revoked, rolled-out
 * or expired credential yields null on every surface.
 */
export class Authenticator {
  constructor(
    private readonly keys: ApiKeyService,
    private readonly tokens: TokenService,
    private readonly watch: CredentialWatch,
    private readonly sessions: DashboardSessionService | null = null,
  ) {}

  /**
   * The Principal of a dashboard session's cookie token in the mode the caller picked, or null.
   * Only callers that have made the request CSRF-safe ask (a custom header, or a same-origin socket).
   */
  async session(token: unknown, mode: unknown, requestId: string | null = null): Promise<Principal | null> {
    if (!this.sessions || (mode !== 'test' && mode !== 'live')) return null;
    const session = await this.sessions.lookup(token);
    return session ? sessionPrincipal(session, mode === 'live', requestId) : null;
  }

  /**
   * The Principal of an `Authorization: Bearer …` value among the accepted kinds, or null.
   * `requestId` is stamped on the returned principal (a copy: verified principals are cached).
   */
  async bearer(
    authorization: unknown,
    accepted: readonly AcceptedCredential[],
    requestId: string | null = null,
  ): Promise<Principal | null> {
    const token = bearerToken(authorization);
    if (!token) return null;
    let principal: Principal | null = null;
    if (token.startsWith('api_')) {
      if (accepted.includes('secret_key')) principal = await this.keys.verifySecretKey(token);
    } else if (accepted.includes('access_token')) {
      principal = await this.tokens.verify(token);
      if (principal && this.watch.isCut(principal)) principal = null;
    }
    return principal ? { ...principal, requestId } : null;
  }

  /** The Principal of a publishable client key (the hosted page's checkout API), or null. */
  async publishable(clientKey: unknown): Promise<Principal | null> {
    return typeof clientKey === 'string' ? this.keys.verifyPublishableKey(clientKey) : null;
  }

  /**
   * Whether a principal verified earlier (an open socket's) still holds: not revoked, not past its
   * own expiry or a roll's. Cheap — no database — because every instance's view is kept current.
   */
  stillValid(principal: Principal): boolean {
    return !this.watch.isCut(principal);
  }

  /** When the principal's credential stops working on its own, epoch ms, or null. */
  expiryOf(principal: Principal): number | null {
    return this.watch.expiryOf(principal);
  }

  /** Calls `listener` for every principal-affecting change (revocation, roll) any instance makes. */
  onCredentialChange(listener: Parameters<CredentialWatch['onChange']>[0]): () => void {
    return this.watch.onChange(listener);
  }
}

/** What a surface accepts, and how it words a refusal (each surface's documents word it their way). */
export interface CredentialPolicy {
  accepted: readonly AcceptedCredential[];
  /** The refusal of a request with no `Authorization`; null where such a request goes on anonymously. */
  missing: string | null;
  /** The refusal of a credential that is malformed, unknown, revoked, expired or of another kind. */
  invalid: string;
  /** The request field a refusal names, where the surface names one. */
  field?: string;
}

/** An authenticated request: its caller, and where that caller stands against its rate. */
export interface Authenticated {
  principal: Principal;
  rate: LimitDecision;
}

/**
 * The one authentication step of every request-response surface: the `Authorization` value becomes
 * a Principal among the accepted credential kinds, and the request is counted against that
 * credential's rate. Throws an Unauthenticated TillError in the surface's wording, or a
 * RateLimitError; returns null only for an anonymous request the policy lets through.
 */
export async function authenticate(
  gate: { auth: Authenticator; rateLimit: ApiRateLimit },
  request: { authorization: unknown; requestId: string | null },
  policy: CredentialPolicy,
): Promise<Authenticated | null> {
  if (request.authorization === undefined || request.authorization === '') {
    if (policy.missing === null) return null;
    throw new TillError(ErrorCode.Unauthenticated, policy.missing, policy.field);
  }
  const principal = await gate.auth.bearer(request.authorization, policy.accepted, request.requestId);
  if (!principal) throw new TillError(ErrorCode.Unauthenticated, policy.invalid, policy.field);
  return { principal, rate: await gate.rateLimit.enforce(principal) };
}
