/**
 * `npm run bench` (SPEC §8): on this machine, in one run, Till's full path against a baseline that
 * performs the same SQL writes through `pg` with no framework (bench/baseline.ts). Prints figures
 * and writes them to bench/results/latest.json; it is not a test, and a missed target does not
 * fail it (exit 1 only when something broke).
 *
 *   1. A fresh database `till_bench_<random>` on BENCH_DATABASE_URL's server (dropped at the end).
 *   2. Till (`node dist/main.js`) migrates it; merchants are made through the admin API.
 *   3. baseline, then REST create, then GraphQL create, each alone (the other server stopped):
 *      warm-up, peak throughput with a fixed number of connections (autocannon), then latency at
 *      half of that peak, open-loop at a fixed request rate.
 *   4. Subscription fan-out: N graphql-ws subscribers on one payment; the payment is canceled and
 *      the time from the cancel request to each subscriber's CANCELED is measured.
 *
 * Env: BENCH_DATABASE_URL (default postgres://till:till@127.0.0.1:5432/till), BENCH_SECONDS (10),
 * BENCH_WARMUP_SECONDS (3), BENCH_CONNECTIONS (32), BENCH_SUBSCRIBERS (5000), BENCH_REDIS_URL
 * (unset: Till's in-process pub/sub), BENCH_TILL_LOG_LEVEL (warn).
 *
 * The machine is shared by everything on it: CPU used by other processes during a measurement is
 * reported, and verdicts resting on such a measurement are marked disturbed.
 *
 * Runs under plain Node 24 (type stripping): erasable TypeScript only; talks to Till over HTTP only.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';

// ---------------------------------------------------------------------------------------------
// Settings

function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..');
const DATABASE_URL = process.env.BENCH_DATABASE_URL || 'postgres://till:till@127.0.0.1:5432/till';
const REDIS_URL = process.env.BENCH_REDIS_URL || null;
const SECONDS = intEnv('BENCH_SECONDS', 10, 1, 600);
const WARMUP_SECONDS = intEnv('BENCH_WARMUP_SECONDS', 3, 0, 120);
const CONNECTIONS = intEnv('BENCH_CONNECTIONS', 32, 1, 1024);
const SUBSCRIBERS = intEnv('BENCH_SUBSCRIBERS', 5000, 0, 50_000);
const HOST = '127.0.0.1';
const ADMIN_TOKEN = `bench-admin-${randomBytes(12).toString('hex')}`;
/** How many subscribers connect at once while the fan-out audience is being built. */
const OPEN_BATCH = 250;
/** How long the fan-out waits for every subscriber's CANCELED. */
const FANOUT_WAIT_MS = 10_000;

/** Other processes using this much of a core during a measurement mark its figures as disturbed. */
const DISTURBED_PCT = 15;
const TARGETS = { restRatio: 0.6, graphqlRatio: 0.5, p99HalfPeakMs: 50, fanoutP99Ms: 200 } as const;

