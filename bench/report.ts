/**
 * The bench's figures: one row each (a value, or null with the reason it could not be measured), the
 * target it is held against where there is one, and the printed report.
 *
 * Runs under plain Node 24 (type stripping): erasable TypeScript only.
 */
import {
  CONNECTIONS,
  type CpuShare,
  DISTURBED_PCT,
  round,
  SECONDS,
  SUBSCRIBERS,
  SUBSCRIBERS_LARGE,
  TARGETS,
  WARMUP_SECONDS,
} from './common.ts';
import type { TargetResult } from './create.ts';
import type { EmbeddedResult } from './embedded.ts';
import type { FanoutResult } from './fanout.ts';
import type { ListResult } from './lists.ts';
import type { RelayLatency } from './relay.ts';

export interface Figure {
  name: string;
  value: number | null;
  unit: string;
  /** What it is held against, when anything. */
  target: string | null;
  met: boolean | null;
  /** Other processes took CPU during a measurement it rests on: the figure is not to be trusted. */
  disturbed: boolean;
  /** Why the value is null, or what to know when reading it. */
  note: string | null;
}

/** How far the outbox relay is behind a commit, from the canceled payment's event. */
export interface RelayResult {
  /** From the event's creation (inside the cancel's transaction) to the first subscriber's CANCELED. */
  createdToFirstReceiptMs: number | null;
  /** From the event's creation to the relay marking it published. */
  createdToPublishedMs: number | null;
  /** From the cancel's answer to the first subscriber's CANCELED (negative: heard before answered). */
  answerToFirstReceiptMs: number | null;
  note: string | null;
}

export interface Measured {
  routes: TargetResult[];
  fanouts: FanoutResult[];
  relay: RelayResult | null;
  /** The relay alone, one subscriber: in process, then across instances. */
  relays: RelayLatency[];
  lists: ListResult | null;
  embedded: EmbeddedResult | null;
  /** Why a part did not run, by part. */
  skipped: Record<string, string>;
}

const disturbed = (...shares: (CpuShare | null | undefined)[]) =>
  shares.some((share) => (share?.other ?? 0) >= DISTURBED_PCT);

const n = (value: number) => value.toLocaleString('en-US');

