import type { MerchantService } from './merchants.js';
import type { Principal } from './principal.js';
import type { TokenService } from './tokens.js';

/**
 * Turns any Bearer credential Till accepts on its merchant APIs into a Principal: a secret key
 * (`api_test_sk_…` / `api_live_sk_…`) or an OIDC access token. Null for anything else.
 */
export class Authenticator {
  constructor(
    private readonly merchants: MerchantService,
    private readonly tokens: TokenService,
  ) {}

  async bearer(token: string): Promise<Principal | null> {
    if (token.startsWith('api_')) return this.merchants.authenticateSecretKey(token);
    return this.tokens.verify(token);
  }
}
