import type { QueryBuilder, SqlEntityManager } from '@mikro-orm/sql';
import type { PaymentFilter } from '../../domain/payment-filter.js';
import { PaymentSchema, type Payment as PaymentRow } from '../entities/payment.entity.js';
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

/**
 * The query reading up to `limit` of a scope's payments that match `filter`, newest first: by
 * creation time, then by insertion order among those created in the same instant. Each list index
 * starts with the scope and ends with that order (`created_at desc, seq desc`), so a page is a walk
 * down one index, and a created range bounds the walk instead of filtering it.
 *
 * `after` (a payment id) starts the page after that payment, compared on both keys by the database
 * so the stored microseconds count; an id the scope does not have gives an empty page.
 *
 * A search picks the page's ids first, in a subquery the reference index can answer alone (it
 * carries the order's keys), then reads those rows: a prefix matching a few thousand payments deep
 * in the history is sorted from the index instead of found by walking the newest ones.
 */
export function newestFirst(
  em: SqlEntityManager,
  scope: { merchantId: string; livemode: boolean },
  filter: PaymentFilter,
  after: string | null,
  limit: number,
  fields: '*' | readonly string[],
): QueryBuilder<PaymentRow> | null {
  const where = paymentWhere(scope, filter);
  if (!where) return null;
  const page = (alias: string, select: '*' | readonly string[]) => {
    const qb = em
      .createQueryBuilder(PaymentSchema, alias)
      .select(select as '*')
      .where(where)
      .orderBy({ createdAt: 'desc', seq: 'desc' })
      .limit(limit);
    if (after)
      qb.andWhere(
        `(${alias}.created_at, ${alias}.seq) < (select created_at, seq from payment where id = ? and merchant_id = ? and livemode = ?)`,
        [after, scope.merchantId, scope.livemode],
      );
    return qb;
  };
  if (!filter.search) return page('p0', fields);
  // The ids as an array: the rows are then read by primary key, however many the page has.
  const ids = page('p1', ['id']);
  return em
    .createQueryBuilder(PaymentSchema, 'p0')
    .select(fields as '*')
    .where(`p0.id = any(array(${ids.getQuery()}))`, [...ids.getParams()])
    .orderBy({ createdAt: 'desc', seq: 'desc' });
}
