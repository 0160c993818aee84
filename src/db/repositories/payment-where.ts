import type { PaymentFilter } from '../../domain/payment-filter.js';
import { PAYMENT_ID_PATTERN } from '../../domain/ids.js';

/** LIKE's wildcards in `text` taken literally (PostgreSQL's default escape character is `\`). */
export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** A fragment of SQL with its `?` parameters, in order. */
export interface Sql {
  sql: string;
  params: unknown[];
}

/**
 * The condition selecting a scope's payments that match `filter` (columns of the table aliased
 * `alias`), or null when none can (an empty set of statuses).
 */
export function paymentConditions(
  scope: { merchantId: string; livemode: boolean },
  filter: PaymentFilter,
  alias: string,
): Sql | null {
  const terms = [`${alias}.merchant_id = ?`, `${alias}.livemode = ?`];
  const params: unknown[] = [scope.merchantId, scope.livemode];
  const term = (sql: string, ...values: unknown[]) => {
    terms.push(sql);
    params.push(...values);
  };
  if (filter.statuses) {
    if (filter.statuses.length === 0) return null;
    if (filter.statuses.length === 1) term(`${alias}.status = ?`, filter.statuses[0]);
    else term(`${alias}.status in (${filter.statuses.map(() => '?').join(', ')})`, ...filter.statuses);
  }
  if (filter.createdFrom) term(`${alias}.created_at >= ?`, filter.createdFrom);
  if (filter.createdTo) term(`${alias}.created_at < ?`, filter.createdTo);
  if (filter.amountMin !== null) term(`${alias}.amount >= ?`, filter.amountMin);
  if (filter.amountMax !== null) term(`${alias}.amount <= ?`, filter.amountMax);
  if (filter.currency) term(`${alias}.currency = ?`, filter.currency);
  if (filter.search) {
    const prefix = `${escapeLike(filter.search)}%`;
    if (PAYMENT_ID_PATTERN.test(filter.search))
      term(`(${alias}.id = ? or ${alias}.merchant_reference like ?)`, filter.search, prefix);
    else term(`${alias}.merchant_reference like ?`, prefix);
  }
  return { sql: terms.join(' and '), params };
}

/** The most matches of a search sorted by creation time rather than walked to (see newestFirst). */
export const SEARCH_SORT_MAX = 10_000;

/**
 * The query reading up to `limit` of a scope's payments that match `filter` (`columns` of them),
 * newest first: by creation time, then by insertion order among those created in the same instant.
 * Each list index starts with the scope and ends with that order (`created_at desc, seq desc`), so
 * a page is a walk down one index, and a created range bounds the walk instead of filtering it.
 *
 * `after` (a payment id) starts the page after that payment, compared on both keys by the database
 * so the stored microseconds count; an id the scope does not have gives an empty page.
 *
 * A search finds its matches through the reference index (which carries the order's keys, so
 * often without reading the table) and sorts them, unless there are very many: a prefix matching
 * thousands of payments deep in the history is sorted instead of found by walking the newest.
 *
 * Written as SQL rather than built by the ORM's query builder: the filters are a fixed few, and
 * building the query took longer than running it.
 */
export function newestFirst(
  scope: { merchantId: string; livemode: boolean },
  filter: PaymentFilter,
  after: string | null,
  limit: number,
  columns: string,
): Sql | null {
  const matching = (alias: string, select: string): Sql | null => {
    const where = paymentConditions(scope, filter, alias);
    if (!where) return null;
    let sql = `select ${select} from payment ${alias} where ${where.sql}`;
    const params = [...where.params];
    if (after) {
      sql += ` and (${alias}.created_at, ${alias}.seq) < (select c.created_at, c.seq from payment c where c.id = ? and c.merchant_id = ? and c.livemode = ?)`;
      params.push(after, scope.merchantId, scope.livemode);
    }
    return { sql, params };
  };
  const order = (alias: string) => `order by ${alias}.created_at desc, ${alias}.seq desc`;
  if (!filter.search) {
    const page = matching('p', columns);
    return page && { sql: `${page.sql} ${order('p')} limit ?`, params: [...page.params, limit] };
  }
  const hits = matching('h', 'h.id, h.created_at, h.seq');
  const walk = matching('w', 'w.id, w.created_at, w.seq');
  if (!hits || !walk) return null;
  // A search's matches are first collected from the reference index, up to SEARCH_SORT_MAX: when
  // that is all of them, the page is sorted from those; otherwise the prefix is common enough that
  // walking the newest payments finds a page soon. Only one branch runs (each is gated on the
  // count); the page's rows are then read by primary key.
  return {
    sql: `with hits as materialized (${hits.sql} limit ${SEARCH_SORT_MAX + 1})
      select ${columns} from payment p where p.id = any(array(
        select u.id from (
          (select h.id, h.created_at, h.seq from hits h where (select count(*) from hits) <= ${SEARCH_SORT_MAX})
          union all
          (${walk.sql} and (select count(*) from hits) > ${SEARCH_SORT_MAX} ${order('w')} limit ?)
        ) u ${order('u')} limit ?))
      ${order('p')}`,
    params: [...hits.params, ...walk.params, limit, limit],
  };
}
