import type { PaymentStatsRepository, StatsBucketRow, StatsUnit } from '../db/repositories/payment-stats.js';
import { invalid } from '../domain/errors.js';
import { MAX_UNIX_SECONDS } from '../domain/payment-filter.js';
import type { Principal } from './principal.js';

export interface PaymentStatsResult {
  from: number;
  to: number;
  unit: StatsUnit;
  buckets: StatsBucketRow[];
  totals: {
    count: number;
    succeeded: number;
    failed: number;
    /** succeeded / (succeeded + failed); null when none finished either way. */
    successRate: number | null;
    volume: { currency: string; amount: number }[];
  };
  declines: { code: string; count: number }[];
}

const DAY = 86400;
/** The longest range each granularity covers, in days (a year of days or weeks; a month of hours). */
export const MAX_RANGE_DAYS: Record<StatsUnit, number> = { hour: 31, day: 366, week: 366 };

/**
 * An IANA time zone name: one the runtime's ICU knows, spelled as a name (`Europe/Zagreb`, `UTC`,
 * `Etc/GMT+5`). Offsets such as `+01:00` are refused: PostgreSQL reads POSIX offsets with the
 * opposite sign.
 */
export function isTimeZoneName(zone: string): boolean {
  if (zone.length > 64 || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Payment counts, volume and declines over a time range, bucketed by hour, day or week. */
export class PaymentStatsService {
  constructor(private readonly repository: PaymentStatsRepository) {}

  async stats(
    principal: Principal,
    query: { from: number; to: number; unit: StatsUnit; timeZone: string },
  ): Promise<PaymentStatsResult> {
    const { from, to, unit, timeZone } = query;
    if (!Number.isSafeInteger(from) || from < 0 || from > MAX_UNIX_SECONDS)
      throw invalid('from', `from must be a Unix time in seconds from 0 to ${MAX_UNIX_SECONDS}`);
    if (!Number.isSafeInteger(to) || to <= from) throw invalid('to', 'to must be later than from');
    if (to > MAX_UNIX_SECONDS)
      throw invalid('to', `to must be a Unix time in seconds up to ${MAX_UNIX_SECONDS}`);
    if (to - from > MAX_RANGE_DAYS[unit] * DAY)
      throw invalid(
        'to',
        `A ${unit.toUpperCase()} range covers at most ${MAX_RANGE_DAYS[unit]} days; ask for a shorter range or a coarser granularity.`,
      );
    if (!isTimeZoneName(timeZone))
      throw invalid('timeZone', `timeZone must be an IANA time zone name such as Europe/Zagreb or UTC`);
    const q = { from, to, unit, timeZone };
    let buckets: StatsBucketRow[];
    let declines: PaymentStatsResult['declines'];
    try {
      buckets = await this.repository.buckets(principal, q);
      declines = await this.repository.declines(principal, q);
    } catch (error) {
      // A zone the runtime knows but the database's time zone data does not (invalid_parameter_value).
      if ((error as { code?: string }).code === '22023' || /time zone/i.test((error as Error).message))
        throw invalid(
          'timeZone',
          `The time zone ${timeZone} is not known to the database; use another name for it.`,
        );
      throw error;
    }
    const volume = new Map<string, number>();
    for (const b of buckets)
      for (const v of b.volume) volume.set(v.currency, (volume.get(v.currency) ?? 0) + v.amount);
    const sum = (key: 'count' | 'succeeded' | 'failed') => buckets.reduce((n, b) => n + b[key], 0);
    const succeeded = sum('succeeded');
    const failed = sum('failed');
    return {
      from,
      to,
      unit,
      buckets,
      totals: {
        count: sum('count'),
        succeeded,
        failed,
        successRate: succeeded + failed === 0 ? null : succeeded / (succeeded + failed),
        volume: [...volume]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([currency, amount]) => ({ currency, amount })),
      },
      declines,
    };
  }
}
