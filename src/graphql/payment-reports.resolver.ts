import { Arg, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { PaymentExportService } from '../services/payment-export.js';
import type { PaymentStatsService } from '../services/payment-stats.js';
import type { Permission } from '../services/permissions.js';
import { principalOf, type GraphQLContext } from './context.js';
import { toGraphQLError } from './errors.js';
import { PaymentFilter, toDomainFilter } from './payment-filter.input.js';
import { PaymentExport, PaymentStats, StatsGranularity, unitOf } from './payment-stats.type.js';
import { SafeInt } from './scalars.js';

export interface PaymentReportsDeps {
  paymentStats: PaymentStatsService;
  paymentExport: PaymentExportService;
}

/** What a dashboard reads across many payments: statistics and CSV exports. */
@Resolver()
export class PaymentReportsResolver {
  constructor(private readonly deps: PaymentReportsDeps) {}

  @Authorized<Permission>('payments:read')
  @Query(() => PaymentStats, {
    description:
      'Counts, volume and declines of your payments created in [from, to), per hour (at most 31 days), day or week (at most 366 days) in `timeZone` (an IANA name).',
  })
  async paymentStats(
    @Ctx() ctx: GraphQLContext,
    @Arg('from', () => SafeInt) from: number,
    @Arg('to', () => SafeInt) to: number,
    @Arg('granularity', () => StatsGranularity, { defaultValue: StatsGranularity.DAY })
    granularity: StatsGranularity,
    @Arg('timeZone', () => String, { defaultValue: 'UTC' }) timeZone: string,
  ): Promise<PaymentStats> {
    const principal = principalOf(ctx);
    const result = await this.deps.paymentStats
      .stats(principal, { from, to, unit: unitOf(granularity), timeZone })
      .catch(toGraphQLError);
    return PaymentStats.from(result, granularity);
  }

  @Authorized<Permission>('payments:export')
  @Query(() => PaymentExport, {
    description: 'Your payments matching `filter` as CSV, newest first, at most 10,000 rows.',
  })
  async paymentExport(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => PaymentFilter, { nullable: true }) filter: PaymentFilter | null,
  ): Promise<PaymentExport> {
    const principal = principalOf(ctx);
    return this.deps.paymentExport.export(principal, toDomainFilter(filter)).catch(toGraphQLError);
  }
}