const CREATE_BODY = JSON.stringify({
  amount: 2500,
  currency: 'EUR',
  merchant_reference: 'ord_5678',
  return_url: 'https://shop.example.com/checkout/complete',
});
const GRAPHQL_CREATE_BODY = JSON.stringify({
  query:
    'mutation($input: CreateHostedPaymentInput!){ createHostedPayment(input:$input){ payment { id status } hostedPaymentUrl userErrors { message } } }',
  variables: {
    input: {
      amount: 2500,
      currency: 'EUR',
      returnUrl: 'https://shop.example.com/checkout/complete',
      merchantReference: 'ord_5678',
    },
  },
});
const SUBSCRIPTION = 'subscription($id: ID){ paymentStatusChanged(paymentId: $id){ id status version } }';

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Load generators and subscribers running now: a signal stops them before it stops the servers. */
const running = new Set<() => void>();
let interrupted = false;
function checkInterrupted(): void {
  if (interrupted) throw new Error('interrupted');
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const round = (n: number, digits = 1) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

interface LatencySummary {
  count: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
}

function summarize(values: number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  return {
    count: sorted.length,
    min: round(sorted.length ? sorted[0]! : NaN, 2),
    p50: round(percentile(sorted, 50), 2),
    p99: round(percentile(sorted, 99), 2),
    max: round(sorted.length ? sorted[sorted.length - 1]! : NaN, 2),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The open-file limit of this process (Node raises its soft limit to the hard one at start). */
function openFileLimit(): string {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    return line?.split(/\s{2,}/)[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function rssMiB(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU time of a process in ms, from /proc (Linux); null elsewhere or when gone. */
function cpuMsOf(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

/** CPU time of every local `postgres` process (the server is shared: other clients count too). */
function postgresCpuMs(): number | null {
  try {
    let total = 0;
    let found = false;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      } catch {
        continue;
      }
      const ms = cpuMsOf(Number(entry));
      if (ms !== null) {
        total += ms;
        found = true;
      }
    }
    return found ? total : null;
  } catch {
    return null;
  }
}

/** Busy CPU time of the whole machine in ms, from /proc/stat (Linux). */
function machineBusyMs(): number | null {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
    return (
      (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1000) /
      CLK_TCK
    );
  } catch {
    return null;
  }
}

interface CpuShare {
  /** Percent of one core over the measured run. */
  server: number | null;
  postgres: number | null;
  loadGenerator: number;
  /** Everything else on the machine (other people's builds and tests disturb the figures). */
  other: number | null;
}

/** Starts a CPU measurement; the returned function ends it. */
function cpuMeter(serverPid: number | undefined): () => CpuShare {
  const started = performance.now();
  const server = cpuMsOf(serverPid);
  const postgres = postgresCpuMs();
  const self = process.cpuUsage();
  const machine = machineBusyMs();
  return () => {
    const wall = performance.now() - started;
    const pct = (ms: number) => round((ms / wall) * 100, 0);
    const serverMs = server === null ? null : (cpuMsOf(serverPid) ?? server) - server;
    const postgresMs = postgres === null ? null : (postgresCpuMs() ?? postgres) - postgres;
    const selfUsed = process.cpuUsage(self);
    const selfMs = (selfUsed.user + selfUsed.system) / 1000;
    const machineMs = machine === null ? null : (machineBusyMs() ?? machine) - machine;
    return {
      server: serverMs === null ? null : pct(serverMs),
      postgres: postgresMs === null ? null : pct(postgresMs),
      loadGenerator: pct(selfMs),
      other:
        machineMs === null || serverMs === null || postgresMs === null
          ? null
          : Math.max(0, pct(machineMs - serverMs - postgresMs - selfMs)),
    };
  };
}

async function postJson(url: string, token: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // left null; callers report the text
  }
  return { status: res.status, text, json: json as Record<string, unknown> | null };
}

// ---------------------------------------------------------------------------------------------
// Child processes

interface Child {
  name: string;
  proc: ChildProcess;
  port: number;
  /** Last lines of its output, shown when it fails. */
  tail: string[];
  exited: Promise<number | null>;
}

const children = new Set<Child>();

function startChild(name: string, args: string[], env: NodeJS.ProcessEnv, port: number): Child {
  const proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  let shown = 0;
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 40) tail.shift();
      // Till logs at warn: anything it says is worth seeing, but not thousands of times.
      if (shown < 20) process.stderr.write(`[${name}] ${line.slice(0, 500)}\n`);
      else if (shown === 20) process.stderr.write(`[${name}] … (further output suppressed)\n`);
      shown++;
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const child: Child = { name, proc, port, tail, exited };
  children.add(child);
  void exited.then(() => children.delete(child));
  return child;
}

async function stopChild(child: Child): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  const started = performance.now();
  child.proc.kill('SIGTERM');
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.proc.kill('SIGKILL');
  }, 15_000);
  await child.exited;
  clearTimeout(timer);
  log(`${child.name} stopped in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (killed)
    log(
      `${child.name} did not exit within 15 s of SIGTERM and was killed; its last output:\n${child.tail.join('\n')}`,
    );
}

async function waitReady(child: Child, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) break;
    try {
      const res = await fetch(`http://${HOST}:${child.port}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(
    `${child.name} did not become ready (${exited ? `exited with ${child.proc.exitCode}` : 'timed out'}).\n` +
      child.tail.join('\n'),
  );
}

