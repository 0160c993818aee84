import { isIP } from 'node:net';
import path from 'node:path';
import { decodeKey, keyIdOf, KID_PATTERN, type EncryptionKey } from './crypto/sealing.js';

/** Till's whole configuration, read once from the environment and validated at boot (SPEC §2). */
export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  /** `embedded` = PGlite under dataDir; `postgres` = DATABASE_URL. */
  database: { kind: 'embedded'; dataDir: string } | { kind: 'postgres'; url: string };
  /** Pub/sub between instances through Redis; absent = see `pubsubKind`. */
  redisUrl: string | null;
  dataDir: string;
  adminToken: string | null;
  hppSessionTtlSeconds: number;
  /** How long a dashboard session lasts from sign-in, whatever its use (absolute lifetime). */
  dashboardSessionHours: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  nodeEnv: 'development' | 'production' | 'test';
  /** Restrict /metrics to requests bearing this token (unset = open). */
  metricsToken: string | null;
  /**
   * The keys that seal stored credentials: from TILL_ENCRYPTION_KEY (+ TILL_ENCRYPTION_PREVIOUS_KEYS),
   * or null to use DATA_DIR/encryption.key (created on first start).
   */
  encryption: { keys: EncryptionKey[]; currentKid: string } | null;
  /** How often each instance sweeps for expired payments and unpublished events. */
  workerIntervalMs: number;
  /** Card submissions one client address may make on the hosted page per 10 minutes (card testing). */
  checkoutAttemptsPerClient: number;
  /** Which proxies to believe about the client's address: none, a hop count, or addresses/CIDRs. */
  trustProxy: boolean | number | string[];
  /** Protective counters (shared through Redis when REDIS_URL is set). */
  rateLimits: {
    apiTestPerSecond: number;
    apiLivePerSecond: number;
    /** The window those API rates are counted over, in seconds (1 unless an operator widens it). */
    apiWindowSeconds: number;
    loginMaxFailures: number;
    loginMaxFailuresPerAddress: number;
    checkoutDeclinesPerMerchantPerMinute: number;
    /** Prefix of the counters' Redis keys, so deployments sharing a Redis keep their counts apart. */
    keyPrefix: string;
  };
  /** How long an authorization waits for its capture before it is released. */
  authorizationTtlSeconds: number;
  connectors: {
    /** A call to an acquirer that has not answered in this time is a technical failure (failover). */
    timeoutMs: number;
    /** A payment PROCESSING this long is asked about at its acquirer (reconciliation). */
    reconcileAfterSeconds: number;
  };
  webhooks: {
    /** Allow loopback/private/link-local and other special-purpose targets (local development, tests). */
    allowPrivateNetworks: boolean;
    /** DNS lookup plus TCP (and TLS) connect of one attempt. */
    connectTimeoutMs: number;
    /** From the connection to the end of the receiver's answer. */
    responseTimeoutMs: number;
    /** Attempts in flight at once to one endpoint. */
    maxInFlightPerEndpoint: number;
    /** Attempts in flight at once to all of one merchant's endpoints. */
    maxInFlightPerMerchant: number;
    /** Endpoints one merchant may have per mode. */
    maxEndpoints: number;
    /** Delay before each retry, in seconds (SPEC §7: ~5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h). */
    retrySchedule: number[];
  };
  /**
   * OpenTelemetry tracing: on when an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT` or
   * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), unless `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`.
   * The SDK reads every other `OTEL_*` variable itself (src/tracing/sdk.ts).
   */
  tracing: boolean;
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

/**
 * Which pub/sub carries events (and credential changes) to subscribers: Redis when REDIS_URL is
 * set; else PostgreSQL's LISTEN/NOTIFY on DATABASE_URL, so instances sharing a database hear each
 * other without Redis; else (embedded PGlite, one process) in-process.
 */
