/**
 * `npm run bench`: on this machine, in one run, Till's full path against a baseline that performs
 * the same SQL writes through `pg` with no framework (bench/baseline.ts), then Till's fan-out, relay,
 * lists at scale and embedded mode. Prints the figures and writes them to
 * bench/results/latest.json, one row each (null with the reason when something could not be
 * measured); it is not a test, and a missed target does not fail it (exit 1 only when something
 * broke).
 *
 *   1. A fresh database `till_bench_<random>` on BENCH_DATABASE_URL's server (dropped at the end).
 *   2. Till (`node dist/main.js`) migrates it; merchants are made through the admin API.
 *   3. baseline, then REST create, then GraphQL create, each alone (the other server stopped):
 *      warm-up, peak throughput with a fixed number of connections (autocannon), then latency at
 *      half of that peak, open-loop at a fixed request rate (create.ts).
 *   4. Subscription fan-out to two audiences (fanout.ts): subscribers on one payment, which is
 *      canceled; the time from the cancel request to each subscriber's CANCELED, Till's RSS per idle
 *      subscriber, and the relay's latency from the cancel event's creation to the first receipt.
 *   5. Lists (lists.ts): many payments seeded in one statement, then pages of 100 with a status filter.
 *   6. Embedded mode (embedded.ts): create throughput on PGlite, and the dashboard's payments query.
 *
 * Env: BENCH_QUICK=1 (small counts and short runs, under a minute: a smoke run for CI),
 * BENCH_DATABASE_URL (default postgres://till:till@127.0.0.1:5432/till), BENCH_SECONDS (10),
 * BENCH_WARMUP_SECONDS (3), BENCH_CONNECTIONS (32), BENCH_SUBSCRIBERS (5000),
 * BENCH_SUBSCRIBERS_LARGE (20000), BENCH_LIST_ROWS (1000000), BENCH_LIST_REQUESTS (1000),
 * BENCH_DASHBOARD_ROWS (10000), BENCH_REDIS_URL (unset: Till's instances hear each other through PostgreSQL LISTEN/NOTIFY),
 * BENCH_TILL_LOG_LEVEL (warn).
 *
 * The machine is shared by everything on it: CPU used by other processes during a measurement is
 * reported, and figures resting on such a measurement are marked disturbed.
 *
 * Runs under plain Node 24 (type stripping): erasable TypeScript only; talks to Till over HTTP only.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import {
  ADMIN_TOKEN,
  BENCH_DIR,
  checkInterrupted,
  children,
  CONNECTIONS,
  createMerchant,
  DASHBOARD_ROWS,
  DATABASE_URL,
  freePort,
  GRAPHQL_CREATE_BODY,
  CREATE_BODY,
  HOST,
  LIST_REQUESTS,
  LIST_ROWS,
  log,
  QUICK,
  REDIS_URL,
  RELAY_CHANGES,
  ROOT,
  round,
  running,
  SECONDS,
  sleep,
  startChild,
  state,
  stopChild,
  SUBSCRIBERS,
  SUBSCRIBERS_LARGE,
  TILL_NODE_ARGS,
  waitReady,
  WARMUP_SECONDS,
} from './common.ts';
import { measure, type MeasureContext, type TargetResult } from './create.ts';
import { measureEmbedded, type EmbeddedResult } from './embedded.ts';
import { fanOut, type FanoutResult } from './fanout.ts';
import { measureLists, seedPayments, type ListResult } from './lists.ts';
import { measureRelay, type RelayLatency } from './relay.ts';
import { figures, markdownTable, type RelayResult, report } from './report.ts';

// ---------------------------------------------------------------------------------------------
// Main

/**
 * The relay's latency seen from outside: the cancel event's created_at (set in the cancel's
 * transaction, just before its commit) and published_at (set by the relay) against the wall-clock
 * time the first subscriber heard CANCELED. One clock: everything runs on this machine.
 */
async function relayLatency(db: pg.Client, fanout: FanoutResult): Promise<RelayResult> {
  const { rows } = await db.query(
    `select extract(epoch from created_at) * 1000 as created, extract(epoch from published_at) * 1000 as published
       from event where payment_id = $1 and type = 'payment.canceled' order by seq desc limit 1`,
    [fanout.paymentId],
  );
  const row = rows[0] as { created: string; published: string | null } | undefined;
  if (!row)
    return {
      createdToFirstReceiptMs: null,
      createdToPublishedMs: null,
      answerToFirstReceiptMs: null,
      note: 'no payment.canceled event found',
    };
  const created = Number(row.created);
  const first = fanout.firstReceivedAtMs;
  return {
    createdToFirstReceiptMs: first === null ? null : round(first - created, 1),
    createdToPublishedMs: row.published === null ? null : round(Number(row.published) - created, 1),
    answerToFirstReceiptMs:
      first === null || fanout.cancelAnsweredAtMs === null
        ? null
        : round(first - fanout.cancelAnsweredAtMs, 1),
    note: first === null ? 'no subscriber heard CANCELED' : null,
  };
}