// ---------------------------------------------------------------------------------------------
// Load

interface Target {
  name: string;
  port: number;
  path: string;
  token: string;
  body: string;
  /** Checks one response body; used once before the load starts. */
  check: (status: number, json: Record<string, unknown> | null) => string | null;
}

interface Counts {
  ok: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
}

interface PeakResult extends Counts {
  connections: number;
  seconds: number;
  requestsPerSecond: number;
  latencyMs: LatencySummary;
}

interface PacedResult extends Counts {
  targetRate: number;
  seconds: number;
  achievedRate: number;
  /** From each request's scheduled send time (coordinated-omission corrected). */
  latencyMs: LatencySummary;
}

const newKey = () => `bench_${randomUUID()}`;

/** Closed loop: `connections` connections, each sending its next request when the last answers. */
function closedLoop(target: Target, connections: number, seconds: number): Promise<PeakResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const counts: Counts = { ok: 0, non2xx: 0, errors: 0, statusCodes: {} };
    const instance = autocannon(
      {
        url: `http://${HOST}:${target.port}`,
        connections,
        duration: seconds,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: target.path,
            headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
            body: target.body,
            setupRequest: (request) => ({
              ...request,
              headers: { ...request.headers, 'idempotency-key': newKey() },
            }),
          },
        ],
      },
      (error: unknown, result: autocannon.Result) => {
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        counts.errors = result.errors;
        resolve({
          ...counts,
          connections,
          seconds: result.duration,
          requestsPerSecond: round(counts.ok / result.duration, 1),
          latencyMs: summarize(latencies),
        });
      },
    );
    const stop = () => instance.stop();
    running.add(stop);
    instance.once('done', () => running.delete(stop));
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      counts.statusCodes[statusCode] = (counts.statusCodes[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) {
        counts.ok++;
        latencies.push(responseTime);
      } else counts.non2xx++;
    });
  });
}

/**
 * Open loop at a fixed rate: request i is due at start + i/rate whether or not earlier ones have
 * answered, and its latency counts from when it was due. (autocannon's `overallRate` sends each
 * connection's per-second quota back to back at the top of every second, which at half of peak
 * means full-concurrency bursts: it would measure peak latency, not latency at half of peak.)
 */
