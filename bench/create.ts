/**
 * Create throughput and latency of one route: a warm-up, peak throughput closed-loop with a fixed
 * number of connections (autocannon), then latency open-loop at half of that peak.
 *
 * Runs under plain Node 24 (type stripping): erasable TypeScript only.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import {
  checkInterrupted,
  CONNECTIONS,
  cpuMeter,
  type CpuShare,
  HOST,
  log,
  type LatencySummary,
  postJson,
  round,
  running,
  SECONDS,
  sleep,
  summarize,
  WARMUP_SECONDS,
} from './common.ts';

// ---------------------------------------------------------------------------------------------
// Load

export interface Target {
  name: string;
  port: number;
  path: string;
  token: string;
  body: string;
  /** Checks one response body; used once before the load starts. */
  check: (status: number, json: Record<string, unknown> | null) => string | null;
}

export interface Counts {
  ok: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
}

export interface PeakResult extends Counts {
  connections: number;
  seconds: number;
  requestsPerSecond: number;
  latencyMs: LatencySummary;
}

export interface PacedResult extends Counts {
  targetRate: number;
  seconds: number;
  achievedRate: number;
  /** From each request's scheduled send time (coordinated-omission corrected). */
  latencyMs: LatencySummary;
}

export const newKey = () => `bench_${randomUUID()}`;

/** Closed loop: `connections` connections, each sending its next request when the last answers. */
export function closedLoop(target: Target, connections: number, seconds: number): Promise<PeakResult> {
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
export function openLoop(
  target: Target,
  rate: number,
  seconds: number,
  maxSockets: number,
): Promise<PacedResult> {
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

export interface TargetResult {
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

export interface MeasureContext {
  serverPid: number | undefined;
  countRows: () => Promise<number>;
  commits: () => Promise<number>;
}

export async function measure(target: Target, context: MeasureContext): Promise<TargetResult> {
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