export function pubsubKind(
  config: Pick<Config, 'redisUrl' | 'database'>,
): 'redis' | 'postgres' | 'in-process' {
  if (config.redisUrl) return 'redis';
  return config.database.kind === 'postgres' ? 'postgres' : 'in-process';
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
  const hppSessionTtlSeconds = int('HPP_SESSION_TTL_SECONDS', 3600, 1, 7 * 24 * 3600);
  const dashboardSessionHours = int('DASHBOARD_SESSION_HOURS', 12, 1, 30 * 24);
  const logLevel = oneOf('LOG_LEVEL', LOG_LEVELS, 'info');
  const nodeEnv = oneOf('NODE_ENV', NODE_ENVS, 'development');
  const workerIntervalMs = int('WORKER_INTERVAL_MS', 1000, 10, 60_000);
  const metricsToken = blank(env.METRICS_TOKEN) ? null : env.METRICS_TOKEN!;
  // Production asks for a token nobody could guess; 16 keeps short test and development tokens working.
  const adminTokenMinimum = nodeEnv === 'production' ? 32 : 16;
  if (adminToken !== null && adminToken.length < adminTokenMinimum)
    problems.push(
      `ADMIN_TOKEN must be at least ${adminTokenMinimum} characters${nodeEnv === 'production' ? ' in production' : ''}`,
    );
  const encryption = encryptionKeys(env, problems);
  if (blank(env.TILL_ENCRYPTION_KEY) && databaseUrl !== null && nodeEnv === 'production')
    problems.push(
      'TILL_ENCRYPTION_KEY is required with DATABASE_URL in production: 32 random bytes as base64 or hex (openssl rand -base64 32), the same on every instance',
    );
  const checkoutAttemptsPerClient = int('CHECKOUT_ATTEMPTS_PER_CLIENT', 20, 1, 1_000_000);
  const rateLimits = {
    apiTestPerSecond: int('API_RATE_LIMIT_TEST', 25, 1, 1_000_000),
    apiLivePerSecond: int('API_RATE_LIMIT_LIVE', 100, 1, 1_000_000),
    apiWindowSeconds: int('API_RATE_LIMIT_WINDOW_SECONDS', 1, 1, 3600),
    loginMaxFailures: int('LOGIN_MAX_FAILURES', 5, 2, 1000),
    loginMaxFailuresPerAddress: int('LOGIN_MAX_FAILURES_PER_ADDRESS', 100, 2, 1_000_000),
    checkoutDeclinesPerMerchantPerMinute: int('CHECKOUT_DECLINES_PER_MERCHANT', 30, 1, 1_000_000),
    keyPrefix: blank(env.RATE_LIMIT_KEY_PREFIX) ? 'till:rl' : env.RATE_LIMIT_KEY_PREFIX!.trim(),
  };
  if (!/^[A-Za-z0-9:_.-]{1,100}$/.test(rateLimits.keyPrefix))
    problems.push('RATE_LIMIT_KEY_PREFIX must be 1 to 100 letters, digits or : _ . -');
  const trustProxy = parseTrustProxy(env.TRUST_PROXY, problems);
  const authorizationTtlSeconds = int('AUTHORIZATION_TTL_SECONDS', 7 * 24 * 3600, 1, 30 * 24 * 3600);
  const connectors = {
    timeoutMs: int('CONNECTOR_TIMEOUT_MS', 30_000, 100, 120_000),
    reconcileAfterSeconds: int('RECONCILE_AFTER_SECONDS', 60, 0, 7 * 24 * 3600),
  };
  const allowPrivateNetworks =
    oneOf('WEBHOOKS_ALLOW_PRIVATE_NETWORKS', ['true', 'false'] as const, 'false') === 'true';
  // WEBHOOK_TIMEOUT_MS, the older single deadline, still sets both when the new ones are not given.
  const legacyTimeoutMs = blank(env.WEBHOOK_TIMEOUT_MS)
    ? null
    : int('WEBHOOK_TIMEOUT_MS', 15_000, 100, 60_000);
  const webhooks = {
    allowPrivateNetworks,
    connectTimeoutMs: int('WEBHOOK_CONNECT_TIMEOUT_MS', Math.min(legacyTimeoutMs ?? 5000, 5000), 100, 60_000),
    responseTimeoutMs: int('WEBHOOK_RESPONSE_TIMEOUT_MS', legacyTimeoutMs ?? 10_000, 100, 60_000),
    maxInFlightPerEndpoint: int('WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT', 2, 1, 100),
    maxInFlightPerMerchant: int('WEBHOOK_MAX_IN_FLIGHT_PER_MERCHANT', 10, 1, 10_000),
    maxEndpoints: int('WEBHOOK_MAX_ENDPOINTS', 16, 1, 1000),
  };
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
  const otlpEndpoints = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'].map((name) =>
    url(name, ['http:', 'https:']),
  );
  const tracing =
    otlpEndpoints.some((endpoint) => endpoint !== null) &&
    env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true' &&
    env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() !== 'none';

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
    dashboardSessionHours,
    logLevel,
    nodeEnv,
    metricsToken,
    encryption,
    workerIntervalMs,
    checkoutAttemptsPerClient,
    trustProxy,
    rateLimits,
    authorizationTtlSeconds,
    connectors,
    webhooks: { ...webhooks, retrySchedule },
    tracing,
    graphql,
  };
}

