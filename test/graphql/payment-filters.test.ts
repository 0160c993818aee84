import { FilteredPaymentsDocument, type PaymentFilter } from '../__generated__/graphql.js';
import { backends } from '../support/backends.js';
import { gql } from '../support/graphql.js';
import { request } from '../support/http.js';
import { seedPayments, unix } from '../support/seed-payments.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

describe.each(backends)('GraphQL payment filters (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  /** The seeded payments by name. */
  const ids: Record<string, string> = {};
  const list = (filter: PaymentFilter | null, key = merchant.test_secret_key, first = 50) =>
    gql(app.url, FilteredPaymentsDocument, { first, filter }, { key });
  const names = async (filter: PaymentFilter | null, key?: string) => {
    const res = await list(filter, key);
    expect(res.errors).toBeUndefined();
    const byId = Object.fromEntries(Object.entries(ids).map(([name, id]) => [id, name]));
    return res.data!.payments.nodes.map((p) => byId[p.id] ?? p.id);
  };

  beforeAll(async () => {
    app = await startTill({ backend });
    merchant = await newMerchant(app);
    const seeds = {
      a: {
        status: 'SUCCEEDED',
        amount: 1000,
        currency: 'EUR',
        merchant_reference: 'order-100',
        created_at: new Date('2026-01-10T10:00:00Z'),
      },
      b: {
        status: 'FAILED',
        amount: 2500,
        currency: 'EUR',
        merchant_reference: 'order-101',
        created_at: new Date('2026-01-11T10:00:00Z'),
      },
      c: {
        status: 'SUCCEEDED',
        amount: 5000,
        currency: 'USD',
        merchant_reference: 'invoice-7',
        created_at: new Date('2026-01-12T10:00:00Z'),
      },
      d: {
        status: 'PENDING',
        amount: 7500,
        currency: 'EUR',
        merchant_reference: '100%_off',
        created_at: new Date('2026-01-13T10:00:00Z'),
      },
      e: {
        status: 'CANCELED',
        amount: 9999,
        currency: 'BAM',
        merchant_reference: null,
        created_at: new Date('2026-01-14T10:00:00Z'),
      },
      live: {
        status: 'SUCCEEDED',
        amount: 1000,
        currency: 'EUR',
        merchant_reference: 'order-100',
        created_at: new Date('2026-01-10T10:00:00Z'),
        livemode: true,
      },
    };
    const seeded = await seedPayments(app, merchant.test_secret_key, Object.values(seeds));
    Object.keys(seeds).forEach((name, i) => (ids[name] = seeded[i]!));
  });
  afterAll(() => app.close());

  it('filters by each criterion, newest first', async () => {
    expect(await names(null)).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(await names({ statuses: ['SUCCEEDED', 'FAILED'] })).toEqual(['c', 'b', 'a']);
    expect(await names({ status: 'SUCCEEDED' })).toEqual(['c', 'a']);
    expect(
      await names({ createdFrom: unix('2026-01-11T10:00:00Z'), createdTo: unix('2026-01-13T10:00:00Z') }),
    ).toEqual(['c', 'b']);
    expect(await names({ createdFrom: unix('2026-01-13T00:00:00Z') })).toEqual(['e', 'd']);
    expect(await names({ amountMin: 2500, amountMax: 7500 })).toEqual(['d', 'c', 'b']);
    expect(await names({ amountMax: 1000 })).toEqual(['a']);
    expect(await names({ currency: 'eur' })).toEqual(['d', 'b', 'a']);
    expect(await names({ search: 'order-10' })).toEqual(['b', 'a']);
    expect(await names({ search: '  order-101  ' })).toEqual(['b']);
    expect(await names({ search: ids.c })).toEqual(['c']);
    // LIKE's wildcards in a search are plain characters.
    expect(await names({ search: '100%' })).toEqual(['d']);
    expect(await names({ search: '%' })).toEqual([]);
    expect(await names({ search: '_rder' })).toEqual([]);
    expect(await names({ search: 'nothing-like-this' })).toEqual([]);
  });

  it('combines criteria, and status with statuses narrows both ways', async () => {
    expect(await names({ statuses: ['SUCCEEDED', 'FAILED'], currency: 'EUR', amountMin: 2000 })).toEqual([
      'b',
    ]);
    expect(await names({ status: 'PENDING', statuses: ['SUCCEEDED'] })).toEqual([]);
    expect(await names({ status: 'SUCCEEDED', statuses: ['SUCCEEDED', 'FAILED'] })).toEqual(['c', 'a']);
    expect(
      await names({ search: 'order', createdTo: unix('2026-01-11T00:00:00Z'), statuses: ['SUCCEEDED'] }),
    ).toEqual(['a']);
  });

  it('pages through a filtered list with cursors', async () => {
    const first = await list({ currency: 'EUR' }, merchant.test_secret_key, 2);
    expect(first.data!.payments.nodes.map((p) => p.id)).toEqual([ids.d, ids.b]);
    expect(first.data!.payments.pageInfo.hasNextPage).toBe(true);
    const next = await gql(
      app.url,
      FilteredPaymentsDocument,
      { first: 2, after: first.data!.payments.pageInfo.endCursor, filter: { currency: 'EUR' } },
      { key: merchant.test_secret_key },
    );
    expect(next.data!.payments.nodes.map((p) => p.id)).toEqual([ids.a]);
    expect(next.data!.payments.pageInfo.hasNextPage).toBe(false);
  });

  it('keeps live and test apart, and other merchants out', async () => {
    expect(await names({ search: 'order-100' }, merchant.live_secret_key)).toEqual(['live']);
    expect(await names({ search: ids.a }, merchant.live_secret_key)).toEqual([]);
    const other = await newMerchant(app);
    expect(await names({ search: ids.a }, other.test_secret_key)).toEqual([]);
    expect(await names(null, other.test_secret_key)).toEqual([]);
  });

  it('refuses bad values as BAD_USER_INPUT naming the field, and REST lists as before', async () => {
    const cases: [PaymentFilter, string][] = [
      [{ amountMin: 5000, amountMax: 100 }, 'filter.amountMax'],
      [{ amountMin: -1 }, 'filter.amountMin'],
      [
        { createdFrom: unix('2026-01-12T00:00:00Z'), createdTo: unix('2026-01-11T00:00:00Z') },
        'filter.createdTo',
      ],
      [{ createdFrom: -10 }, 'filter.createdFrom'],
      [{ createdTo: 99999999999999 }, 'filter.createdTo'],
      [{ currency: 'EURO' }, 'filter.currency'],
      [{ currency: "EU'" }, 'filter.currency'],
      [{ search: 'x'.repeat(201) }, 'filter.search'],
      [{ statuses: [] }, 'filter.statuses'],
    ];
    for (const [filter, field] of cases) {
      const res = await list(filter);
      expect(res.status).toBe(400);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const notAStatus = await gql(
      app.url,
      FilteredPaymentsDocument,
      { first: 5, filter: { statuses: ['PAID' as never] } },
      { key: merchant.test_secret_key },
    );
    expect(notAStatus.status).toBe(400);
    // 200 characters exactly (after trimming) are allowed.
    expect(await names({ search: ` ${'x'.repeat(200)} ` })).toEqual([]);
    const rest = await request(app.url, 'GET', '/v1/payments?status=SUCCEEDED', {
      key: merchant.test_secret_key,
    });
    expect((rest.json as { data: { id: string }[] }).data.map((p) => p.id)).toEqual([ids.c, ids.a]);
  });
});
