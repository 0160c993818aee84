/** Limits of failed credential checks before a lockout (defaults in one place). */
export interface ThrottleOptions {
  maxFailures: number;
  windowMs: number;
  lockoutMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  maxFailures: 5,
  windowMs: 15 * 60_000,
  lockoutMs: 15 * 60_000,
};

interface Entry {
  failures: number;
  firstAt: number;
  lockedUntil: number;
}

/**
 * Slows credential guessing: after `maxFailures` failed logins for one identity (username or
 * client_id) from one address within `windowMs`, that pair is refused for `lockoutMs`, and an identity
 * failing from many addresses is locked as a whole at five times the limit. Per instance, in memory.
 */
export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: ThrottleOptions = DEFAULT_THROTTLE) {}

  private keys(identity: string, address: string): string[] {
    return [`${identity}\u0000${address}`, `${identity}\u0000*`];
  }

  /** Seconds until the pair may try again, or 0 when it may try now. */
  retryAfter(identity: string, address: string, now = Date.now()): number {
    const waits = this.keys(identity, address).map((k) => this.entries.get(k)?.lockedUntil ?? 0);
    const until = Math.max(...waits);
    return until > now ? Math.ceil((until - now) / 1000) : 0;
  }

  fail(identity: string, address: string, now = Date.now()): void {
    const [pair, all] = this.keys(identity, address);
    this.bump(pair!, this.options.maxFailures, now);
    this.bump(all!, this.options.maxFailures * 5, now);
    if (this.entries.size > 100_000) this.entries.clear(); // bounded memory under a flood
  }

  succeed(identity: string, address: string): void {
    this.entries.delete(this.keys(identity, address)[0]!);
  }

  private bump(key: string, limit: number, now: number): void {
    let entry = this.entries.get(key);
    if (!entry || now - entry.firstAt > this.options.windowMs) {
      entry = { failures: 0, firstAt: now, lockedUntil: 0 };
      this.entries.set(key, entry);
    }
    entry.failures += 1;
    if (entry.failures >= limit) entry.lockedUntil = now + this.options.lockoutMs;
  }
}
