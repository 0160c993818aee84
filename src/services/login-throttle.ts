import type { Limiter, RateLimitStore } from './rate-limits.js';

/** Limits of failed credential checks (defaults in one place; `LOGIN_*` variables override them). */
export interface ThrottleOptions {
  /** Consecutive failures of one identity from one address before that pair is locked out. */
  maxFailures: number;
  /** How long a locked pair waits. */
  lockoutSec: number;
  /** Failures one address may make across all identities per hour before it is locked out. */
  maxFailuresPerAddress: number;
  /** Failures of one identity from anywhere per hour before each further attempt is delayed. */
  delayAfterFailures: number;
  /** The longest delay between attempts on one identity. */
  maxDelaySec: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  maxFailures: 5,
  lockoutSec: 15 * 60,
  maxFailuresPerAddress: 100,
  delayAfterFailures: 10,
  maxDelaySec: 60,
};

/**
 * Slows credential guessing, following OWASP's authentication guidance:
 * - one identity (username or client_id) failing from one address is locked out after
 *   `maxFailures` consecutive failures — the guesser's address, not the owner's;
 * - one address failing across many identities is locked out after `maxFailuresPerAddress` an
 *   hour (password spraying);
 * - an identity failing from many addresses is never locked outright — that would let anyone who
 *   knows a username lock its merchant out — but each attempt after `delayAfterFailures` an hour
 *   must wait an exponentially growing delay (2 s, 4 s, … at most `maxDelaySec`), so a distributed
 *   guesser gets at most one guess a minute while the owner, from a fresh address, waits at most
 *   that long.
 * The counters live in the shared rate-limit store (Redis: every instance, surviving restarts).
 */
export class LoginThrottle {
  private readonly pair: Limiter;
  private readonly address: Limiter;
  private readonly identity: Limiter;
  private readonly delay: Limiter;

  constructor(
    store: RateLimitStore,
    private readonly options: ThrottleOptions = DEFAULT_THROTTLE,
  ) {
    // A limiter refuses once its points are exceeded; a lockout starts at the n-th failure itself.
    this.pair = store.limiter({
      name: 'login-pair',
      points: options.maxFailures - 1,
      durationSec: options.lockoutSec,
      blockSec: options.lockoutSec,
    });
    this.address = store.limiter({
      name: 'login-address',
      points: options.maxFailuresPerAddress - 1,
      durationSec: 3600,
      blockSec: 3600,
    });
    this.identity = store.limiter({ name: 'login-identity', points: 1_000_000, durationSec: 3600 });
    this.delay = store.limiter({ name: 'login-delay', points: 1, durationSec: options.maxDelaySec });
  }

  private pairKey(identity: string, address: string): string {
    return `${identity}\u0000${address}`;
  }

  /** Seconds the caller must wait before this identity may be tried from this address, or 0. */
  async retryAfter(identity: string, address: string): Promise<number> {
    const [pair, byAddress, delay] = await Promise.all([
      this.pair.peek(this.pairKey(identity, address)),
      this.address.peek(address),
      this.delay.peek(identity),
    ]);
    const waits = [pair, byAddress, delay].filter((d) => !d.allowed).map((d) => d.resetSec);
    return waits.length > 0 ? Math.max(...waits) : 0;
  }

  async fail(identity: string, address: string): Promise<void> {
    const [, , byIdentity] = await Promise.all([
      this.pair.consume(this.pairKey(identity, address)),
      this.address.consume(address),
      this.identity.consume(identity),
    ]);
    const failures = byIdentity.consumed;
    const over = failures - this.options.delayAfterFailures;
    if (over > 0) await this.delay.block(identity, Math.min(2 ** over, this.options.maxDelaySec));
  }

  /** A success ends that pair's run of consecutive failures (the identity-wide count stays). */
  async succeed(identity: string, address: string): Promise<void> {
    await this.pair.reset(this.pairKey(identity, address));
  }
}