async function main(): Promise<number> {
  const began = performance.now();
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  const postgresVersion = ((await admin.query('show server_version')).rows[0] as { server_version: string })
    .server_version;
  const dbName = `till_bench_${randomBytes(6).toString('hex')}`;
  const dbUrl = new URL(DATABASE_URL);
  dbUrl.pathname = `/${dbName}`;
  let db: pg.Client | null = null;
  let cleaning: Promise<void> | null = null;
  // Every caller waits for the same cleanup, so nobody exits before the database is dropped.
  const cleanup = () => (cleaning ??= doCleanup());
  const doCleanup = async () => {
    for (const stop of running) stop();
    await Promise.allSettled([...children].map((child) => stopChild(child)));
    await db?.end().catch(() => {});
    await admin
      .query(`drop database if exists "${dbName}" with (force)`)
      .catch((error: Error) => log(`could not drop ${dbName}: ${error.message}`));
    await admin.end().catch(() => {});
  };
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the load, the servers, and dropping ${dbName}`);
    state.interrupted = true;
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    await admin.query(`create database "${dbName}"`);
    log(`database ${dbName} created`);
    db = new pg.Client({ connectionString: dbUrl.toString() });
    await db.connect();

    const tillPort = await freePort();
    const tillEnv = { ...process.env };
    for (const name of ['REDIS_URL', 'DATA_DIR', 'PUBLIC_URL', 'METRICS_TOKEN']) delete tillEnv[name];
    Object.assign(tillEnv, {
      DATABASE_URL: dbUrl.toString(),
      PORT: String(tillPort),
      HOST,
      PUBLIC_URL: `http://${HOST}:${tillPort}`,
      ADMIN_TOKEN,
      // A server database in production needs the key that seals stored credentials.
      TILL_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: process.env.BENCH_TILL_LOG_LEVEL || 'warn',
      NODE_ENV: 'production',
      // Every fan-out subscriber is its own socket of one merchant: lift the per-merchant cap above them.
      GRAPHQL_WS_MAX_SOCKETS_PER_MERCHANT: String(Math.max(SUBSCRIBERS, SUBSCRIBERS_LARGE) + 1000),
      // The load generator is one test key at hundreds of requests a second: lift its rate limit
      // (the per-key counting still runs, so its cost is measured).
      API_RATE_LIMIT_TEST: '1000000',
      ...(REDIS_URL ? { REDIS_URL } : {}),
    });
    const startTill = async () => {
      const till = startChild('till', [...TILL_NODE_ARGS, 'dist/main.js'], tillEnv, tillPort);
      await waitReady(till);
      return till;
    };

    // Till migrates the fresh database; one merchant per measured route keeps their rows apart.
    let till = await startTill();
    const merchants: Record<string, { id: string; key: string }> = {};
    for (const name of ['baseline', 'rest', 'graphql', 'fanout', 'relay', 'lists'])
      merchants[name] = await createMerchant(tillPort, `bench-${name}`);
    const count = async (sql: string, params: unknown[] = []) =>
      Number(((await db!.query(sql, params)).rows[0] as { n: number | string }).n);
    const contextFor = (merchant: string, serverPid: number | undefined): MeasureContext => ({
      serverPid,
      countRows: () =>
        count('select count(*)::int as n from payment where merchant_id = $1', [merchants[merchant]!.id]),
      commits: () =>
        count('select xact_commit as n from pg_stat_database where datname = current_database()'),
    });

    // The baseline runs alone: Till's outbox relay would otherwise publish the baseline's events.
    await stopChild(till);
    const baselinePort = await freePort();
    const baseline = startChild(
      'baseline',
      [path.join('bench', 'baseline.ts')],
      {
        ...process.env,
        BASELINE_DATABASE_URL: dbUrl.toString(),
        BASELINE_PORT: String(baselinePort),
        BASELINE_MERCHANT_ID: merchants.baseline!.id,
        BASELINE_API_KEY: merchants.baseline!.key,
        BASELINE_PUBLIC_URL: `http://${HOST}:${baselinePort}`,
      },
      baselinePort,
    );
    await waitReady(baseline);
    const okPayment = (status: number, json: Record<string, unknown> | null) =>
      status === 200 && typeof json?.id === 'string' && json.status === 'PENDING' ? null : `HTTP ${status}`;
    const results: TargetResult[] = [];
    results.push(
      await measure(
        {
          name: 'baseline',
          port: baselinePort,
          path: '/v1/payments/hpp',
          token: merchants.baseline!.key,
          body: CREATE_BODY,
          check: okPayment,
        },
        contextFor('baseline', baseline.proc.pid),
      ),
    );
    await stopChild(baseline);
    // Nobody relays the baseline's outbox rows; mark them so Till's relay does not spend time on them.
    await db.query('update event set published_at = now() where merchant_id = $1 and published_at is null', [
      merchants.baseline!.id,
    ]);

    till = await startTill();
    results.push(
      await measure(
        {
          name: 'REST create',
          port: tillPort,
          path: '/v1/payments/hpp',
          token: merchants.rest!.key,
          body: CREATE_BODY,
          check: okPayment,
        },
        contextFor('rest', till.proc.pid),
      ),
    );
    results.push(
      await measure(
        {
          name: 'GraphQL create',
          port: tillPort,
          path: '/graphql',
          token: merchants.graphql!.key,
          body: GRAPHQL_CREATE_BODY,
          check: (status, json) => {
            const data = (
              json?.data as
                { createHostedPayment?: { payment?: { id?: string }; userErrors?: unknown[] } } | undefined
            )?.createHostedPayment;
            return status === 200 && !json?.errors && data?.payment?.id && data.userErrors?.length === 0
              ? null
              : `HTTP ${status}`;
          },
        },
        contextFor('graphql', till.proc.pid),
      ),
    );

    const skipped: Record<string, string> = {};
    const fanouts: FanoutResult[] = [];
    let relay: RelayResult | null = null;
    for (const subscribers of [SUBSCRIBERS, SUBSCRIBERS_LARGE]) {
      if (subscribers === 0) continue;
      // Start from a drained outbox so the measured change is the only thing the relay has to do.
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const pending = await count('select count(*)::int as n from event where published_at is null');
        if (pending === 0) break;
        await sleep(200);
      }
      const fanout = await fanOut(till, merchants.fanout!.key, subscribers);
      fanouts.push(fanout);
      if (fanouts.length === 1) relay = await relayLatency(db, fanout);
    }
    if (SUBSCRIBERS === 0) skipped.fanout = 'BENCH_SUBSCRIBERS=0';
    if (SUBSCRIBERS_LARGE === 0) skipped.fanoutLarge = 'BENCH_SUBSCRIBERS_LARGE=0';

    // The relay alone: one subscriber on the committing instance, then one on a second instance of
    // the same database.
    const relays: RelayLatency[] = [];
    relays.push(
      await measureRelay(
        db,
        { commit: tillPort, listen: tillPort },
        merchants.relay!.key,
        RELAY_CHANGES,
        'in process',
      ),
    );
    const secondPort = await freePort();
    const second = startChild(
      'till-2',
      ['dist/main.js'],
      { ...tillEnv, PORT: String(secondPort), PUBLIC_URL: `http://${HOST}:${secondPort}` },
      secondPort,
    );
    await waitReady(second);
    relays.push(
      await measureRelay(
        db,
        { commit: tillPort, listen: secondPort },
        merchants.relay!.key,
        RELAY_CHANGES,
        'across instances',
      ),
    );
    await stopChild(second);

    // Lists: the seed goes in while Till runs (it is one more client of the database).
    log(`lists: seeding ${LIST_ROWS} payments`);
    const seedSeconds = await seedPayments(db, merchants.lists!.id, LIST_ROWS);
    log(`lists: seeded in ${seedSeconds} s`);
    let lists: ListResult | null = null;
    lists = await measureLists(tillPort, merchants.lists!.key, LIST_REQUESTS, LIST_ROWS, seedSeconds);
    await stopChild(till);

    // The embedded mode is a Till of its own: when it cannot run here, its figures say why.
    let embedded: EmbeddedResult | null = null;
    try {
      embedded = await measureEmbedded(DASHBOARD_ROWS, QUICK ? 10 : 100);
    } catch (error) {
      checkInterrupted();
      skipped.embedded = `failed: ${(error as Error).message.split('\n')[0]}`;
      log(`embedded: ${skipped.embedded}`);
    }

    const meta = {
      date: new Date().toISOString(),
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGiB: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      postgres: `PostgreSQL ${postgresVersion}`,
      pubsub: REDIS_URL ? 'Redis' : 'PostgreSQL LISTEN/NOTIFY (no Redis)',
      quick: QUICK,
    };
    const measured = { routes: results, fanouts, relay, relays, lists, embedded, skipped };
    const rows = figures(measured);
    const text = report(measured, rows, meta);
    const totalSeconds = round((performance.now() - began) / 1000, 1);
    process.stdout.write(`${text}Total bench time: ${totalSeconds} s\n`);

    mkdirSync(path.join(BENCH_DIR, 'results'), { recursive: true });
    writeFileSync(
      path.join(BENCH_DIR, 'results', 'latest.json'),
      `${JSON.stringify(
        {
          ...meta,
          settings: {
            seconds: SECONDS,
            warmupSeconds: WARMUP_SECONDS,
            connections: CONNECTIONS,
            subscribers: [SUBSCRIBERS, SUBSCRIBERS_LARGE],
            listRows: LIST_ROWS,
            listRequests: LIST_REQUESTS,
            relayChanges: RELAY_CHANGES,
            dashboardRows: DASHBOARD_ROWS,
          },
          figures: rows,
          markdown: markdownTable(rows),
          routes: results,
          fanouts,
          relay,
          relays,
          lists,
          embedded,
          totalSeconds,
        },
        null,
        2,
      )}\n`,
    );
    log(`written to ${path.relative(ROOT, path.join(BENCH_DIR, 'results', 'latest.json'))}`);
    return 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (state.interrupted) process.exit(130);
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
