import { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

/** One counter's rule: `points` per `durationSec`; over it, the key is refused for `blockSec`. */
export interface LimitRule {
  /** Names the counter (and its Redis key prefix). */
  name: string;
  points: number;
  durationSec: number;
  /** How long a key that went over stays refused (default: until its window ends). */
  blockSec?: number;
}

/** What a limiter answered for one key. */
export interface LimitDecision {
  allowed: boolean;
  /** The rule's points and window, for `RateLimit-Policy`. */
  limit: number;
  windowSec: number;
  /** Points left in the current window. */
  remaining: number;
  /** Points counted in the current window. */
  consumed: number;
  /** Seconds until the window (or block) ends: `Retry-After` when refused. */
  resetSec: number;
}

/** Largest number of keys one in-memory limiter holds (each is a few hundred bytes). */
export const MEMORY_MAX_KEYS = 100_000;

interface MemoryRecord {
  value: number;
  timeoutId?: NodeJS.Timeout;
}

/**
 * An in-memory limiter whose store is bounded. When it is full it forgets the oldest keys that are
 * still under their limit first, and keys that are refused only when nothing else is left, so a
 * flood of new keys (random usernames, spoofed addresses) cannot lift an existing lockout by
 * flushing the table — the table never empties itself wholesale.
 */
class BoundedMemoryLimiter extends RateLimiterMemory {
  private readonly storage: Map<string, MemoryRecord>;

  constructor(
    options: ConstructorParameters<typeof RateLimiterMemory>[0],
    private readonly maxKeys: number,
  ) {
    super(options);
    const storage = (this as unknown as { _memoryStorage?: { _storage?: unknown } })._memoryStorage?._storage;
    // The bound relies on the library's store being a Map; fail at startup, never run unbounded.
    if (!(storage instanceof Map)) throw new Error('rate-limiter-flexible memory store layout changed');
    this.storage = storage as Map<string, MemoryRecord>;
  }

  override async consume(key: string | number, points = 1, options = {}): Promise<RateLimiterRes> {
    try {
      return await super.consume(key, points, options);
    } finally {
      if (this.storage.size > this.maxKeys) this.evict();
    }
  }

  private evict(): void {
    const target = Math.floor(this.maxKeys * 0.9);
    const drop = (key: string, record: MemoryRecord) => {
      if (record.timeoutId) clearTimeout(record.timeoutId);
      this.storage.delete(key);
    };
    for (const [key, record] of this.storage) {
      if (this.storage.size <= target) return;
      if (record.value <= this.points) drop(key, record);
    }
    for (const [key, record] of this.storage) {
      if (this.storage.size <= target) return;
      drop(key, record);
    }
  }
}

/**
 * A counter with one rule. Refusals are answers, not exceptions; a store outage falls back to this
 * instance's memory (the insurance limiter), so Redis going away never opens the gates nor fails
 * requests.
 */
export class Limiter {
  constructor(
    private readonly rule: LimitRule,
    private readonly impl: RateLimiterAbstract,
  ) {}

  /** Counts `points` against `key`. */
  async consume(key: string, points = 1): Promise<LimitDecision> {
    try {
      return this.decision(await this.impl.consume(key, points), true);
    } catch (rejected) {
      if (rejected instanceof RateLimiterRes) return this.decision(rejected, false);
      throw rejected;
    }
  }

  /** The key's state without counting anything; refused when it is over the limit or blocked. */
  async peek(key: string): Promise<LimitDecision> {
    const res = await this.impl.get(key);
    if (!res)
      return {
        allowed: true,
        limit: this.rule.points,
        windowSec: this.rule.durationSec,
        remaining: this.rule.points,
        consumed: 0,
        resetSec: 0,
      };
    return this.decision(res, res.consumedPoints <= this.rule.points);
  }

  /** Refuses `key` for `seconds` from now. */
  async block(key: string, seconds: number): Promise<void> {
    await this.impl.block(key, seconds);
  }

  /** Forgets `key` (e.g. a successful login clears its consecutive failures). */
  async reset(key: string): Promise<void> {
    await this.impl.delete(key);
  }

  private decision(res: RateLimiterRes, allowed: boolean): LimitDecision {
    return {
      allowed,
      limit: this.rule.points,
      windowSec: this.rule.durationSec,
      remaining: Math.max(0, res.remainingPoints),
      consumed: res.consumedPoints,
      resetSec: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    };
  }
}

/**
 * Where Till's protective counters live: Redis when `REDIS_URL` is set — shared by every instance
 * and surviving restarts — and otherwise this process's bounded memory (one instance: embedded mode).
 */
export class RateLimitStore {
  private constructor(
    private readonly redis: Redis | null,
    /** Namespaces the keys, so deployments sharing one Redis keep their counts apart. */
    private readonly prefix: string,
    private readonly memoryMaxKeys: number,
  ) {}

  static async open(
    redisUrl: string | null,
    prefix = 'till:rl',
    memoryMaxKeys = MEMORY_MAX_KEYS,
  ): Promise<RateLimitStore> {
    if (!redisUrl) return new RateLimitStore(null, prefix, memoryMaxKeys);
    // No offline queue: while Redis is unreachable, calls fail at once and the insurance answers.
    const redis = new Redis(redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    redis.on('error', () => {});
    await redis.connect();
    return new RateLimitStore(redis, prefix, memoryMaxKeys);
  }

  get shared(): boolean {
    return this.redis !== null;
  }

  limiter(rule: LimitRule): Limiter {
    const options = {
      points: rule.points,
      duration: rule.durationSec,
      blockDuration: rule.blockSec ?? 0,
      keyPrefix: `${this.prefix}:${rule.name}`,
    };
    const memory = new BoundedMemoryLimiter(options, this.memoryMaxKeys);
    const impl = this.redis
      ? new RateLimiterRedis({ ...options, storeClient: this.redis, insuranceLimiter: memory })
      : memory;
    return new Limiter(rule, impl);
  }

  async close(): Promise<void> {
    await this.redis?.quit().catch(() => {});
  }
}
