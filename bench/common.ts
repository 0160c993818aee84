/**
 * What every part of the bench shares: settings from the environment, small helpers (percentiles,
 * ports, CPU and memory of processes from /proc), and the child processes it starts and stops.
 *
 * Runs under plain Node 24 (type stripping): erasable TypeScript only.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------------------------
// Settings

export function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(BENCH_DIR, '..');
export const DATABASE_URL = process.env.BENCH_DATABASE_URL || 'postgres://till:till@127.0.0.1:5432/till';
export const REDIS_URL = process.env.BENCH_REDIS_URL || null;
/** BENCH_QUICK=1: the same figures from small counts and short runs (a CI smoke run, under a minute). */
export const QUICK = ['1', 'true', 'yes'].includes((process.env.BENCH_QUICK ?? '').trim().toLowerCase());
export const SECONDS = intEnv('BENCH_SECONDS', QUICK ? 1 : 10, 1, 600);
export const WARMUP_SECONDS = intEnv('BENCH_WARMUP_SECONDS', QUICK ? 0 : 3, 0, 120);
export const CONNECTIONS = intEnv('BENCH_CONNECTIONS', 32, 1, 1024);
/** The two fan-out audiences (0 leaves that one out). */
export const SUBSCRIBERS = intEnv('BENCH_SUBSCRIBERS', QUICK ? 200 : 5000, 0, 50_000);
export const SUBSCRIBERS_LARGE = intEnv('BENCH_SUBSCRIBERS_LARGE', QUICK ? 500 : 20_000, 0, 50_000);
/** Payments seeded for the list figure. */
export const LIST_ROWS = intEnv('BENCH_LIST_ROWS', QUICK ? 20_000 : 1_000_000, 1000, 20_000_000);
/** List requests measured (each a page of 100 with a status filter). */
export const LIST_REQUESTS = intEnv('BENCH_LIST_REQUESTS', QUICK ? 100 : 1000, 10, 100_000);
/** Payments in the embedded database when the dashboard's first page is timed. */
export const DASHBOARD_ROWS = intEnv('BENCH_DASHBOARD_ROWS', 10_000, 100, 1_000_000);
/**
 * Node options for Till's processes, space-separated: `BENCH_TILL_NODE_ARGS="--cpu-prof
 * --cpu-prof-dir=/tmp/prof"` profiles Till through the run (options NODE_OPTIONS refuses).
 */
export const TILL_NODE_ARGS = (process.env.BENCH_TILL_NODE_ARGS ?? '').split(' ').filter(Boolean);
export const HOST = '127.0.0.1';
export const ADMIN_TOKEN = `bench-admin-${randomBytes(12).toString('hex')}`;
/** How many subscribers connect at once while the fan-out audience is being built. */
export const OPEN_BATCH = 250;
/** How long the fan-out waits for every subscriber's CANCELED. */
export const FANOUT_WAIT_MS = 10_000;

/** Other processes using this much of a core during a measurement mark its figures as disturbed. */
export const DISTURBED_PCT = 15;
export const TARGETS = {
  restRatio: 0.8,
  graphqlRatio: 0.75,
  p99HalfPeakMs: 20,
  fanoutP99Ms: 100,
  fanoutLargeP99Ms: 300,
  /** Kilobytes (1,000 bytes) of Till's resident memory per idle subscriber. */
  rssPerSubscriberKB: 20,
  relayInProcessMs: 10,
  relayAcrossInstancesMs: 25,
  listP99Ms: 20,
} as const;
/** Status changes timed for the relay's latency (each alone, one subscriber listening). */
export const RELAY_CHANGES = intEnv('BENCH_RELAY_CHANGES', QUICK ? 20 : 100, 1, 10_000);

export const CREATE_BODY = JSON.stringify({
  amount: 2500,
  currency: 'EUR',
  merchant_reference: 'ord_5678',
  return_url: 'https://shop.example.com/checkout/complete',
});
export const GRAPHQL_CREATE_BODY = JSON.stringify({
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
export const SUBSCRIPTION =
  'subscription($id: ID){ paymentStatusChanged(paymentId: $id){ id status version } }';

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Load generators and subscribers running now: a signal stops them before it stops the servers. */
export const running = new Set<() => void>();
/** Set when a signal asks the run to stop. */
export const state = { interrupted: false };
export function checkInterrupted(): void {
  if (state.interrupted) throw new Error('interrupted');
}

const STARTED = performance.now();
/** A progress line on stderr, with the seconds since the bench started. */
export const log = (message: string) =>
  process.stderr.write(`[bench +${((performance.now() - STARTED) / 1000).toFixed(1)} s] ${message}\n`);
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export const round = (n: number, digits = 1) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface LatencySummary {
  count: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarize(values: number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  return {
    count: sorted.length,
    min: round(sorted.length ? sorted[0]! : NaN, 2),
    p50: round(percentile(sorted, 50), 2),
    p99: round(percentile(sorted, 99), 2),
    max: round(sorted.length ? sorted[sorted.length - 1]! : NaN, 2),
  };
}

export function freePort(): Promise<number> {
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
export function openFileLimit(): string {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    return line?.split(/\s{2,}/)[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Resident memory of a process in KiB, from /proc (Linux); null elsewhere or when gone. */
export function rssKiB(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) : null;
  } catch {
    return null;
  }
}

export function rssMiB(pid: number | undefined): number | null {
  const kib = rssKiB(pid);
  return kib === null ? null : Math.round(kib / 1024);
}

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU time of a process in ms, from /proc (Linux); null elsewhere or when gone. */
export function cpuMsOf(pid: number | undefined): number | null {
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
export function postgresCpuMs(): number | null {
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
export function machineBusyMs(): number | null {
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

export interface CpuShare {
  /** Percent of one core over the measured run. */
  server: number | null;
  postgres: number | null;
  loadGenerator: number;
  /** Everything else on the machine (other people's builds and tests disturb the figures). */
  other: number | null;
}

/** Starts a CPU measurement; the returned function ends it. */
export function cpuMeter(serverPid: number | undefined): () => CpuShare {
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

export async function postJson(
  url: string,
  token: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
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

export interface Child {
  name: string;
  proc: ChildProcess;
  port: number;
  /** Last lines of its output, shown when it fails. */
  tail: string[];
  exited: Promise<number | null>;
}

export const children = new Set<Child>();

export function startChild(name: string, args: string[], env: NodeJS.ProcessEnv, port: number): Child {
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

/** SIGTERM, then SIGKILL when it has not exited within `graceMs`. */
export async function stopChild(child: Child, graceMs = 15_000): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  const started = performance.now();
  child.proc.kill('SIGTERM');
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.proc.kill('SIGKILL');
  }, graceMs);
  await child.exited;
  clearTimeout(timer);
  log(`${child.name} stopped in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (killed)
    log(
      `${child.name} did not exit within ${graceMs / 1000} s of SIGTERM and was killed; its last output:\n${child.tail.join('\n')}`,
    );
}

export async function waitReady(child: Child, timeoutMs = 30_000): Promise<void> {
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

/** A merchant made through Till's admin API: its id and test secret key. */
export async function createMerchant(port: number, name: string): Promise<{ id: string; key: string }> {
  const res = await postJson(`http://${HOST}:${port}/admin/v1/merchants`, ADMIN_TOKEN, { name });
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
  return { id, key: body.test_secret_key };
}
