/**
 * Lists at scale: one merchant's history of many payments (seeded in one statement, see
 * payment-seed.ts, then ANALYZE), and the time Till takes to answer `GET /v1/payments?status=…&limit=100`
 * for it, one request after another: first pages for each status in turn, and every other request
 * the next page of the one before (keyset on `starting_after`).
 *
 * Runs under plain Node 24 (type stripping): erasable TypeScript only.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { checkInterrupted, HOST, type LatencySummary, log, round, summarize } from './common.ts';
import { paymentSeedSql, SEED_STATUS_SHARES } from './payment-seed.ts';

export interface ListResult {
  rows: number;
  seedSeconds: number;
  requests: number;
  errors: number;
  /** Rows per answer (a page is 100 unless a status has fewer). */
  meanRowsPerPage: number;
  latencyMs: LatencySummary;
}

/** Seeds `rows` payments, most of them `merchantId`'s (test mode), and ANALYZEs the table. */
export async function seedPayments(db: pg.Client, merchantId: string, rows: number): Promise<number> {
  const others: string[] = [];
  for (let i = 0; i < 3; i++) {
    const id = `mer_bench${randomBytes(8).toString('hex')}`;
    await db.query('insert into merchant (id, name, created_at) values ($1, $2, now())', [
      id,
      `bench-other-${i}`,
    ]);
    others.push(id);
  }
  const started = performance.now();
  await db.query(paymentSeedSql({ merchantId, otherMerchantIds: others, count: rows }));
  await db.query('analyze payment');
  return round((performance.now() - started) / 1000, 1);
}

export async function measureLists(
  port: number,
  key: string,
  requests: number,
  rows: number,
  seedSeconds: number,
): Promise<ListResult> {
  const statuses = SEED_STATUS_SHARES.map(([status]) => status);
  const latencies: number[] = [];
  let errors = 0;
  let pageRows = 0;
  let lastOf: { status: string; id: string } | null = null;
  const get = async (query: string) => {
    const started = performance.now();
    const res = await fetch(`http://${HOST}:${port}/v1/payments?${query}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const body = (await res.json()) as { data?: { id: string }[] };
    const ms = performance.now() - started;
    return { ok: res.status === 200 && Array.isArray(body.data), ms, data: body.data ?? [] };
  };
  // A few requests first: connections, the route's first run and the plan cache are not the figure.
  for (const status of statuses) await get(`status=${status}&limit=100`);
  log(`lists: ${requests} requests, 100 payments each with a status filter, ${rows} payments in the table`);
  for (let i = 0; i < requests; i++) {
    if (i % 100 === 0) checkInterrupted();
    const next: { status: string; id: string } | null = i % 2 === 1 ? lastOf : null;
    const status: string = next ? next.status : statuses[Math.floor(i / 2) % statuses.length]!;
    const query: string = `status=${status}&limit=100${next ? `&starting_after=${next.id}` : ''}`;
    const answer = await get(query).catch(() => ({ ok: false, ms: NaN, data: [] as { id: string }[] }));
    if (!answer.ok) {
      errors++;
      continue;
    }
    latencies.push(answer.ms);
    pageRows += answer.data.length;
    const last: { id: string } | undefined = answer.data.at(-1);
    lastOf = last ? { status, id: last.id } : null;
  }
  return {
    rows,
    seedSeconds,
    requests,
    errors,
    meanRowsPerPage: round(pageRows / Math.max(1, latencies.length), 1),
    latencyMs: summarize(latencies),
  };
}
