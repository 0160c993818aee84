import type { Database } from '../orm.js';
import type { PaymentScope } from './payments.js';

export type StatsUnit = 'hour' | 'day' | 'week';

export interface StatsBucketRow {
  start: number;
  count: number;
  succeeded: number;
  failed: number;
  volume: { currency: string; amount: number }[];
}

export interface StatsQuery {
  /** Unix seconds, inclusive. */
  from: number;
  /** Unix seconds, exclusive. */
  to: number;
  unit: StatsUnit;
  /** An IANA zone name PostgreSQL knows; the caller checked it. */
  timeZone: string;
}

/**
 * Every bucket start in [from, to): local calendar days and weeks (Monday) step in local time, so a
 * day across a daylight-saving change is 23 or 25 hours; hours step in absolute time from the local
 * hour `from` falls in. Parameters: tz, from, tz, to, tz (days and weeks) or from, tz, to (hours).
 */
const SERIES: Record<StatsUnit, string> = {
  day: `select (s at time zone ?) as start
          from generate_series(date_trunc('day', to_timestamp(?) at time zone ?),
                               (to_timestamp(?) - interval '1 microsecond') at time zone ?, interval '1 day') s`,
  week: `select (s at time zone ?) as start
           from generate_series(date_trunc('week', to_timestamp(?) at time zone ?),
                                (to_timestamp(?) - interval '1 microsecond') at time zone ?, interval '1 week') s`,
  hour: `select s as start
           from generate_series(date_trunc('hour', to_timestamp(?), ?),
                                to_timestamp(?) - interval '1 microsecond', interval '1 hour') s`,
};

const seriesParams = (q: StatsQuery) =>
  q.unit === 'hour' ? [q.from, q.timeZone, q.to] : [q.timeZone, q.from, q.timeZone, q.to, q.timeZone];

/** The scope's payments created in [from, to) (parameters: merchant, livemode, from, to). */
const IN_RANGE = `merchant_id = ? and livemode = ? and created_at >= to_timestamp(?) and created_at < to_timestamp(?)`;

/**
 * Payment statistics, aggregated by the database (GROUP BY over the range's payments, one row per
 * bucket from `generate_series`, so empty buckets are there too). A refund leaves a payment
 * SUCCEEDED, so refunded payments count as succeeded and what they collected as volume: the amount,
 * or what a partial capture took.
 */
export class PaymentStatsRepository {
  constructor(private readonly db: Database) {}

  async buckets(scope: PaymentScope, q: StatsQuery): Promise<StatsBucketRow[]> {
    const range = [scope.merchantId, scope.livemode, q.from, q.to];
    const em = this.db.em.fork();
    const counts = await em.execute<
      { start: string | number; count: string; succeeded: string; failed: string }[]
    >(
      `with series as (${SERIES[q.unit]}),
            agg as (
              select date_trunc('${q.unit}', created_at, ?) as start, count(*) as count,
                     count(*) filter (where status = 'SUCCEEDED') as succeeded,
                     count(*) filter (where status = 'FAILED') as failed
                from payment where ${IN_RANGE}
               group by 1)
       select extract(epoch from series.start)::bigint as start, coalesce(agg.count, 0) as count,
              coalesce(agg.succeeded, 0) as succeeded, coalesce(agg.failed, 0) as failed
         from series left join agg on agg.start = series.start
        order by series.start`,
      [...seriesParams(q), q.timeZone, ...range],
    );
    const volumes = await em.execute<{ start: string | number; currency: string; amount: string }[]>(
      `select extract(epoch from date_trunc('${q.unit}', created_at, ?))::bigint as start, currency,
              sum(coalesce(amount_captured, amount)) as amount
         from payment where ${IN_RANGE} and status = 'SUCCEEDED'
        group by 1, 2 order by 1, 2`,
      [q.timeZone, ...range],
    );
    const byStart = new Map<number, StatsBucketRow>();
    const rows = counts.map((r) => {
      const row: StatsBucketRow = {
        start: Number(r.start),
        count: Number(r.count),
        succeeded: Number(r.succeeded),
        failed: Number(r.failed),
        volume: [],
      };
      byStart.set(row.start, row);
      return row;
    });
    for (const v of volumes)
      byStart.get(Number(v.start))?.volume.push({ currency: v.currency, amount: Number(v.amount) });
    return rows;
  }

  /** Failed payments in [from, to) by decline code (none → "unknown"), most frequent first. */
  async declines(scope: PaymentScope, q: StatsQuery): Promise<{ code: string; count: number }[]> {
    const rows = await this.db.em.fork().execute<{ code: string; count: string }[]>(
      `select coalesce(decline_code, 'unknown') as code, count(*) as count
         from payment where ${IN_RANGE} and status = 'FAILED'
        group by 1 order by count(*) desc, 1`,
      [scope.merchantId, scope.livemode, q.from, q.to],
    );
    return rows.map((r) => ({ code: r.code, count: Number(r.count) }));
  }
}
