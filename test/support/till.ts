import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { buildTill, type Till } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';
import { OPERATOR } from '../../src/services/principal.js';
import { seedEmbeddedDataDir } from './pglite-template.js';
import { createTestDatabase, serverUrls } from './services.js';

export type Backend = 'embedded' | 'server';

/** The server backend's TILL_ENCRYPTION_KEY (32 bytes, base64), the same for every test instance. */
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

export interface RunningTill {
  till: Till;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Every log line the instance wrote, parsed. */
  logs: string[];
  /**
   * How many pub/sub subscriptions are live on this instance now. Each running graphql-ws
   * subscription holds one from the moment it can receive changes, so a test can wait for a
   * subscriber to be listening instead of guessing how long that takes.
   */
  liveSubscriptions(): number;
  close(): Promise<void>;
}

export interface StartOptions {
  backend: Backend;
  env?: Record<string, string>;
  /** Reuse a database made for another instance (two-instance tests). */
  databaseUrl?: string;
  workers?: boolean;
}

/**
 * Starts a real Till listening on a free loopback port: PGlite in a temporary DATA_DIR, or a fresh
 * database on the test PostgreSQL server plus Redis pub/sub.
 */
export async function startTill(options: StartOptions): Promise<RunningTill & { databaseUrl?: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'till-test-'));
  if (options.backend === 'embedded') await seedEmbeddedDataDir(dataDir);
  let drop: (() => Promise<void>) | null = null;
  let databaseUrl = options.databaseUrl;
  if (options.backend === 'server' && !databaseUrl) {
    const db = await createTestDatabase();
    databaseUrl = db.url;
    drop = db.drop;
  }
  // The port is free when drawn, but a Till takes a moment to build: another process may take it
  // meanwhile (EADDRINUSE at listen), and then a Till is built again on another port.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const env: Record<string, string> = {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
      ADMIN_TOKEN: 'test-admin-token-0123456789',
      WORKER_INTERVAL_MS: '50',
      // Tests fire requests faster than a merchant would: the per-key rate and the merchant's decline
      // velocity are lifted unless a test sets them (the rate-limit tests do). Counters shared through
      // Redis are namespaced per test database, so suites never see each other's counts.
      API_RATE_LIMIT_TEST: '1000000',
      API_RATE_LIMIT_LIVE: '1000000',
      CHECKOUT_DECLINES_PER_MERCHANT: '1000000',
      RATE_LIMIT_KEY_PREFIX: `till:rl:${databaseUrl ? new URL(databaseUrl).pathname.slice(1) : path.basename(dataDir)}`,
      // Instances sharing a database share its encryption key (each has its own DATA_DIR, so the
      // key file of embedded mode would differ).
      ...(options.backend === 'server'
        ? {
            DATABASE_URL: databaseUrl!,
            REDIS_URL: serverUrls.redis!,
            TILL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
          }
        : {}),
      ...options.env,
    };
    const logs: string[] = [];
    const logStream = new Writable({
      write(chunk, _enc, done) {
        logs.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const till = await buildTill(loadConfig(env), { logStream, workers: options.workers });
    const liveSubscriptions = countSubscriptions(till);
    let address: string;
    try {
      address = await till.listen();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 3) throw error;
      await till.close();
      continue;
    }
    return {
      till,
      url: address,
      logs,
      liveSubscriptions,
      databaseUrl,
      async close() {
        await till.close();
        if (drop) await drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
}

/**
 * Counts the subscriptions of an instance's pub/sub: one more once `subscribe` resolves (the
 * PubSub contract: the subscription is live then), one fewer when it is ended.
 */
function countSubscriptions(till: Till): () => number {
  const pubsub = till.pubsub;
  const subscribe = pubsub.subscribe.bind(pubsub);
  let live = 0;
  pubsub.subscribe = async (topic, listener) => {
    const unsubscribe = await subscribe(topic, listener);
    live += 1;
    let ended = false;
    return async () => {
      if (!ended) live -= 1;
      ended = true;
      await unsubscribe();
    };
  };
  return () => live;
}

/** A new merchant with fresh credentials: tests never share merchants, so they never share data. */
export async function newMerchant(
  running: RunningTill,
  name = 'Test merchant',
): Promise<MerchantCredentials> {
  return running.till.services.merchants.createMerchant(name, OPERATOR);
}

/**
 * A loopback port nobody listens on right now (so PUBLIC_URL can name the real port up front). It is
 * drawn below Linux's ephemeral range (32768–60999): a port the kernel hands out for `listen(0)` can
 * be given to an outgoing connection (to PostgreSQL, Redis, a receiver) before Till binds it, and
 * Till's listen then fails with EADDRINUSE. Ports below that range are never handed out implicitly.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve, reject) => {
      const server = createServer();
      server.once('error', (error: NodeJS.ErrnoException) =>
        error.code === 'EADDRINUSE' && attempt < 50 ? resolve(false) : reject(error),
      );
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}
