import { PaymentStatsDefaultsDocument, PaymentStatsDocument } from '../__generated__/graphql.js';
import { backends } from '../support/backends.js';
import { gql } from '../support/graphql.js';
import { seedPayments, unix } from '../support/seed-payments.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

describe.each(backends)('GraphQL paymentStats (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  const stats = (
    vars: { from: number; to: number; granularity: 'HOUR' | 'DAY' | 'WEEK'; timeZone: string },
    key = merchant.test_secret_key,
  ) => gql(app.url, PaymentStatsDocument, vars, { key });

  beforeAll(async () => {
    app = await startTill({ backend });
    merchant = await newMerchant(app);
    const at = (iso: string) => new Date(iso);
    await seedPayments(app, merchant.test_secret_key, [
      // Zagreb is UTC+1 in early March: 22:30Z is still 1 March there, 23:30Z is 2 March.
      { status: 'SUCCEEDED', amount: 2000, currency: 'EUR', created_at: at('2026-03-01T22:30:00Z') },
      { status: 'SUCCEEDED', amount: 1000, currency: 'EUR', created_at: at('2026-03-01T23:30:00Z') },
      // Authorized for 800 and captured in part: the 500 collected is its volume.
      {
        status: 'SUCCEEDED',
        amount: 800,
        amount_captured: 500,
        currency: 'USD',
        created_at: at('2026-03-02T10:00:00Z'),
      },
      {
        status: 'FAILED',
        amount: 900,
        decline_code: 'insufficient_funds',
        created_at: at('2026-03-02T11:00:00Z'),
      },
      {
        status: 'FAILED',
        amount: 900,
        decline_code: 'insufficient_funds',
        created_at: at('2026-03-02T12:00:00Z'),
      },
      { status: 'FAILED', amount: 900, decline_code: null, created_at: at('2026-03-02T13:00:00Z') },
      { status: 'PENDING', amount: 100, created_at: at('2026-03-04T09:00:00Z') },
      // Refunded in part: still SUCCEEDED, its whole amount counted.
      {
        status: 'SUCCEEDED',
        amount: 700,
        amount_refunded: 300,
        currency: 'EUR',
        created_at: at('2026-03-04T09:30:00Z'),
      },
      // Outside the range, and a live payment inside it: neither is counted.
      { status: 'SUCCEEDED', amount: 99999, created_at: at('2026-02-27T12:00:00Z') },
      { status: 'SUCCEEDED', amount: 88888, livemode: true, created_at: at('2026-03-02T10:00:00Z') },
      // Across the spring-forward night (29 March 2026 in Zagreb).
      { status: 'SUCCEEDED', amount: 10, created_at: at('2026-03-29T21:30:00Z') },
      { status: 'SUCCEEDED', amount: 20, created_at: at('2026-03-29T22:30:00Z') },
    ]);
  });
  afterAll(() => app.close());

  it('counts per local day in a time zone, with the empty days present, in SQL', async () => {
    const from = unix('2026-02-28T23:00:00Z'); // 1 March 00:00 in Zagreb
    const to = unix('2026-03-05T23:00:00Z'); // 6 March 00:00 in Zagreb
    const res = await stats({ from, to, granularity: 'DAY', timeZone: 'Europe/Zagreb' });
    expect(res.errors).toBeUndefined();
    const s = res.data!.paymentStats;
    expect(s).toMatchObject({ from, to, granularity: 'DAY' });
    const day = (d: number) => unix(`2026-03-0${d}T00:00:00Z`) - 3600;
    expect(s.buckets).toEqual([
      { start: day(1), count: 1, succeeded: 1, failed: 0, volume: [{ currency: 'EUR', amount: 2000 }] },
      {
        start: day(2),
        count: 5,
        succeeded: 2,
        failed: 3,
        volume: [
          { currency: 'EUR', amount: 1000 },
          { currency: 'USD', amount: 500 },
        ],
      },
      { start: day(3), count: 0, succeeded: 0, failed: 0, volume: [] },
      { start: day(4), count: 2, succeeded: 1, failed: 0, volume: [{ currency: 'EUR', amount: 700 }] },
      { start: day(5), count: 0, succeeded: 0, failed: 0, volume: [] },
    ]);
    expect(s.totals).toEqual({
      count: 8,
      succeeded: 4,
      failed: 3,
      successRate: 4 / 7,
      volume: [
        { currency: 'EUR', amount: 3700 },
        { currency: 'USD', amount: 500 },
      ],
    });
    expect(s.declines).toEqual([
      { code: 'insufficient_funds', count: 2 },
      { code: 'unknown', count: 1 },
    ]);
  });

  it('puts the same payments in other days in UTC', async () => {
    const res = await stats({
      from: unix('2026-03-01T00:00:00Z'),
      to: unix('2026-03-03T00:00:00Z'),
      granularity: 'DAY',
      timeZone: 'UTC',
    });
    expect(res.data!.paymentStats.buckets.map((b) => [b.start, b.count, b.succeeded, b.failed])).toEqual([
      [unix('2026-03-01T00:00:00Z'), 2, 2, 0],
      [unix('2026-03-02T00:00:00Z'), 4, 1, 3],
    ]);
  });

  it('has 23-hour days across a daylight-saving change', async () => {
    const res = await stats({
      from: unix('2026-03-27T23:00:00Z'), // 28 March 00:00 CET
      to: unix('2026-03-30T22:00:00Z'), // 31 March 00:00 CEST
      granularity: 'DAY',
      timeZone: 'Europe/Zagreb',
    });
    expect(res.data!.paymentStats.buckets.map((b) => [b.start, b.count])).toEqual([
      [unix('2026-03-27T23:00:00Z'), 0],
      [unix('2026-03-28T23:00:00Z'), 1],
      [unix('2026-03-29T22:00:00Z'), 1],
    ]);
  });

  it('counts per hour and per week (weeks start on Monday)', async () => {
    const hours = await stats({
      from: unix('2026-03-02T10:00:00Z'),
      to: unix('2026-03-02T14:00:00Z'),
      granularity: 'HOUR',
      timeZone: 'Asia/Kolkata',
    });
    // Kolkata is UTC+5:30: its hours start at half past in UTC, so the range spans five of them.
    expect(hours.data!.paymentStats.buckets.map((b) => [b.start, b.succeeded, b.failed])).toEqual([
      [unix('2026-03-02T09:30:00Z'), 1, 0],
      [unix('2026-03-02T10:30:00Z'), 0, 1],
      [unix('2026-03-02T11:30:00Z'), 0, 1],
      [unix('2026-03-02T12:30:00Z'), 0, 1],
      [unix('2026-03-02T13:30:00Z'), 0, 0],
    ]);
    const weeks = await stats({
      from: unix('2026-02-28T23:00:00Z'),
      to: unix('2026-03-05T23:00:00Z'),
      granularity: 'WEEK',
      timeZone: 'Europe/Zagreb',
    });
    expect(weeks.data!.paymentStats.buckets.map((b) => [b.start, b.count])).toEqual([
      [unix('2026-02-22T23:00:00Z'), 1], // Monday 23 February
      [unix('2026-03-01T23:00:00Z'), 7], // Monday 2 March
    ]);
  });

  it('defaults to days in UTC and keeps live and test apart', async () => {
    const from = unix('2026-03-02T00:00:00Z');
    const to = unix('2026-03-03T00:00:00Z');
    const res = await gql(
      app.url,
      PaymentStatsDefaultsDocument,
      { from, to },
      { key: merchant.test_secret_key },
    );
    expect(res.data!.paymentStats).toEqual({ granularity: 'DAY', buckets: [{ start: from, count: 4 }] });
    const live = await stats({ from, to, granularity: 'DAY', timeZone: 'UTC' }, merchant.live_secret_key);
    expect(live.data!.paymentStats.totals).toMatchObject({
      count: 1,
      succeeded: 1,
      volume: [{ currency: 'EUR', amount: 88888 }],
    });
    const other = await newMerchant(app);
    const none = await stats({ from, to, granularity: 'DAY', timeZone: 'UTC' }, other.test_secret_key);
    expect(none.data!.paymentStats.totals).toEqual({
      count: 0,
      succeeded: 0,
      failed: 0,
      successRate: null,
      volume: [],
    });
  });

  it('refuses bad ranges and time zones as BAD_USER_INPUT naming the argument', async () => {
    const from = unix('2026-03-01T00:00:00Z');
    const cases: [Parameters<typeof stats>[0], string][] = [
      [{ from, to: from, granularity: 'DAY', timeZone: 'UTC' }, 'to'],
      [{ from, to: from - 1, granularity: 'DAY', timeZone: 'UTC' }, 'to'],
      [{ from: -5, to: from, granularity: 'DAY', timeZone: 'UTC' }, 'from'],
      // Beyond year 9999 no timestamp exists: refused before the database sees it.
      [{ from: 2 ** 52, to: 2 ** 52 + 3600, granularity: 'HOUR', timeZone: 'UTC' }, 'from'],
      [{ from: 253402300000, to: 253402300000 + 3600, granularity: 'HOUR', timeZone: 'UTC' }, 'to'],
      [{ from, to: from + 367 * 86400, granularity: 'DAY', timeZone: 'UTC' }, 'to'],
      [{ from, to: from + 367 * 86400, granularity: 'WEEK', timeZone: 'UTC' }, 'to'],
      [{ from, to: from + 32 * 86400, granularity: 'HOUR', timeZone: 'UTC' }, 'to'],
      [{ from, to: from + 86400, granularity: 'DAY', timeZone: 'Mars/Olympus_Mons' }, 'timeZone'],
      // An offset is not a zone name (PostgreSQL would read its sign the other way round).
      [{ from, to: from + 86400, granularity: 'DAY', timeZone: '+01:00' }, 'timeZone'],
      [{ from, to: from + 86400, granularity: 'DAY', timeZone: "UTC'; drop table payment; --" }, 'timeZone'],
      [{ from, to: from + 86400, granularity: 'DAY', timeZone: '' }, 'timeZone'],
    ];
    for (const [vars, field] of cases) {
      const res = await stats(vars);
      expect(res.status).toBe(400);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    // The limits themselves are allowed.
    const year = await stats({ from, to: from + 366 * 86400, granularity: 'DAY', timeZone: 'UTC' });
    expect(year.data!.paymentStats.buckets).toHaveLength(366);
    const month = await stats({ from, to: from + 31 * 86400, granularity: 'HOUR', timeZone: 'UTC' });
    expect(month.data!.paymentStats.buckets).toHaveLength(31 * 24);
  });

  it('needs a credential', async () => {
    const res = await gql(
      app.url,
      PaymentStatsDocument,
      { from: 0, to: 86400, granularity: 'DAY', timeZone: 'UTC' },
      { key: null },
    );
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
