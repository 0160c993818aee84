/** A dashboard user's role within one merchant account. */
export const ROLES = ['owner', 'admin', 'developer', 'analyst'] as const;
export type Role = (typeof ROLES)[number];

/** How a caller proved who it is. */
export type CredentialKind = 'secret_key' | 'access_token' | 'publishable_key' | 'session';

/** Who is calling: a merchant in one mode. Every read and write is scoped by it. */
export interface Principal {
  merchantId: string;
  livemode: boolean;
  /**
   * The stored credential behind the call (an `api_key` row id; for an access token, the OAuth
   * credential it was issued to). Revoking that row cuts off every principal carrying its id.
   */
  credentialId: string;
  kind?: CredentialKind;
  /** When the credential stops working on its own (token `exp`, a rolled key's grace end), epoch ms. */
  expiresAt?: number | null;
  /** The access token's `jti`, so revoking that one token cuts it off. */
  tokenId?: string | null;
  /** A dashboard session's user (`usr_…`) and role; absent for API credentials. */
  userId?: string | null;
  role?: Role | null;
  /** The request that carries this principal (audit entries name it). */
  requestId?: string | null;
}

/** Who did something, as the audit log records it. */
export interface Actor {
  type: 'api_key' | 'access_token' | 'user' | 'admin' | 'cli' | 'system';
  /** The credential id (never the secret), the dashboard user's id; null for the operator. */
  id: string | null;
  requestId: string | null;
}

/** The operator through the admin API (`requestId` set per request) and Till itself. */
export const OPERATOR: Actor = { type: 'admin', id: null, requestId: null };
export const SYSTEM: Actor = { type: 'system', id: null, requestId: null };

export function actorOf(principal: Principal): Actor {
  if (principal.kind === 'session')
    return { type: 'user', id: principal.userId ?? null, requestId: principal.requestId ?? null };
  return {
    type: principal.kind === 'access_token' ? 'access_token' : 'api_key',
    id: principal.credentialId,
    requestId: principal.requestId ?? null,
  };
}
