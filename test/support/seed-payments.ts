import { CreateHostedPaymentDocument } from '../__generated__/graphql.js';
import { gql } from './graphql.js';
import type { RunningTill } from './till.js';

/** What a seeded payment differs in from its template (row columns, snake_case). */
export interface SeedPayment {
  status?: string;
  amount?: number;
  currency?: string;
  created_at?: Date;
  decline_code?: string | null;
  merchant_reference?: string | null;
  description?: string | null;
  card?: { brand: string; last4: string; exp_month: number; exp_year: number; country: string | null } | null;
  amount_refunded?: number;
  amount_captured?: number | null;
  livemode?: boolean;
}

const OVERRIDABLE = [
  'status',
  'amount',
  'currency',
  'created_at',
  'decline_code',
  'merchant_reference',
  'description',
  'card',
  'amount_refunded',
  'amount_captured',
  'livemode',
] as const;

let seeded = 0;

/**
 * Payments in any state at any time, in bulk: one real payment is created through GraphQL with
 * `key`, then its row is copied with each seed's columns, so every row is a payment Till wrote.
 * Returns the ids, in the order given (inserted in that order).
 */
export async function seedPayments(
  app: RunningTill,
  key: string,
  seeds: readonly SeedPayment[],
): Promise<string[]> {
  const created = await gql(
    app.url,
    CreateHostedPaymentDocument,
    { input: { amount: 1000, currency: 'EUR', returnUrl: 'https://shop.example.com/done' } },
    { key },
  );
  const template = created.data!.createHostedPayment.payment!.id;
  const em = app.till.db.em.fork();
  const columns = (
    await em.execute<{ column_name: string }[]>(
      `select column_name from information_schema.columns where table_name = 'payment' and column_name <> 'seq'
        order by ordinal_position`,
    )
  ).map((c) => c.column_name);
  const ids: string[] = [];
  for (const seed of seeds) {
    const id = `pay_seed${String(++seeded).padStart(8, '0')}${Math.random().toString(36).slice(2, 14).padEnd(12, 'x')}`;
    const params: unknown[] = [];
    const values = columns.map((c) => {
      if (c === 'id') {
        params.push(id);
        return '?';
      }
      if (c === 'session_id' || c === 'session_token_hash') return 'null';
      if ((OVERRIDABLE as readonly string[]).includes(c) && c in seed) {
        const v = seed[c as keyof SeedPayment];
        params.push(c === 'card' && v ? JSON.stringify(v) : v);
        return c === 'card' ? '?::jsonb' : '?';
      }
      return c;
    });
    await em.execute(
      `insert into payment (${columns.join(', ')}) select ${values.join(', ')} from payment where id = ?`,
      [...params, template],
    );
    ids.push(id);
  }
  // The template is not part of what a test counts.
  await em.execute(`delete from event where payment_id = ?`, [template]);
  await em.execute(`delete from payment where id = ?`, [template]);
  return ids;
}

/** Unix seconds of an ISO time. */
export const unix = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** `count` copies of a seeded payment (new ids, same columns), in one statement. */
export async function clonePayment(app: RunningTill, id: string, count: number): Promise<void> {
  const em = app.till.db.em.fork();
  const columns = (
    await em.execute<{ column_name: string }[]>(
      `select column_name from information_schema.columns where table_name = 'payment' and column_name <> 'seq'
        order by ordinal_position`,
    )
  ).map((c) => c.column_name);
  const values = columns.map((c) =>
    c === 'id' ? `'pay_' || substr(md5(random()::text || g::text), 1, 24)` : `p.${c}`,
  );
  await em.execute(
    `insert into payment (${columns.join(', ')})
     select ${values.join(', ')} from payment p, generate_series(1, ?) g where p.id = ?`,
    [count, id],
  );
}