export function figures(m: Measured): Figure[] {
  const out: Figure[] = [];
  const missing = (name: string, unit: string, note: string, target: string | null = null) =>
    out.push({ name, value: null, unit, target, met: null, disturbed: false, note });
  const byName = Object.fromEntries(m.routes.map((r) => [r.name, r]));
  const baseline = byName['baseline'];
  for (const [route, target] of [
    ['REST create', TARGETS.restRatio],
    ['GraphQL create', TARGETS.graphqlRatio],
  ] as const) {
    const r = byName[route];
    const name = `${route} / baseline throughput`;
    if (!r || !baseline || baseline.peak.requestsPerSecond === 0) {
      missing(name, 'ratio', m.skipped.create ?? 'not measured', `≥ ${target}`);
      continue;
    }
    const value = Number((r.peak.requestsPerSecond / baseline.peak.requestsPerSecond).toFixed(2));
    out.push({
      name,
      value,
      unit: 'ratio',
      target: `≥ ${target}`,
      met: value >= target,
      disturbed: disturbed(baseline.peakCpu, r.peakCpu),
      note: `${r.peak.requestsPerSecond} vs ${baseline.peak.requestsPerSecond} req/s`,
    });
  }
  for (const route of ['REST create', 'GraphQL create']) {
    const r = byName[route];
    const name = `${route} p99 at half peak`;
    if (!r) {
      missing(name, 'ms', m.skipped.create ?? 'not measured', `≤ ${TARGETS.p99HalfPeakMs}`);
      continue;
    }
    const ok = r.halfPeak.errors === 0 && r.halfPeak.non2xx === 0;
    out.push({
      name,
      value: r.halfPeak.latencyMs.p99,
      unit: 'ms',
      target: `≤ ${TARGETS.p99HalfPeakMs}`,
      met: ok && r.halfPeak.latencyMs.p99 <= TARGETS.p99HalfPeakMs,
      disturbed: disturbed(r.halfPeakCpu),
      note: ok
        ? `at ${r.halfPeak.targetRate} req/s`
        : `${r.halfPeak.errors + r.halfPeak.non2xx} requests failed`,
    });
  }
  // The smaller audience runs first; either may be left out (0 subscribers).
  const small = SUBSCRIBERS > 0 ? m.fanouts[0] : undefined;
  const large = SUBSCRIBERS_LARGE > 0 ? m.fanouts[SUBSCRIBERS > 0 ? 1 : 0] : undefined;
  if (small) {
    const all = small.received === small.subscribers;
    out.push({
      name: `status change to ${n(small.subscribers)} subscribers, p99`,
      value: small.latencyMs.p99,
      unit: 'ms',
      target: `≤ ${TARGETS.fanoutP99Ms}, all receive`,
      met: all && small.latencyMs.p99 <= TARGETS.fanoutP99Ms,
      disturbed: disturbed(small.delivery?.cpu),
      note: `${n(small.received)}/${n(small.subscribers)} received; from the cancel request`,
    });
    out.push({
      name: `status change to ${n(small.subscribers)} subscribers, first`,
      value: small.latencyMs.min,
      unit: 'ms',
      target: null,
      met: null,
      disturbed: disturbed(small.delivery?.cpu),
      note: 'from the cancel request',
    });
  } else {
    missing('status change to the smaller audience, p99', 'ms', m.skipped.fanout ?? 'BENCH_SUBSCRIBERS=0');
    missing('status change to the smaller audience, first', 'ms', m.skipped.fanout ?? 'BENCH_SUBSCRIBERS=0');
  }
  if (large) {
    out.push({
      name: `status change to ${n(large.subscribers)} subscribers, p99`,
      value: large.latencyMs.p99,
      unit: 'ms',
      target: `≤ ${TARGETS.fanoutLargeP99Ms}`,
      met: large.received === large.subscribers && large.latencyMs.p99 <= TARGETS.fanoutLargeP99Ms,
      disturbed: disturbed(large.delivery?.cpu),
      note: `first ${large.latencyMs.min} ms; from the cancel request`,
    });
    out.push({
      name: `status change to ${n(large.subscribers)} subscribers, received`,
      value: large.received,
      unit: 'subscribers',
      target: `all ${n(large.subscribers)}`,
      met: large.received === large.subscribers,
      disturbed: false,
      note: large.failed > 0 ? `${large.failed} could not subscribe` : null,
    });
  } else {
    missing(
      'status change to the larger audience, p99',
      'ms',
      m.skipped.fanoutLarge ?? 'BENCH_SUBSCRIBERS_LARGE=0',
    );
    missing(
      'status change to the larger audience, received',
      'subscribers',
      m.skipped.fanoutLarge ?? 'BENCH_SUBSCRIBERS_LARGE=0',
    );
  }
  const rssFrom = large ?? small;
  if (rssFrom?.tillRssPerSubscriberKiB != null)
    out.push({
      name: 'Till RSS per idle subscriber',
      value: rssFrom.tillRssPerSubscriberKiB,
      unit: 'KiB',
      target: `≤ ${TARGETS.rssPerSubscriberKB} KB (${round((TARGETS.rssPerSubscriberKB * 1000) / 1024, 1)} KiB)`,
      met: rssFrom.tillRssPerSubscriberKiB * 1024 <= TARGETS.rssPerSubscriberKB * 1000,
      disturbed: false,
      note: `growth of Till's RSS while ${n(rssFrom.connected)} subscribed, divided by them (garbage not yet collected counts)`,
    });
  else
    missing('Till RSS per idle subscriber', 'KiB', rssFrom ? 'no /proc to read RSS from' : 'no fan-out ran');
  for (const [where, target] of [
    ['in process', TARGETS.relayInProcessMs],
    ['across instances', TARGETS.relayAcrossInstancesMs],
  ] as const) {
    const r = m.relays.find((relay) => relay.where === where);
    const name = `commit → subscriber (relay latency), ${where}, p99`;
    if (!r || r.received === 0) {
      missing(name, 'ms', r?.note ?? 'not measured', `≤ ${target}`);
      continue;
    }
    out.push({
      name,
      value: r.latencyMs.p99,
      unit: 'ms',
      target: `≤ ${target}`,
      met: r.received === r.changes && r.latencyMs.p99 <= target,
      disturbed: false,
      note:
        `one subscriber, ${n(r.received)}/${n(r.changes)} changes heard, each alone; from the event's created_at ` +
        `(in the committing transaction) to CANCELED heard; p50 ${r.latencyMs.p50} ms` +
        (r.note ? `; ${r.note}` : ''),
    });
  }
  if (m.relay?.createdToFirstReceiptMs != null)
    out.push({
      name: `commit → first of ${n(small?.subscribers ?? 0)} subscribers`,
      value: m.relay.createdToFirstReceiptMs,
      unit: 'ms',
      target: null,
      met: null,
      disturbed: false,
      note:
        `from the cancel event's created_at (in its transaction, just before commit) to the first CANCELED heard; ` +
        `created → published ${m.relay.createdToPublishedMs ?? '?'} ms; cancel answered → first heard ${m.relay.answerToFirstReceiptMs ?? '?'} ms`,
    });
  else missing('commit → first of the fan-out audience', 'ms', m.relay?.note ?? 'no fan-out ran');
  if (m.lists)
    out.push({
      name: `list 100 payments with a status filter, ${n(m.lists.rows)} payments, p99`,
      value: m.lists.latencyMs.p99,
      unit: 'ms',
      target: `≤ ${TARGETS.listP99Ms}`,
      met: m.lists.errors === 0 && m.lists.latencyMs.p99 <= TARGETS.listP99Ms,
      disturbed: false,
      note: `REST, ${n(m.lists.requests)} requests one at a time, p50 ${m.lists.latencyMs.p50} ms; ${m.lists.errors} errors`,
    });
  else
    missing(
      'list 100 payments with a status filter, p99',
      'ms',
      m.skipped.lists ?? 'not measured',
      `≤ ${TARGETS.listP99Ms}`,
    );
  const rest = byName['REST create'];
  if (m.embedded) {
    const rps = m.embedded.create.requestsPerSecond;
    out.push({
      name: 'embedded (PGlite) create throughput',
      value: rps,
      unit: 'req/s',
      target: null,
      met: null,
      disturbed: false,
      note: `REST create, ${CONNECTIONS} connections, ${m.embedded.create.non2xx + m.embedded.create.errors} errors`,
    });
    out.push({
      name: 'embedded / PostgreSQL create throughput',
      value: rest ? Number((rps / rest.peak.requestsPerSecond).toFixed(2)) : null,
      unit: 'ratio',
      target: null,
      met: null,
      disturbed: false,
      note: rest
        ? `vs REST create on PostgreSQL, ${rest.peak.requestsPerSecond} req/s`
        : 'REST create on PostgreSQL did not run',
    });
    const d = m.embedded.dashboard;
    if (d) {
      out.push({
        name: `dashboard payments, first 50 rows of ${n(d.payments)}, first answer`,
        value: d.firstMs,
        unit: 'ms',
        target: null,
        met: null,
        disturbed: false,
        note: `${d.what}; the first request after Till started`,
      });
      out.push({
        name: `dashboard payments, first 50 rows of ${n(d.payments)}, p99`,
        value: d.latencyMs.p99,
        unit: 'ms',
        target: null,
        met: null,
        disturbed: false,
        note: `${d.latencyMs.count} repeated requests, p50 ${d.latencyMs.p50} ms`,
      });
      const screenName = `dashboard payments screen in Chromium, 50 rows of ${n(d.payments)} on screen after the click`;
      if (d.screen)
        out.push({
          name: screenName,
          value: d.screen.firstMs,
          unit: 'ms',
          target: '≤ 1000',
          met: d.screen.firstMs <= 1000,
          disturbed: false,
          note: `the first time after Till started; repeated ${d.screen.latencyMs.count} times: p50 ${d.screen.latencyMs.p50} ms, max ${d.screen.latencyMs.max} ms`,
        });
      else missing(screenName, 'ms', d.screenSkipped ?? 'not measured', '≤ 1000');
    } else missing('dashboard payments, first 50 rows', 'ms', m.embedded.dashboardSkipped ?? 'not measured');
  } else {
    const why = m.skipped.embedded ?? 'not measured';
    missing('embedded (PGlite) create throughput', 'req/s', why);
    missing('embedded / PostgreSQL create throughput', 'ratio', why);
    missing('dashboard payments, first 50 rows', 'ms', why);
  }
  return out;
}

