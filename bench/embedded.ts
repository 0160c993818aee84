/**
 * The embedded mode (PGlite in Till's own process, DATA_DIR): create throughput, closed-loop like
 * the PostgreSQL routes, and how long the first page of the dashboard's payments screen takes with
 * many payments stored.
 *
 * The dashboard figures: the payments screen in Chromium, from the click to its first 50 rows (see
 * dashboard.ts), and the GraphQL query that screen sends, `payments(first: 50)`, on its own — each
 * the first time after Till starts, then repeated. The payments are seeded with PGlite directly
 * while Till is stopped (one process owns the data directory at a time).
 *
 * Runs under plain Node 24 (type stripping): erasable TypeScript only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PGlite } from '@electric-sql/pglite';
import {
  ADMIN_TOKEN,
  checkInterrupted,
  type Child,
  CONNECTIONS,
  CREATE_BODY,
  createMerchant,
  freePort,
  HOST,
  type LatencySummary,
  log,
  round,
  SECONDS,
  startChild,
  stopChild,
  summarize,
  waitReady,
} from './common.ts';
import { closedLoop, type PeakResult } from './create.ts';
import { measurePaymentsScreen, screenUnavailable, type ScreenResult } from './dashboard.ts';
import { paymentSeedSql } from './payment-seed.ts';

export interface EmbeddedResult {
  create: PeakResult;
  dashboard: {
    payments: number;
    seedSeconds: number;
    what: string;
    /** The first answer after Till started (nothing cached, nothing planned yet). */
    firstMs: number;
    /** Repeated answers after the first. */
    latencyMs: LatencySummary;
    /** The payments screen in Chromium: click to 50 rows on screen. */
    screen: ScreenResult | null;
    /** Why the screen was not measured, when it was not. */
    screenSkipped: string | null;
  } | null;
  /** Why the dashboard figure is missing, when it is. */
  dashboardSkipped: string | null;
}

const PAYMENTS_QUERY = JSON.stringify({
  query: `query { payments(first: 50) {
    edges { cursor node { id status amount currency merchantReference createdAt card { brand last4 } } }
    pageInfo { hasNextPage endCursor } } }`,
});

export async function measureEmbedded(dashboardRows: number, repeats: number): Promise<EmbeddedResult> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'till-bench-embedded-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'PUBLIC_URL', 'METRICS_TOKEN', 'TILL_ENCRYPTION_KEY'])
    delete env[name];
  Object.assign(env, {
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST,
    PUBLIC_URL: `http://${HOST}:${port}`,
    ADMIN_TOKEN,
    LOG_LEVEL: process.env.BENCH_TILL_LOG_LEVEL || 'warn',
    NODE_ENV: 'production',
    API_RATE_LIMIT_TEST: '1000000',
  });
  const start = async () => {
    const till = startChild('till-embedded', ['dist/main.js'], env, port);
    await waitReady(till, 60_000);
    return till;
  };
  let till: Child | null = null;
  try {
    // Merchants first, then the seed while Till is stopped (idle, it stops at once), then both
    // measurements on one start: the dashboard's first, then create (what it leaves in flight when
    // the load stops no longer holds up a stop the run waits for).
    till = await start();
    const creator = await createMerchant(port, 'bench-embedded');
    const viewer = await createMerchant(port, 'bench-dashboard');
    await stopChild(till);

    log(`embedded: seeding ${dashboardRows} payments with PGlite`);
    const seedStarted = performance.now();
    const pglite = await PGlite.create({ dataDir: path.join(dataDir, 'pglite'), database: 'till' });
    try {
      await pglite.exec(
        paymentSeedSql({ merchantId: viewer.id, otherMerchantIds: [creator.id], count: dashboardRows }),
      );
      await pglite.exec('analyze payment');
    } finally {
      await pglite.close();
    }
    const seedSeconds = round((performance.now() - seedStarted) / 1000, 1);
    checkInterrupted();

    till = await start();
    const ask = async () => {
      const started = performance.now();
      const res = await fetch(`http://${HOST}:${port}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${viewer.key}`, 'content-type': 'application/json' },
        body: PAYMENTS_QUERY,
      });
      const body = (await res.json()) as { data?: { payments?: { edges?: unknown[] } }; errors?: unknown };
      const ms = performance.now() - started;
      if (res.status !== 200 || body.errors || body.data?.payments?.edges?.length !== 50)
        throw new Error(
          `embedded: the payments query failed (${res.status}): ${JSON.stringify(body).slice(0, 300)}`,
        );
      return ms;
    };
    const firstMs = await ask();
    const latencies: number[] = [];
    for (let i = 0; i < repeats; i++) latencies.push(await ask());
    checkInterrupted();
    let screenSkipped = screenUnavailable();
    let screen: ScreenResult | null = null;
    if (!screenSkipped) {
      log('embedded: the payments screen in Chromium');
      try {
        screen = await measurePaymentsScreen(port, viewer.id, Math.min(repeats, 10));
      } catch (error) {
        screenSkipped = `the browser measurement failed: ${(error as Error).message.split('\n')[0]}`;
      }
    }
    checkInterrupted();

    log(`embedded: create, ${CONNECTIONS} connections, ${SECONDS} s`);
    const create = await closedLoop(
      {
        name: 'embedded create',
        port,
        path: '/v1/payments/hpp',
        token: creator.key,
        body: CREATE_BODY,
        check: () => null,
      },
      CONNECTIONS,
      SECONDS,
    );
    return {
      create,
      dashboard: {
        payments: dashboardRows,
        seedSeconds,
        what: 'GraphQL payments(first: 50), the query the payments screen sends',
        firstMs: round(firstMs, 1),
        latencyMs: summarize(latencies),
        screen,
        screenSkipped,
      },
      dashboardSkipped: null,
    };
  } finally {
    // The data directory goes with it: a Till slow to stop here is not waited for long.
    if (till) await stopChild(till, 3000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