function openLoop(target: Target, rate: number, seconds: number, maxSockets: number): Promise<PacedResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  let total = Math.max(1, Math.round(rate * seconds));
  const interval = 1000 / rate;
  const body = Buffer.from(target.body);
  const latencies: number[] = [];
  const counts: Counts = { ok: 0, non2xx: 0, errors: 0, statusCodes: {} };
  let sent = 0;
  let finished = 0;
  return new Promise((resolve) => {
    const start = performance.now() + 10;
    let lastDone = start;
    let resolved = false;
    const stop = () => {
      total = sent; // nothing more is sent; what is in flight is cut off
      agent.destroy();
      finish();
    };
    running.add(stop);
    const done = () => {
      finished++;
      if (finished >= total) finish();
    };
    const finish = () => {
      if (!resolved) {
        resolved = true;
        running.delete(stop);
        agent.destroy();
        const elapsed = (lastDone - start) / 1000;
        resolve({
          ...counts,
          targetRate: rate,
          seconds: round(elapsed, 2),
          achievedRate: round(counts.ok / Math.max(elapsed, seconds), 1),
          latencyMs: summarize(latencies),
        });
      }
    };
    const fire = (due: number) => {
      const req = http.request(
        {
          host: HOST,
          port: target.port,
          path: target.path,
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${target.token}`,
            'content-type': 'application/json',
            'content-length': body.length,
            'idempotency-key': newKey(),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const now = performance.now();
            lastDone = now;
            const status = res.statusCode ?? 0;
            counts.statusCodes[status] = (counts.statusCodes[status] ?? 0) + 1;
            if (status >= 200 && status < 300) {
              counts.ok++;
              latencies.push(now - due);
            } else counts.non2xx++;
            done();
          });
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        counts.errors++;
        lastDone = performance.now();
        done();
      });
      req.end(body);
    };
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) fire(start + sent++ * interval);
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    };
    setTimeout(tick, 10);
  });
}

interface TargetResult {
  name: string;
  peak: PeakResult;
  halfPeak: PacedResult;
  /** Payment rows this target wrote vs 2xx answers counted (warm-up included). */
  rowsWritten: number;
  okResponses: number;
  /** Requests a closed-loop run leaves in flight when autocannon stops: they write, uncounted. */
  uncountedAtMost: number;
  /** Database commits per payment written, over the whole target (Till's relay and workers included). */
  commitsPerPayment: number;
  /** CPU during the peak and the half-peak runs, percent of one core. */
  peakCpu: CpuShare;
  halfPeakCpu: CpuShare;
}

interface MeasureContext {
  serverPid: number | undefined;
  countRows: () => Promise<number>;
  commits: () => Promise<number>;
}

async function measure(target: Target, context: MeasureContext): Promise<TargetResult> {
  const rowsBefore = await context.countRows();
  const commitsBefore = await context.commits();
  const probe = await postJson(`http://${HOST}:${target.port}${target.path}`, target.token, target.body, {
    'idempotency-key': newKey(),
  });
  const problem = target.check(probe.status, probe.json);
  if (problem)
    throw new Error(`${target.name}: the probe request failed: ${problem}\n${probe.text.slice(0, 1000)}`);
  let ok = 1;
  let uncountedAtMost = CONNECTIONS;
  if (WARMUP_SECONDS > 0) {
    uncountedAtMost += CONNECTIONS;
    log(`${target.name}: warm-up ${WARMUP_SECONDS} s`);
    ok += (await closedLoop(target, CONNECTIONS, WARMUP_SECONDS)).ok;
  }
  checkInterrupted();
  log(`${target.name}: peak, ${CONNECTIONS} connections, ${SECONDS} s`);
  const meter = cpuMeter(context.serverPid);
  const peak = await closedLoop(target, CONNECTIONS, SECONDS);
  const peakCpu = meter();
  ok += peak.ok;
  checkInterrupted();
  const rate = Math.max(1, Math.floor(peak.requestsPerSecond / 2));
  log(`${target.name}: ${peak.requestsPerSecond} req/s; now ${rate} req/s open-loop, ${SECONDS} s`);
  const halfMeter = cpuMeter(context.serverPid);
  const halfPeak = await openLoop(target, rate, SECONDS, CONNECTIONS * 4);
  const halfPeakCpu = halfMeter();
  ok += halfPeak.ok;
  checkInterrupted();
  await sleep(1200); // PostgreSQL flushes a backend's statistics at most once a second
  const rowsWritten = (await context.countRows()) - rowsBefore;
  const commitsPerPayment = round(((await context.commits()) - commitsBefore) / Math.max(1, rowsWritten), 2);
  return {
    name: target.name,
    peak,
    halfPeak,
    rowsWritten,
    okResponses: ok,
    uncountedAtMost,
    commitsPerPayment,
    peakCpu,
    halfPeakCpu,
  };
}

// ---------------------------------------------------------------------------------------------
// Subscription fan-out

interface FanoutResult {
  subscribers: number;
  connected: number;
  failed: number;
  failures: Record<string, number>;
  openSeconds: number;
  received: number;
  cancelResponseMs: number;
  latencyMs: LatencySummary;
  tillRssMiB: number | null;
  openFileLimit: string;
  /** From the cancel request until the last CANCELED arrived (or the wait ended). */
  delivery: { wallMs: number; cpu: CpuShare } | null;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.slice(0, 120);
  // ws hands graphql-ws an ErrorEvent: { type: 'error', message, error }
  const event = error as { error?: unknown; message?: unknown } | null;
  if (event?.error instanceof Error) return event.error.message.slice(0, 120);
  if (typeof event?.message === 'string' && event.message) return event.message.slice(0, 120);
  if (Array.isArray(error)) return `graphql: ${(error[0] as { message?: string })?.message ?? 'error'}`;
  const close = error as { code?: number; reason?: string; type?: string } | null;
  if (close && typeof close.code === 'number')
    return `closed ${close.code}${close.reason ? ` ${close.reason}` : ''}`;
  return String(error).slice(0, 120);
}

async function fanOut(till: Child, token: string, subscribers: number): Promise<FanoutResult> {
  const created = await postJson(`http://${HOST}:${till.port}/v1/payments/hpp`, token, CREATE_BODY, {
    'idempotency-key': newKey(),
  });
  const paymentId = (created.json as { id?: string } | null)?.id;
  if (created.status !== 200 || !paymentId)
    throw new Error(`fan-out: creating the payment failed: ${created.text}`);

  const clients: Client[] = [];
  const canceledAt = new Float64Array(subscribers).fill(NaN);
  const failures: Record<string, number> = {};
  let connected = 0;
  let failed = 0;
  let cancelSentAt = 0;
  let received = 0;
  let allReceived: (() => void) | null = null;

  const open = (i: number) =>
    new Promise<void>((resolve) => {
      let settled = false;
      const settle = (ok: boolean, reason?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (ok) connected++;
        else {
          failed++;
          failures[reason ?? 'unknown'] = (failures[reason ?? 'unknown'] ?? 0) + 1;
        }
        resolve();
      };
      const timer = setTimeout(() => settle(false, 'no initial state within 20 s'), 20_000);
      const client = createClient({
        url: `ws://${HOST}:${till.port}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        lazy: true,
        retryAttempts: 0,
        connectionAckWaitTimeout: 20_000,
      });
      clients[i] = client;
      client.subscribe<{ paymentStatusChanged: { id: string; status: string; version: number } }>(
        { query: SUBSCRIPTION, variables: { id: paymentId } },
        {
          next: (message) => {
            const status = message.data?.paymentStatusChanged?.status;
            if (status === 'CANCELED' && Number.isNaN(canceledAt[i]!) && cancelSentAt > 0) {
              canceledAt[i] = performance.now() - cancelSentAt;
              if (++received === connected) allReceived?.();
            }
            if (status) settle(true);
            else settle(false, `unexpected message: ${JSON.stringify(message).slice(0, 100)}`);
          },
          error: (error) => settle(false, describeError(error)),
          complete: () => settle(false, 'completed before the initial state'),
        },
      );
    });

  log(`fan-out: opening ${subscribers} subscriptions to ${paymentId} (${OPEN_BATCH} at a time)`);
  const limit = Number(openFileLimit());
  if (Number.isFinite(limit) && limit < subscribers + 200)
    log(
      `fan-out: warning: the open-file limit is ${limit}, and each subscriber needs a descriptor here and one in ` +
        `Till; expect failures past ~${limit - 100} subscribers (raise it with \`ulimit -n\`)`,
    );
  const closeAll = () => Promise.allSettled(clients.map(async (client) => client?.dispose()));
  const stop = () => void closeAll();
  running.add(stop);
  const openStart = performance.now();
  const openDeadline = openStart + 90_000;
  for (let i = 0; i < subscribers && performance.now() < openDeadline && !interrupted; i += OPEN_BATCH) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(subscribers, i + OPEN_BATCH); j++) batch.push(open(j));
    await Promise.all(batch);
  }
  const openSeconds = (performance.now() - openStart) / 1000;
  const notTried = subscribers - connected - failed;
  if (notTried > 0) {
    failed += notTried;
    failures['not attempted (90 s budget for connecting spent)'] = notTried;
  }
  log(`fan-out: ${connected} subscribed, ${failed} failed, in ${openSeconds.toFixed(1)} s`);
  checkInterrupted();
  const tillRss = rssMiB(till.proc.pid);

  let cancelResponseMs = NaN;
  let delivery: FanoutResult['delivery'] = null;
  if (connected > 0) {
    await sleep(1000); // let the connection storm settle before the measured change
    const everyone = new Promise<void>((resolve) => (allReceived = resolve));
    const meter = cpuMeter(till.proc.pid);
    cancelSentAt = performance.now();
    const cancel = await postJson(`http://${HOST}:${till.port}/v1/payments/${paymentId}/cancel`, token, '', {
      'idempotency-key': newKey(),
      'content-type': 'application/json',
    }).catch((error: Error) => ({ status: 0, text: error.message, json: null }));
    cancelResponseMs = performance.now() - cancelSentAt;
    if (cancel.status !== 200) throw new Error(`fan-out: cancel failed (${cancel.status}): ${cancel.text}`);
    await Promise.race([everyone, sleep(FANOUT_WAIT_MS)]);
    delivery = { wallMs: round(performance.now() - cancelSentAt, 1), cpu: meter() };
  }

  checkInterrupted();
  log('fan-out: closing subscriptions');
  await closeAll();
  running.delete(stop);

  const latencies = Array.from(canceledAt).filter((v) => !Number.isNaN(v));
  return {
    subscribers,
    connected,
    failed,
    failures,
    openSeconds: round(openSeconds, 1),
    received,
    cancelResponseMs: round(cancelResponseMs, 1),
    latencyMs: summarize(latencies),
    tillRssMiB: tillRss,
    openFileLimit: openFileLimit(),
    delivery,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

interface Verdict {
  name: string;
  value: number;
  target: string;
  met: boolean;
  /** Other processes took CPU during a measurement it rests on: the verdict is not to be trusted. */
  disturbed: boolean;
}

const disturbed = (...shares: (CpuShare | null | undefined)[]) =>
  shares.some((share) => (share?.other ?? 0) >= DISTURBED_PCT);

function report(results: TargetResult[], fanout: FanoutResult | null, meta: Record<string, unknown>) {
  const byName = Object.fromEntries(results.map((r) => [r.name, r]));
  const baseline = byName['baseline']!.peak.requestsPerSecond;
  const verdicts: Verdict[] = [];
  const ratio = (name: string) => round(byName[name]!.peak.requestsPerSecond / baseline, 2);
  verdicts.push({
    name: 'REST create / baseline throughput',
    value: ratio('REST create'),
    target: `≥ ${TARGETS.restRatio}`,
    met: ratio('REST create') >= TARGETS.restRatio,
    disturbed: disturbed(byName['baseline']!.peakCpu, byName['REST create']!.peakCpu),
  });
  verdicts.push({
    name: 'GraphQL create / baseline throughput',
    value: ratio('GraphQL create'),
    target: `≥ ${TARGETS.graphqlRatio}`,
    met: ratio('GraphQL create') >= TARGETS.graphqlRatio,
    disturbed: disturbed(byName['baseline']!.peakCpu, byName['GraphQL create']!.peakCpu),
  });
  for (const name of ['REST create', 'GraphQL create']) {
    const r = byName[name]!.halfPeak;
    const ok = r.errors === 0 && r.non2xx === 0;
    verdicts.push({
      name: `${name} p99 at half peak (ms)`,
      value: r.latencyMs.p99,
      target: `≤ ${TARGETS.p99HalfPeakMs}`,
      met: ok && r.latencyMs.p99 <= TARGETS.p99HalfPeakMs,
      disturbed: disturbed(byName[name]!.halfPeakCpu),
    });
  }
  if (fanout) {
    verdicts.push({
      name: `fan-out p99, ${fanout.subscribers} subscribers (ms)`,
      value: fanout.latencyMs.p99,
      target: `≤ ${TARGETS.fanoutP99Ms}, all receive`,
      met: fanout.received === fanout.subscribers && fanout.latencyMs.p99 <= TARGETS.fanoutP99Ms,
      disturbed: disturbed(fanout.delivery?.cpu),
    });
  }

  const pad = (s: string | number, n: number) => String(s).padStart(n);
  const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '—');
  const lines: string[] = [];
  lines.push('');
  lines.push(`Till benchmark — ${meta.date}`);
  lines.push(
    `Machine: ${meta.cpu}, ${meta.cores} cores, ${meta.memoryGiB} GiB memory; Node ${meta.node}; ${meta.postgres}; pub/sub ${meta.pubsub}`,
  );
  lines.push(
    `Load: peak = ${CONNECTIONS} connections closed-loop for ${SECONDS} s (after ${WARMUP_SECONDS} s warm-up, autocannon); half peak = open-loop at peak/2 req/s for ${SECONDS} s, latency from each request's scheduled time`,
  );
  lines.push(
    'Every create carries a unique Idempotency-Key (GraphQL too), so all three routes do the same writes; the baseline runs while Till is stopped.',
  );
  lines.push('');
  lines.push(
    `${'route'.padEnd(18)}${pad('peak req/s', 11)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('errors', 8)} │${pad('½ rate', 8)}${pad('achieved', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('errors', 8)}`,
  );
  for (const r of results) {
    const p = r.peak;
    const h = r.halfPeak;
    lines.push(
      `${r.name.padEnd(18)}${pad(p.requestsPerSecond.toFixed(1), 11)}${pad(ms(p.latencyMs.p50), 9)}${pad(ms(p.latencyMs.p99), 9)}${pad(p.non2xx + p.errors, 8)} │` +
        `${pad(h.targetRate, 8)}${pad(h.achievedRate.toFixed(1), 10)}${pad(ms(h.latencyMs.p50), 9)}${pad(ms(h.latencyMs.p99), 9)}${pad(h.non2xx + h.errors, 8)}`,
    );
  }
  for (const r of results)
    if (r.rowsWritten < r.okResponses || r.rowsWritten > r.okResponses + r.uncountedAtMost)
      lines.push(
        `  note: ${r.name} answered 2xx ${r.okResponses} times but wrote ${r.rowsWritten} payment rows ` +
          `(expected up to ${r.uncountedAtMost} more rows than answers, from requests in flight when a run stops)`,
      );
  const pct = (n: number | null) => (n === null ? '—' : `${n}%`);
  lines.push('');
  lines.push(
    `Per route: database commits per payment written (whole run), and CPU during the peak run in % of one core ` +
      `(${meta.cores} cores = ${Number(meta.cores) * 100}%; postgres = every local postgres process)`,
  );
  lines.push(
    `${'route'.padEnd(18)}${pad('commits/payment', 16)}${pad('server', 9)}${pad('postgres', 10)}${pad('load gen', 10)}${pad('other', 8)}`,
  );
  for (const r of results)
    lines.push(
      `${r.name.padEnd(18)}${pad(r.commitsPerPayment.toFixed(2), 16)}${pad(pct(r.peakCpu.server), 9)}` +
        `${pad(pct(r.peakCpu.postgres), 10)}${pad(pct(r.peakCpu.loadGenerator), 10)}${pad(pct(r.peakCpu.other), 8)}`,
    );
  const busy = results.flatMap((r) => [
    ...(disturbed(r.peakCpu) ? [{ what: `${r.name} peak`, other: r.peakCpu.other ?? 0 }] : []),
    ...(disturbed(r.halfPeakCpu) ? [{ what: `${r.name} half peak`, other: r.halfPeakCpu.other ?? 0 }] : []),
  ]);
  if (busy.length > 0)
    lines.push(
      `  warning: other processes were busy during ${busy.map((b) => `${b.what} (${b.other}%)`).join(', ')}: ` +
        'those figures are disturbed; run again on a quiet machine.',
    );
  if (fanout) {
    lines.push('');
    lines.push(
      `Subscription fan-out: ${fanout.connected}/${fanout.subscribers} subscribed in ${fanout.openSeconds} s; ` +
        `${fanout.received}/${fanout.connected} received CANCELED.`,
    );
    lines.push(
      `  From the cancel request: first ${ms(fanout.latencyMs.min)} ms, p50 ${ms(fanout.latencyMs.p50)} ms, ` +
        `p99 ${ms(fanout.latencyMs.p99)} ms, last ${ms(fanout.latencyMs.max)} ms; the cancel itself answered in ` +
        `${ms(fanout.cancelResponseMs)} ms.`,
    );
    if (fanout.delivery)
      lines.push(
        `  During delivery (${ms(fanout.delivery.wallMs)} ms): Till CPU ${pct(fanout.delivery.cpu.server)}, ` +
          `subscribers' process ${pct(fanout.delivery.cpu.loadGenerator)}, other ${pct(fanout.delivery.cpu.other)} of one core; ` +
          `Till RSS with all subscribed ${fanout.tillRssMiB ?? '?'} MiB.`,
      );
    if (fanout.failed > 0) {
      lines.push(
        `  ${fanout.failed} subscriptions failed: ${Object.entries(fanout.failures)
          .map(([k, v]) => `${v}× ${k}`)
          .join('; ')}`,
      );
      lines.push(
        `  If these are EMFILE, resets or timeouts, check the open-file limit: each subscriber holds one fd here and one in Till ` +
          `(this process's limit: ${fanout.openFileLimit}; raise with \`ulimit -n\`), and the listen backlog (net.core.somaxconn).`,
      );
    }
  }
  lines.push('');
  lines.push('Targets (SPEC §8)');
  for (const v of verdicts)
    lines.push(
      `  ${v.name.padEnd(44)}${pad(Number.isFinite(v.value) ? v.value : '—', 8)}  ${v.target.padEnd(20)} ${v.met ? 'met' : 'NOT MET'}${v.disturbed ? ' (disturbed: other processes were busy)' : ''}`,
    );
  lines.push('');
  return { text: lines.join('\n'), verdicts };
}

// ---------------------------------------------------------------------------------------------
// Main

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
    await Promise.allSettled([...children].map(stopChild));
    await db?.end().catch(() => {});
    await admin
      .query(`drop database if exists "${dbName}" with (force)`)
      .catch((error: Error) => log(`could not drop ${dbName}: ${error.message}`));
    await admin.end().catch(() => {});
  };
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the load, the servers, and dropping ${dbName}`);
    interrupted = true;
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
      LOG_LEVEL: process.env.BENCH_TILL_LOG_LEVEL || 'warn',
      NODE_ENV: 'production',
      // Every fan-out subscriber is its own socket of one merchant: lift the per-merchant cap above them.
      GRAPHQL_WS_MAX_SOCKETS_PER_MERCHANT: String(SUBSCRIBERS + 1000),
      // The load generator is one test key at hundreds of requests a second: lift its rate limit
      // (the per-key counting still runs, so its cost is measured).
      API_RATE_LIMIT_TEST: '1000000',
      ...(REDIS_URL ? { REDIS_URL } : {}),
    });
    const startTill = async () => {
      const till = startChild('till', ['dist/main.js'], tillEnv, tillPort);
      await waitReady(till);
      return till;
    };

    // Till migrates the fresh database; one merchant per measured route keeps their rows apart.
    let till = await startTill();
    const merchants: Record<string, { id: string; key: string }> = {};
    for (const name of ['baseline', 'rest', 'graphql', 'fanout']) {
      const res = await postJson(`http://${HOST}:${tillPort}/admin/v1/merchants`, ADMIN_TOKEN, {
        name: `bench-${name}`,
      });
      const body = res.json as {
        test_secret_key?: string;
        merchant_id?: string;
        id?: string;
        merchant?: { id?: string };
      } | null;
      if (res.status !== 201 || !body?.test_secret_key)
        throw new Error(`creating a merchant failed (${res.status}): ${res.text}`);
      const id = body.merchant_id ?? body.id ?? body.merchant?.id;
      if (!id) throw new Error(`the admin API's merchant has no id: ${res.text}`);
      merchants[name] = { id, key: body.test_secret_key };
    }
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

    let fanout: FanoutResult | null = null;
    if (SUBSCRIBERS > 0) {
      // Start from a drained outbox so the measured change is the only thing the relay has to do.
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const pending = await count('select count(*)::int as n from event where published_at is null');
        if (pending === 0) break;
        await sleep(200);
      }
      fanout = await fanOut(till, merchants.fanout!.key, SUBSCRIBERS);
    }
    await stopChild(till);

    const meta = {
      date: new Date().toISOString(),
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGiB: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      postgres: `PostgreSQL ${postgresVersion}`,
      pubsub: REDIS_URL ? 'Redis' : 'in-process',
    };
    const { text, verdicts } = report(results, fanout, meta);
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
            subscribers: SUBSCRIBERS,
          },
          targets: verdicts,
          routes: results,
          fanout,
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
    if (interrupted) process.exit(130);
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
