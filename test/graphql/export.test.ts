import { parse } from 'csv-parse/sync';
import { PaymentExportDocument, type PaymentFilter } from '../__generated__/graphql.js';
import { backends } from '../support/backends.js';
import { gql } from '../support/graphql.js';
import { clonePayment, seedPayments, unix } from '../support/seed-payments.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

const HEADER =
  'id,created_at,status,amount,currency,amount_refunded,merchant_reference,description,card_brand,card_last4,decline_code';

describe.each(backends)('GraphQL paymentExport (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  let ids: string[];
  const exportCsv = (filter: PaymentFilter | null, key = merchant.test_secret_key) =>
    gql(app.url, PaymentExportDocument, { filter }, { key });

  beforeAll(async () => {
    app = await startTill({ backend });
    merchant = await newMerchant(app);
    ids = await seedPayments(app, merchant.test_secret_key, [
      {
        status: 'SUCCEEDED',
        amount: 123456,
        currency: 'EUR',
        amount_refunded: 6,
        merchant_reference: 'order-1',
        description: 'Two "big" boxes, blue\nsecond line',
        card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030, country: 'DE' },
        created_at: new Date('2026-02-01T08:09:10Z'),
      },
      {
        status: 'FAILED',
        amount: 500,
        currency: 'BAM',
        merchant_reference: '=HYPERLINK("https://evil.example","click")',
        description: '+1+1',
        decline_code: 'card_declined',
        card: { brand: '@brand', last4: '0002', exp_month: 1, exp_year: 2031, country: null },
        created_at: new Date('2026-02-02T00:00:00Z'),
      },
      {
        status: 'PENDING',
        amount: 700,
        currency: 'EUR',
        merchant_reference: '-2+3',
        description: '\tcmd',
        created_at: new Date('2026-02-03T00:00:00Z'),
      },
      { status: 'SUCCEEDED', amount: 1, livemode: true, created_at: new Date('2026-02-03T00:00:00Z') },
    ]);
  });
  afterAll(() => app.close());

  it('exports RFC 4180 CSV, newest first, with the documented columns and no card number', async () => {
    const res = await exportCsv(null);
    expect(res.errors).toBeUndefined();
    const out = res.data!.paymentExport;
    expect(out).toMatchObject({ rowCount: 3, truncated: false });
    expect(out.csv.split('\r\n')[0]).toBe(HEADER);
    expect(out.csv.endsWith('\r\n')).toBe(true);
    const rows = parse(out.csv, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect(rows[2]).toEqual({
      id: ids[0],
      created_at: '2026-02-01T08:09:10.000Z',
      status: 'SUCCEEDED',
      amount: '123456',
      currency: 'EUR',
      amount_refunded: '6',
      merchant_reference: 'order-1',
      description: 'Two "big" boxes, blue\nsecond line',
      card_brand: 'visa',
      card_last4: '4242',
      decline_code: '',
    });
    // Quotes doubled and the field quoted, as RFC 4180 says.
    expect(out.csv).toContain('"Two ""big"" boxes, blue\nsecond line"');
  });

  it('defuses cells a spreadsheet would run as formulas', async () => {
    const rows = parse((await exportCsv(null)).data!.paymentExport.csv, { columns: true }) as Record<
      string,
      string
    >[];
    expect(rows[1]).toMatchObject({
      merchant_reference: `'=HYPERLINK("https://evil.example","click")`,
      description: "'+1+1",
      card_brand: "'@brand",
      decline_code: 'card_declined',
    });
    expect(rows[0]).toMatchObject({ merchant_reference: "'-2+3", description: "'\tcmd" });
    for (const row of rows) for (const cell of Object.values(row)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('exports what the filter selects, in the caller’s mode only', async () => {
    const failed = await exportCsv({ statuses: ['FAILED'] });
    expect(failed.data!.paymentExport.rowCount).toBe(1);
    const dated = await exportCsv({ createdFrom: unix('2026-02-02T00:00:00Z'), currency: 'EUR' });
    expect(parse(dated.data!.paymentExport.csv, { columns: true })).toHaveLength(1);
    const live = await exportCsv(null, merchant.live_secret_key);
    expect(live.data!.paymentExport.rowCount).toBe(1);
    expect(live.data!.paymentExport.csv).not.toContain(ids[0]);
    const bad = await exportCsv({ amountMin: 10, amountMax: 1 });
    expect(bad.status).toBe(400);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.amountMax' });
    const anonymous = await exportCsv(null, null as never);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('stops at 10,000 rows and says it was truncated', async () => {
    const big = await newMerchant(app);
    const [one] = await seedPayments(app, big.test_secret_key, [
      { status: 'SUCCEEDED', amount: 100, created_at: new Date('2026-01-01T00:00:00Z') },
    ]);
    await clonePayment(app, one!, 10_000);
    const res = await exportCsv(null, big.test_secret_key);
    expect(res.data!.paymentExport).toMatchObject({ rowCount: 10_000, truncated: true });
    expect(parse(res.data!.paymentExport.csv, { columns: true })).toHaveLength(10_000);
    const exact = await exportCsv({ amountMax: 100 }, big.test_secret_key);
    expect(exact.data!.paymentExport.truncated).toBe(true);
    await app.till.db.em.fork().execute('delete from payment where id = ?', [one!]);
    const all = await exportCsv(null, big.test_secret_key);
    expect(all.data!.paymentExport).toMatchObject({ rowCount: 10_000, truncated: false });
  }, 60_000);
});
