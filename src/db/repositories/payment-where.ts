import type { PaymentFilter } from '../../domain/payment-filter.js';
import { PAYMENT_ID_PATTERN } from '../../domain/ids.js';

/** LIKE's wildcards in `text` taken literally (PostgreSQL's default escape character is `\`). */
export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The ORM condition selecting a scope's payments that match `filter`, or null when none can (an
 * empty set of statuses).
 */
export function paymentWhere(
  scope: { merchantId: string; livemode: boolean },
  filter: PaymentFilter,
): Record<string, unknown> | null {
  const where: Record<string, unknown> = { merchantId: scope.merchantId, livemode: scope.livemode };
  if (filter.statuses) {
    if (filter.statuses.length === 0) return null;
    where.status = filter.statuses.length === 1 ? filter.statuses[0] : { $in: [...filter.statuses] };
  }
  if (filter.createdFrom || filter.createdTo)
    where.createdAt = {
      ...(filter.createdFrom ? { $gte: filter.createdFrom } : {}),
      ...(filter.createdTo ? { $lt: filter.createdTo } : {}),
    };
  if (filter.amountMin !== null || filter.amountMax !== null)
    where.amount = {
      ...(filter.amountMin !== null ? { $gte: filter.amountMin } : {}),
      ...(filter.amountMax !== null ? { $lte: filter.amountMax } : {}),
    };
  if (filter.currency) where.currency = filter.currency;
  if (filter.search) {
    const byReference = { merchantReference: { $like: `${escapeLike(filter.search)}%` } };
    where.$or = PAYMENT_ID_PATTERN.test(filter.search) ? [{ id: filter.search }, byReference] : [byReference];
  }
  return where;
}