const CIDR = /^([0-9a-fA-F.:]+)(?:\/(\d{1,3}))?$/;
const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * `TRUST_PROXY`: unset or `false` — the connection's address is the client's; a number — trust that
 * many proxy hops of `X-Forwarded-For`; otherwise a comma-separated list of proxy addresses, CIDRs or
 * `loopback` / `linklocal` / `uniquelocal`, whose `X-Forwarded-For` entries are believed.
 */
function parseTrustProxy(raw: string | undefined, problems: string[]): boolean | number | string[] {
  const value = raw?.trim() ?? '';
  if (value === '' || value === 'false') return false;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const entries = value.split(',').map((e) => e.trim());
  const bad = entries.filter((entry) => {
    if (PROXY_NAMES.includes(entry)) return false;
    const match = CIDR.exec(entry);
    if (!match || isIP(match[1]!) === 0) return true;
    const max = isIP(match[1]!) === 4 ? 32 : 128;
    return match[2] !== undefined && Number(match[2]) > max;
  });
  if (bad.length > 0 || value === 'true')
    problems.push(
      `TRUST_PROXY must be false, a hop count, or a list of proxy addresses/CIDRs (got "${raw}"); "true" would let any client choose its address`,
    );
  return entries;
}

/**
 * TILL_ENCRYPTION_KEY (the key that seals) and TILL_ENCRYPTION_PREVIOUS_KEYS (comma-separated keys
 * that still open what they sealed), each `key` or `kid:key`, the key being 32 bytes as base64 or
 * hex. Without a kid, the key's id is derived from the key, so every instance names it alike.
 * Problems never quote a key.
 */
function encryptionKeys(
  env: NodeJS.ProcessEnv,
  problems: string[],
): { keys: EncryptionKey[]; currentKid: string } | null {
  const parse = (name: string, entry: string): EncryptionKey | null => {
    const colon = entry.indexOf(':');
    const kid = colon < 0 ? null : entry.slice(0, colon).trim();
    const key = decodeKey(colon < 0 ? entry : entry.slice(colon + 1));
    if (!key) {
      problems.push(
        `${name} must hold 32-byte keys written as base64 or hex (64 digits), optionally as kid:key`,
      );
      return null;
    }
    if (kid !== null && !KID_PATTERN.test(kid)) {
      problems.push(`${name}: a key id must be 1 to 32 letters, digits, _ or -`);
      return null;
    }
    return { kid: kid ?? keyIdOf(key), key };
  };
  const currentText = env.TILL_ENCRYPTION_KEY?.trim() ?? '';
  const previousText = env.TILL_ENCRYPTION_PREVIOUS_KEYS?.trim() ?? '';
  if (currentText === '') {
    if (previousText !== '') problems.push('TILL_ENCRYPTION_PREVIOUS_KEYS needs TILL_ENCRYPTION_KEY');
    return null;
  }
  const current = parse('TILL_ENCRYPTION_KEY', currentText);
  const previous = previousText
    .split(',')
    .filter((entry) => entry.trim() !== '')
    .map((entry) => parse('TILL_ENCRYPTION_PREVIOUS_KEYS', entry.trim()));
  if (!current || previous.some((k) => k === null)) return null;
  const keys = [current, ...(previous as EncryptionKey[])];
  const kids = keys.map((k) => k.kid);
  if (new Set(kids).size !== kids.length) {
    problems.push('TILL_ENCRYPTION_KEY and TILL_ENCRYPTION_PREVIOUS_KEYS name one key id twice');
    return null;
  }
  return { keys, currentKid: current.kid };
}
