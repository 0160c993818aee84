import type { RateLimitState } from '../domain/errors.js';

/**
 * The IETF RateLimit header fields (`RateLimit-Policy: "key";q=25;w=1`, `RateLimit:
 * "key";r=24;t=1`) for a state, plus `Retry-After` when the caller has been refused.
 */
export function rateLimitHeaders(state: RateLimitState, refused: boolean): Record<string, string> {
  return {
    'RateLimit-Policy': `"key";q=${state.limit};w=${state.windowSec}`,
    RateLimit: `"key";r=${state.remaining};t=${state.resetSec}`,
    ...(refused ? { 'Retry-After': String(state.resetSec) } : {}),
  };
}
