/**
 * Subscription fan-out: N graphql-ws subscribers on one payment; the payment is canceled and the
 * time from the cancel request to each subscriber's CANCELED is measured.
 *
 * Runs under plain Node 24 (type stripping): erasable TypeScript only.
 */
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import {
  checkInterrupted,
  type Child,
  cpuMeter,
  type CpuShare,
  CREATE_BODY,
  FANOUT_WAIT_MS,
  HOST,
  type LatencySummary,
  log,
  OPEN_BATCH,
  openFileLimit,
  postJson,
  QUICK,
  round,
  rssKiB,
  rssMiB,
  running,
  sleep,
  state,
  SUBSCRIPTION,
  summarize,
} from './common.ts';
import { newKey } from './create.ts';

/** How long the server is left alone before a reading or the measured change. */
const SETTLE_MS = QUICK ? 300 : 1000;
/** Descriptors this process keeps for itself while the subscribers hold the rest. */
const FD_RESERVE = 200;

// ---------------------------------------------------------------------------------------------
// Subscription fan-out

export interface FanoutResult {
  subscribers: number;
  connected: number;
  failed: number;
  failures: Record<string, number>;
  openSeconds: number;
  received: number;
  cancelResponseMs: number;
  latencyMs: LatencySummary;
  tillRssMiB: number | null;
  /** Till's resident memory growth per connected, idle subscriber (before the change). */
  tillRssPerSubscriberKiB: number | null;
  paymentId: string;
  /** Wall-clock times (ms since the epoch): the cancel's answer, and the first CANCELED heard. */
  cancelAnsweredAtMs: number | null;
  firstReceivedAtMs: number | null;
  openFileLimit: string;
  /** From the cancel request until the last CANCELED arrived (or the wait ended). */
  delivery: { wallMs: number; cpu: CpuShare } | null;
}

export function describeError(error: unknown): string {
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

export async function fanOut(till: Child, token: string, subscribers: number): Promise<FanoutResult> {
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
  let firstReceivedAtMs: number | null = null;
  let cancelAnsweredAtMs: number | null = null;

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
              firstReceivedAtMs ??= Date.now();
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
  // Each subscriber holds a descriptor here (and one in Till): past the open-file limit, less the
  // few this process needs for itself (the database, the cancel request), the rest are not tried.
  const limit = Number(openFileLimit());
  const reachable = Number.isFinite(limit) ? Math.max(0, limit - FD_RESERVE) : subscribers;
  const attempted = Math.min(subscribers, reachable);
  if (attempted < subscribers) {
    failed += subscribers - attempted;
    failures[`not attempted: the open-file limit is ${limit} (raise it with \`ulimit -n\`)`] =
      subscribers - attempted;
    log(`fan-out: only ${attempted} of ${subscribers} subscribers fit under the open-file limit of ${limit}`);
  }
  const closeAll = () => Promise.allSettled(clients.map(async (client) => client?.dispose()));
  const stop = () => void closeAll();
  running.add(stop);
  // Idle RSS is read after a pause before and after the audience connects (the pause after also lets
  // the connection storm settle before the measured change).
  await sleep(SETTLE_MS / 2);
  const rssBefore = rssKiB(till.proc.pid);
  const openStart = performance.now();
  // About 4 ms a subscriber on a busy 2-core machine: the budget grows with the audience.
  const openBudgetMs = Math.max(90_000, subscribers * 6);
  const openDeadline = openStart + openBudgetMs;
  for (let i = 0; i < attempted && performance.now() < openDeadline && !state.interrupted; i += OPEN_BATCH) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(attempted, i + OPEN_BATCH); j++) batch.push(open(j));
    await Promise.all(batch);
  }
  const openSeconds = (performance.now() - openStart) / 1000;
  const notTried = subscribers - connected - failed;
  if (notTried > 0) {
    failed += notTried;
    failures[`not attempted (${openBudgetMs / 1000} s budget for connecting spent)`] = notTried;
  }
  log(`fan-out: ${connected} subscribed, ${failed} failed, in ${openSeconds.toFixed(1)} s`);
  checkInterrupted();
  await sleep(SETTLE_MS);
  const tillRss = rssMiB(till.proc.pid);
  const rssAfter = rssKiB(till.proc.pid);

  let cancelResponseMs = NaN;
  let delivery: FanoutResult['delivery'] = null;
  if (connected > 0) {
    const everyone = new Promise<void>((resolve) => (allReceived = resolve));
    const meter = cpuMeter(till.proc.pid);
    cancelSentAt = performance.now();
    const cancel = await postJson(`http://${HOST}:${till.port}/v1/payments/${paymentId}/cancel`, token, '', {
      'idempotency-key': newKey(),
      'content-type': 'application/json',
    }).catch((error: Error) => ({ status: 0, text: error.message, json: null }));
    cancelResponseMs = performance.now() - cancelSentAt;
    cancelAnsweredAtMs = Date.now();
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
    tillRssPerSubscriberKiB:
      rssBefore !== null && rssAfter !== null && connected > 0
        ? round((rssAfter - rssBefore) / connected, 1)
        : null,
    paymentId,
    cancelAnsweredAtMs,
    firstReceivedAtMs,
    openFileLimit: openFileLimit(),
    delivery,
  };
}
