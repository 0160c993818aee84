import path from 'node:path';

/** Till's whole configuration, read once from the environment and validated at boot (SPEC §2). */
export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  /** `embedded` = PGlite under dataDir; `postgres` = DATABASE_URL. */
  database: { kind: 'embedded'; dataDir: string } | { kind: 'postgres'; url: string };
  /** Absent = in-process pub/sub. */
  redisUrl: string | null;
  dataDir: string;
  adminToken: string | null;
  hppSessionTtlSeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  nodeEnv: 'development' | 'production' | 'test';
  /** Restrict /metrics to requests bearing this token (unset = open). */
  metricsToken: string | null;
  /** How often each instance sweeps for expired payments and unpublished events. */
  workerIntervalMs: number;
  /** Card submissions one client address may make on the hosted page per 10 minutes (card testing). */
  checkoutAttemptsPerClient: number;
  /** How long an authorization waits for its capture before it is released. */
  authorizationTtlSeconds: number;
  webhooks: {
    /** Allow loopback/private/link-local targets (test setups); refused by default. */
    allowPrivateNetworks: boolean;
    timeoutMs: number;
    /** Delay before each retry, in seconds (SPEC §7: ~5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h). */
    retrySchedule: number[];
  };
  /** Limits on GraphQL operations (HTTP, persisted queries, graphql-ws) and on subscription sockets. */
  graphql: {
    maxTokens: number;
    maxDepth: number;
    maxAliases: number;
    maxDirectives: number;
    maxCost: number;
    ws: { maxPayloadBytes: number; maxSubscriptionsPerSocket: number; maxSocketsPerMerchant: number };
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const NODE_ENVS = ['development', 'production', 'test'] as const;

/** Reads and validates the environment; throws one ConfigError naming every bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const blank = (v: string | undefined) => v === undefined || v.trim() === '';

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (blank(raw)) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = env[name];
    if (blank(raw)) return fallback;
    if (!(allowed as readonly string[]).includes(raw!)) {
      problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  };
  const url = (name: string, protocols: string[]): string | null => {
    const raw = env[name];
    if (blank(raw)) return null;
    try {
      const parsed = new URL(raw!);
      if (!protocols.includes(parsed.protocol)) {
        problems.push(`${name} must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL`);
        return null;
      }
      return raw!;
    } catch {
      problems.push(`${name} is not a valid URL`);
      return null;
    }
  };

  const port = int('PORT', 4000, 0, 65535);
  const host = blank(env.HOST) ? '127.0.0.1' : env.HOST!.trim();
  const publicUrl = (url('PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`).replace(
    /\/+$/,
    '',
  );
  const dataDir = path.resolve(blank(env.DATA_DIR) ? './.data' : env.DATA_DIR!);
  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:']);
  const adminToken = blank(env.ADMIN_TOKEN) ? null : env.ADMIN_TOKEN!;
  if (adminToken !== null && adminToken.length < 16)
    problems.push('ADMIN_TOKEN must be at least 16 characters');
  const hppSessionTtlSeconds = int('HPP_SESSION_TTL_SECONDS', 3600, 1, 7 * 24 * 3600);
  const logLevel = oneOf('LOG_LEVEL', LOG_LEVELS, 'info');
  const nodeEnv = oneOf('NODE_ENV', NODE_ENVS, 'development');
  const workerIntervalMs = int('WORKER_INTERVAL_MS', 1000, 10, 60_000);
  const metricsToken = blank(env.METRICS_TOKEN) ? null : env.METRICS_TOKEN!;
  const checkoutAttemptsPerClient = int('CHECKOUT_ATTEMPTS_PER_CLIENT', 20, 1, 1_000_000);
  const authorizationTtlSeconds = int('AUTHORIZATION_TTL_SECONDS', 7 * 24 * 3600, 1, 30 * 24 * 3600);
  const allowPrivateNetworks =
    oneOf('WEBHOOKS_ALLOW_PRIVATE_NETWORKS', ['true', 'false'] as const, 'false') === 'true';
  const webhookTimeoutMs = int('WEBHOOK_TIMEOUT_MS', 15_000, 100, 60_000);
  let retrySchedule = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400];
  if (!blank(env.WEBHOOK_RETRY_SCHEDULE)) {
    const parsed = env.WEBHOOK_RETRY_SCHEDULE!.split(',').map((v) => Number(v.trim()));
    if (
      parsed.length === 0 ||
      parsed.length > 20 ||
      parsed.some((n) => !Number.isFinite(n) || n < 0 || n > 7 * 86400)
    )
      problems.push(
        'WEBHOOK_RETRY_SCHEDULE must be up to 20 comma-separated delays in seconds (0 to 604800)',
      );
    else retrySchedule = parsed;
  }
  const graphql = {
    maxTokens: int('GRAPHQL_MAX_TOKENS', 2000, 100, 100_000),
    maxDepth: int('GRAPHQL_MAX_DEPTH', 10, 2, 100),
    maxAliases: int('GRAPHQL_MAX_ALIASES', 20, 0, 1000),
    maxDirectives: int('GRAPHQL_MAX_DIRECTIVES', 20, 0, 1000),
    maxCost: int('GRAPHQL_MAX_COST', 10_000, 1, 10_000_000),
    ws: {
      maxPayloadBytes: int('GRAPHQL_WS_MAX_PAYLOAD_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
      maxSubscriptionsPerSocket: int('GRAPHQL_WS_MAX_SUBSCRIPTIONS_PER_SOCKET', 100, 1, 10_000),
      maxSocketsPerMerchant: int('GRAPHQL_WS_MAX_SOCKETS_PER_MERCHANT', 1000, 1, 1_000_000),
    },
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    publicUrl,
    database: databaseUrl ? { kind: 'postgres', url: databaseUrl } : { kind: 'embedded', dataDir },
    redisUrl,
    dataDir,
    adminToken,
    hppSessionTtlSeconds,
    logLevel,
    nodeEnv,
    metricsToken,
    workerIntervalMs,
    checkoutAttemptsPerClient,
    authorizationTtlSeconds,
    webhooks: { allowPrivateNetworks, timeoutMs: webhookTimeoutMs, retrySchedule },
    graphql,
  };
}