export function report(m: Measured, rows: Figure[], meta: Record<string, unknown>): string {
  const results = m.routes;
  const fanouts = m.fanouts;
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
  for (const fanout of fanouts) {
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
          `Till RSS with all subscribed ${fanout.tillRssMiB ?? '?'} MiB (${fanout.tillRssPerSubscriberKiB ?? '?'} KiB per subscriber).`,
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
  if (m.lists)
    lines.push(
      `Lists: ${n(m.lists.rows)} payments seeded in ${m.lists.seedSeconds} s (one statement, then ANALYZE); ` +
        `${n(m.lists.requests)} REST pages of up to 100 with a status filter, ${m.lists.meanRowsPerPage} rows on average: ` +
        `p50 ${ms(m.lists.latencyMs.p50)} ms, p99 ${ms(m.lists.latencyMs.p99)} ms, max ${ms(m.lists.latencyMs.max)} ms.`,
    );
  if (m.embedded?.dashboard)
    lines.push(
      `Embedded: ${n(m.embedded.dashboard.payments)} payments seeded in ${m.embedded.dashboard.seedSeconds} s; ` +
        `${m.embedded.dashboard.what}.`,
    );
  for (const [part, why] of Object.entries(m.skipped)) lines.push(`Skipped ${part}: ${why}`);
  lines.push('');
  lines.push('Figures');
  const value = (f: Figure) => (f.value === null ? '—' : `${f.value} ${f.unit}`);
  const width = Math.max(...rows.map((f) => f.name.length));
  for (const f of rows)
    lines.push(
      `  ${f.name.padEnd(width)}  ${value(f).padStart(16)}  ${(f.target ?? '').padEnd(20)} ` +
        `${f.met === null ? '' : f.met ? 'met' : 'NOT MET'}${f.disturbed ? ' (disturbed)' : ''}${f.value === null ? ` (${f.note})` : ''}`,
    );
  lines.push('');
  return lines.join('\n');
}

/** The figures as the README's Markdown table. */
export function markdownTable(rows: Figure[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| figure | measured | target | note |', '| --- | --- | --- | --- |'];
  for (const f of rows)
    lines.push(
      `| ${cell(f.name)} | ${f.value === null ? '—' : `${f.value} ${f.unit}`} | ${cell(f.target ?? '')}` +
        `${f.met === null ? '' : f.met ? ' (met)' : ' (not met)'}${f.disturbed ? ' (disturbed)' : ''} | ${cell(f.note ?? '')} |`,
    );
  return lines.join('\n');
}
