import { RateLimitError } from '../domain/errors.js';
import type { Principal } from './principal.js';
import type { LimitDecision, Limiter, RateLimitStore } from './rate-limits.js';

/** Requests one key may make per window, per mode (the larger gateways' defaults: per second). */
export interface ApiRateOptions {
  testPerSecond: number;
  livePerSecond: number;
  windowSec: number;
}

export const DEFAULT_API_RATE: ApiRateOptions = { testPerSecond: 25, livePerSecond: 100, windowSec: 1 };

/**
 * The request rate of each credential, counted in the shared rate-limit store, so N instances
 * allow what one does. Every authenticated request counts, on every surface and transport: REST
 * v1, the api dialect, GraphQL over HTTP and each graphql-ws operation.
 */
export class ApiRateLimit {
  private readonly test: Limiter;
  private readonly live: Limiter;

  constructor(store: RateLimitStore, options: ApiRateOptions = DEFAULT_API_RATE) {
    const durationSec = options.windowSec;
    this.test = store.limiter({ name: 'api-test', points: options.testPerSecond, durationSec });
    this.live = store.limiter({ name: 'api-live', points: options.livePerSecond, durationSec });
  }

  /** Counts one request of the principal's credential. */
  admit(principal: Principal): Promise<LimitDecision> {
    return (principal.livemode ? this.live : this.test).consume(principal.credentialId);
  }

  /** Counts one request; throws a RateLimitError when the credential is over its rate. */
  async enforce(principal: Principal): Promise<LimitDecision> {
    const decision = await this.admit(principal);
    if (!decision.allowed)
      throw new RateLimitError(
        `Too many requests: this key may make ${decision.limit} requests per ${decision.windowSec === 1 ? 'second' : `${decision.windowSec} seconds`}. Retry after ${decision.resetSec} s.`,
        decision,
      );
    return decision;
  }
}
