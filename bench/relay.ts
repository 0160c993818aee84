/**
 * Relay latency: how long a committed status change takes to reach a subscriber, with nobody else
 * listening. One graphql-ws subscriber follows all of a merchant's payments; payments are canceled
 * one at a time, and for each the time from the cancel event's `created_at` (written in the
 * cancel's transaction, just before its commit) to the subscriber hearing CANCELED is taken. One
 * clock: everything runs on this machine.
 *
 * Measured twice: the subscriber on the instance that commits (in process), and on a second
 * instance of the same database (across instances: Redis pub/sub, or PostgreSQL LISTEN/NOTIFY).
 *
 * Runs under plain Node 24 (type stripping): erasable TypeScript only.
 */
import { createClient } from 'graphql-ws';
import type pg from 'pg';
import WebSocket from 'ws';
import { CREATE_BODY, HOST, type LatencySummary, log, postJson, sleep, summarize } from './common.ts';
import { newKey } from './create.ts';
import { describeError } from './fanout.ts';

/** How long one change may take to arrive before it counts as lost. */
const WAIT_MS = 3000;

const ALL_PAYMENTS = `subscription { paymentStatusChanged { id status } }`;

export interface RelayLatency {
  /** Where the subscriber listened: the committing instance or another one. */
  where: 'in process' | 'across instances';
  changes: number;
  received: number;
  latencyMs: LatencySummary;
  note: string | null;
}

/**
 * `changes` status changes committed through `commitPort`, heard by one subscriber on `listenPort`.
 * Each change waits for the previous one to arrive (or time out), so none queues behind another.
 */
export async function measureRelay(
  db: pg.Client,
  ports: { commit: number; listen: number },
  token: string,
  changes: number,
  where: RelayLatency['where'],
): Promise<RelayLatency> {
  const ids: string[] = [];
  for (let i = 0; i < changes; i++) {
    const created = await postJson(`http://${HOST}:${ports.commit}/v1/payments/hpp`, token, CREATE_BODY, {
      'idempotency-key': newKey(),
    });
    const id = (created.json as { id?: string } | null)?.id;
    if (created.status !== 200 || !id) throw new Error(`relay: creating a payment failed: ${created.text}`);
    ids.push(id);
  }
  // Let the creates' own events pass before the subscriber joins.
  await sleep(500);

  const heard = new Map<string, number>();
  let waiting: { id: string; resolve: () => void } | null = null;
  let failure: string | null = null;
  const client = createClient({
    url: `ws://${HOST}:${ports.listen}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  const subscribed = new Promise<void>((resolve) => {
    client.on('connected', () => setTimeout(resolve, 200));
  });
  const stop = client.subscribe<{ paymentStatusChanged: { id: string; status: string } }>(
    { query: ALL_PAYMENTS },
    {
      next: (message) => {
        const change = message.data?.paymentStatusChanged;
        if (change?.status !== 'CANCELED' || heard.has(change.id)) return;
        heard.set(change.id, Date.now());
        if (waiting?.id === change.id) waiting.resolve();
      },
      error: (error) => (failure = describeError(error)),
      complete: () => {},
    },
  );
  await Promise.race([subscribed, sleep(5000)]);

  for (const id of ids) {
    if (failure) break;
    const arrived = new Promise<void>((resolve) => (waiting = { id, resolve }));
    const cancel = await postJson(`http://${HOST}:${ports.commit}/v1/payments/${id}/cancel`, token, '', {
      'idempotency-key': newKey(),
      'content-type': 'application/json',
    });
    if (cancel.status !== 200) throw new Error(`relay: cancel failed (${cancel.status}): ${cancel.text}`);
    await Promise.race([arrived, sleep(WAIT_MS)]);
    waiting = null;
    // Nothing heard of the first few: this pub/sub does not reach the listening instance at all.
    if (heard.size === 0 && ids.indexOf(id) === 2) {
      failure = `none of the first 3 changes was heard on the listening instance`;
      break;
    }
  }
  stop();
  await client.dispose();

  const { rows } = await db.query(
    `select payment_id, extract(epoch from created_at) * 1000 as created
       from event where payment_id = any($1) and type = 'payment.canceled'`,
    [ids],
  );
  const latencies: number[] = [];
  for (const row of rows as { payment_id: string; created: string }[]) {
    const at = heard.get(row.payment_id);
    if (at !== undefined) latencies.push(at - Number(row.created));
  }
  const received = latencies.length;
  log(`relay (${where}): ${received}/${changes} changes heard`);
  return {
    where,
    changes,
    received,
    latencyMs: summarize(latencies),
    note:
      failure ??
      (received < changes ? `${changes - received} changes not heard within ${WAIT_MS / 1000} s` : null),
  };
}
