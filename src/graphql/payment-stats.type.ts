import { Field, Float, ObjectType, registerEnumType } from 'type-graphql';
import type { StatsUnit } from '../db/repositories/payment-stats.js';
import type { PaymentStatsResult } from '../services/payment-stats.js';
import { SafeInt } from './scalars.js';

export enum StatsGranularity {
  HOUR = 'HOUR',
  DAY = 'DAY',
  WEEK = 'WEEK',
}
registerEnumType(StatsGranularity, {
  name: 'StatsGranularity',
  description: 'The length of a statistics bucket, in the asked time zone (weeks start on Monday).',
});

export const unitOf = (g: StatsGranularity): StatsUnit => g.toLowerCase() as StatsUnit;

@ObjectType({ description: 'An amount in minor units of one currency.' })
export class CurrencyAmount {
  @Field() currency!: string;
  @Field(() => SafeInt) amount!: number;
}

@ObjectType({ description: 'Payments created in one bucket.' })
export class PaymentStatsBucket {
  @Field(() => SafeInt, { description: 'Unix time (seconds) the bucket starts.' }) start!: number;
  @Field(() => SafeInt) count!: number;
  @Field(() => SafeInt, { description: 'SUCCEEDED (refunded ones included).' }) succeeded!: number;
  @Field(() => SafeInt) failed!: number;
  @Field(() => [CurrencyAmount], {
    description: 'What the succeeded payments collected, per currency (a partial capture counts its part).',
  })
  volume!: CurrencyAmount[];
}

@ObjectType()
export class DeclineCount {
  @Field({ description: 'The decline code, or "unknown".' }) code!: string;
  @Field(() => SafeInt) count!: number;
}

@ObjectType()
export class PaymentStatsTotals {
  @Field(() => SafeInt) count!: number;
  @Field(() => SafeInt) succeeded!: number;
  @Field(() => SafeInt) failed!: number;
  @Field(() => Float, {
    nullable: true,
    description: 'succeeded / (succeeded + failed); null when no payment succeeded or failed.',
  })
  successRate!: number | null;
  @Field(() => [CurrencyAmount]) volume!: CurrencyAmount[];
}

@ObjectType({ description: 'Payments created in [from, to), counted by the database.' })
export class PaymentStats {
  @Field(() => SafeInt) from!: number;
  @Field(() => SafeInt) to!: number;
  @Field(() => StatsGranularity) granularity!: StatsGranularity;
  @Field(() => [PaymentStatsBucket], {
    description: 'Every bucket of the range, empty ones included, oldest first.',
  })
  buckets!: PaymentStatsBucket[];
  @Field(() => PaymentStatsTotals) totals!: PaymentStatsTotals;
  @Field(() => [DeclineCount], { description: 'Failed payments by decline code, most frequent first.' })
  declines!: DeclineCount[];

  static from(result: PaymentStatsResult, granularity: StatsGranularity): PaymentStats {
    return Object.assign(new PaymentStats(), { ...result, granularity });
  }
}

@ObjectType({ description: 'Payments as CSV, newest first.' })
export class PaymentExport {
  @Field({
    description:
      'RFC 4180 CSV: id, created_at, status, amount, currency, amount_refunded, merchant_reference, description, card_brand, card_last4, decline_code.',
  })
  csv!: string;
  @Field(() => SafeInt) rowCount!: number;
  @Field({ description: 'More payments matched than one export holds (10,000).' }) truncated!: boolean;
}
