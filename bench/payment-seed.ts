/**
 * Many payments in one statement, for measuring and checking list queries at scale: `insert … select
 * … from generate_series`, so a million rows take seconds instead of a million API calls.
 *
 * The rows look like a real merchant's history: ids of Till's shape, creation times rising with the
 * insertion order over a year, statuses in realistic shares (mostly SUCCEEDED, a few in flight),
 * amounts spread from 1.00 to 1,000.00, mostly EUR, a merchant reference on most, a card on those
 * that reached the acquirer, unpaid ones not yet due to expire. Every 25th row belongs to one of the
 * other merchants, so the scope's rows are interleaved with others as they are in a shared table;
 * every 20th of the main merchant's is live mode.
 *
 * Plain erasable TypeScript with no imports: the bench runs it under Node's type stripping and the
 * tests import it too.
 */

/** Shares of the statuses, in per mille, in the order the seed assigns them. */
export const SEED_STATUS_SHARES = [
  ['SUCCEEDED', 620],
  ['FAILED', 120],
  ['EXPIRED', 100],
  ['CANCELED', 60],
  ['PENDING', 40],
  ['AUTHORIZED', 30],
  ['REQUIRES_ACTION', 20],
  ['PROCESSING', 10],
] as const;

/** One day in seconds; the seeded history spans 365 of them, ending now. */
const DAY = 86_400;

/** The SQL CASE picking a status from `bucket` (0–999) by the shares above. */
function statusCase(bucket: string): string {
  let upTo = 0;
  const arms = SEED_STATUS_SHARES.map(([status, share]) => {
    upTo += share;
    return `when ${bucket} < ${upTo} then '${status}'`;
  });
  return `case ${arms.join(' ')} end`;
}

export interface PaymentSeed {
  /** The merchant most rows belong to (test mode, with every 20th row live). */
  merchantId: string;
  /** Merchants whose rows are mixed in (every 25th row, in turn); may be empty. */
  otherMerchantIds: readonly string[];
  /** How many rows in all. */
  count: number;
}

/**
 * The statement inserting `count` payments; the merchants must exist. Run `analyze payment`
 * afterwards so the planner knows the table's new size.
 */
export function paymentSeedSql(seed: PaymentSeed): string {
  const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const others = seed.otherMerchantIds.map(quote);
  const merchant =
    others.length === 0
      ? quote(seed.merchantId)
      : `case when g % 25 = 0 then (array[${others.join(', ')}])[1 + (g / 25) % ${others.length}] else ${quote(seed.merchantId)} end`;
  // A deterministic pseudo-random number per row (no random(): the same seed gives the same table).
  const hash = (salt: number) => `abs(hashint4(g::int4 + ${salt})::int8)`;
  const created = `now() - make_interval(secs => (${seed.count} - g)::float8 * ${365 * DAY} / ${seed.count})`;
  return `
    insert into payment (id, merchant_id, livemode, status, integration_type, amount, currency, amount_refunded,
      merchant_reference, description, metadata, card, return_url, version, created_at, expires_at, refunds)
    select
      'pay_' || substr(md5(g::text), 1, 24),
      ${merchant},
      g % 20 = 7,
      s.status,
      'HOSTED_PAYMENT_PAGE',
      100 + ${hash(1)} % 99901,
      case when ${hash(2)} % 10 < 8 then 'EUR' when ${hash(2)} % 10 = 8 then 'USD' else 'GBP' end,
      0,
      case when ${hash(3)} % 10 < 9 then 'ord_' || lpad(g::text, 8, '0') end,
      'Order ' || g,
      '{}'::jsonb,
      case when s.status in ('SUCCEEDED', 'AUTHORIZED', 'FAILED') then
        jsonb_build_object('brand', 'visa', 'last4', lpad((${hash(4)} % 10000)::text, 4, '0'),
          'exp_month', 1 + ${hash(5)} % 12, 'exp_year', 2030, 'country', 'NL') end,
      'https://shop.example.com/checkout/complete',
      1,
      c.created_at,
      -- A stored history holds no unpaid payment past its expiry (Till's sweep expires each as it
      -- falls due), so the unpaid ones expire later: otherwise the sweep would be expiring tens of
      -- thousands of them, a hundred a second, under the measurement.
      case when s.status in ('PENDING', 'REQUIRES_ACTION') then now() + interval '1 day'
        else c.created_at + interval '1 hour' end,
      '[]'::jsonb
    from generate_series(1, ${seed.count}) g,
      lateral (select ${statusCase(`${hash(0)} % 1000`)} as status) s,
      lateral (select ${created} as created_at) c`;
}
