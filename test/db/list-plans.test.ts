import { jest } from '@jest/globals';
import { paymentSeedSql } from '../../bench/payment-seed.ts';
import type { Database } from '../../src/db/orm.js';
import { PaymentRepository, type PaymentScope } from '../../src/db/repositories/payments.js';
import { SEARCH_SORT_MAX } from '../../src/db/repositories/payment-where.js';
import { NO_FILTER, type PaymentFilter } from '../../src/domain/payment-filter.js';
import { backends } from '../support/backends.js';
import { describeWhen } from '../support/ci.js';
import { insertMerchant, openTestDatabase } from '../support/database.js';

/** Enough rows that reading the whole table costs the planner far more than any index. */
const ROWS = 50_000;
const DAY_MS = 86_400_000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
}

/** The rows an analyzed scan read: those it returned and those its filter threw away. */
const rowsRead = (n: PlanNode) =>
  (n['Actual Rows'] ?? 0) * (n['Actual Loops'] ?? 1) +
  (n['Rows Removed by Filter'] ?? 0) +
  (n['Rows Removed by Index Recheck'] ?? 0);

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/**
 * How the planner reads `payment` for one query: each scan of the table, with the index behind it
 * and that index's condition (a bitmap heap scan's come from its bitmap index scans).
 */
function paymentScans(plan: PlanNode): { node: string; index: string | null; cond: string }[] {
  return nodes(plan)
    .filter((n) => n['Relation Name'] === 'payment')
    .map((n) => {
      const bitmaps = nodes(n).filter((b) => b['Node Type'] === 'Bitmap Index Scan');
      return {
        node: n['Node Type'],
        index: n['Index Name'] ?? (bitmaps.map((b) => b['Index Name']).join('+') || null),
        cond: n['Index Cond'] ?? bitmaps.map((b) => b['Index Cond'] ?? '').join(' | '),
      };
    });
}

describeWhen(backends.includes('server'), 'PostgreSQL at TEST_DATABASE_URL')(
  'payment list queries on a seeded table',
  () => {
    let db: Database;
    let close: () => Promise<void>;
    let scope: PaymentScope;
    let repository: PaymentRepository;

    beforeAll(async () => {
      ({ db, close } = await openTestDatabase('server'));
      const merchantId = await insertMerchant(db);
      const others = [await insertMerchant(db), await insertMerchant(db), await insertMerchant(db)];
      await db.em
        .fork()
        .execute(paymentSeedSql({ merchantId, otherMerchantIds: others, count: ROWS }), [], 'run');
      // Vacuumed as autovacuum leaves a table after a bulk insert: the visibility map lets the
      // planner count on index-only scans.
      await db.em.fork().execute('vacuum analyze payment', [], 'run');
      scope = { merchantId, livemode: false };
      repository = new PaymentRepository(db);
    });
    afterAll(() => close());

    /** The SQL statements `work` sends, with their parameters in place (as the ORM sends them). */
    async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
      const connection = db.em.getConnection();
      const platform = db.em.getPlatform();
      const sent: string[] = [];
      const execute = connection.execute.bind(connection) as (...args: any[]) => Promise<any>;
      const spy = jest.spyOn(connection, 'execute').mockImplementation(((...args: any[]) => {
        sent.push(platform.formatQuery(String(args[0]), args[1] ?? []));
        return execute(...args);
      }) as any);
      try {
        await work();
      } finally {
        spy.mockRestore();
      }
      return sent.filter((sql) => /\bfrom "?payment"?/i.test(sql));
    }

    async function analyzedPlanOf(sql: string): Promise<PlanNode> {
      const [row] = await db.em
        .fork()
        .execute<{ 'QUERY PLAN': [{ Plan: PlanNode }] }[]>(`explain (analyze, format json) ${sql}`);
      return row!['QUERY PLAN'][0].Plan;
    }

    async function planOf(sql: string): Promise<PlanNode> {
      const [row] = await db.em
        .fork()
        .execute<{ 'QUERY PLAN': [{ Plan: PlanNode }] }[]>(`explain (format json) ${sql}`);
      return row!['QUERY PLAN'][0].Plan;
    }

    const now = Date.now();
    /**
     * Shapes whose matches lie deep in the history: walking the scope's newest payments and
     * filtering would read most of the table to fill a page, so their plans must reach the matches
     * directly (`bound`: what the index condition must name; each scan reads at most MAX_READ rows).
     */
    const deepShapes: [string, Partial<PaymentFilter>, RegExp][] = [
      [
        'a wide created range far back',
        { createdFrom: new Date(now - 364 * DAY_MS), createdTo: new Date(now - 200 * DAY_MS) },
        /created_at/,
      ],
      ['everything before a time far back', { createdTo: new Date(now - 300 * DAY_MS) }, /created_at/],
      [
        'a status within a created range far back',
        {
          statuses: ['SUCCEEDED'],
          createdFrom: new Date(now - 300 * DAY_MS),
          createdTo: new Date(now - 290 * DAY_MS),
        },
        /status.*created_at/,
      ],
      ['a reference prefix deep in the history', { search: 'ord_00010' }, /merchant_reference/],
      ['a narrow amount range', { amountMin: 1000, amountMax: 1100 }, /amount/],
    ];
    const MAX_READ = 2500;
    const shapes: [string, Partial<PaymentFilter>][] = [
      ['no filter', {}],
      ['one status', { statuses: ['PROCESSING'] }],
      ['several statuses', { statuses: ['PROCESSING', 'REQUIRES_ACTION'] }],
      [
        'a created range a year back',
        { createdFrom: new Date(now - 300 * DAY_MS), createdTo: new Date(now - 299 * DAY_MS) },
      ],
      ['a created range of the last days', { createdFrom: new Date(now - 3 * DAY_MS) }],
      ['a reference prefix', { search: 'ord_00001' }],
      ['an amount range within a status', { statuses: ['FAILED'], amountMin: 1000, amountMax: 2000 }],
      ...deepShapes.map(([name, filter]): [string, Partial<PaymentFilter>] => [name, filter]),
    ];

    it.each(shapes)('%s: reads payment through an index of the scope', async (_name, filter) => {
      const full = { ...NO_FILTER, ...filter };
      let firstPage: { length: number } = [];
      const sql = await statementsOf(async () => {
        firstPage = await repository.list(scope, { limit: 101, filter: full });
      });
      // The shape matches seeded rows: a plan for an empty answer would prove nothing.
      expect(firstPage.length).toBeGreaterThan(0);
      expect(sql).toHaveLength(1);
      // The next page (keyset after a payment three quarters into the history) and the CSV export
      // read the same way.
      const [cursor] = await db.em
        .fork()
        .execute<{ id: string }[]>(
          'select id from payment where merchant_id = ? and livemode = ? and seq <= ? order by seq desc limit 1',
          [scope.merchantId, scope.livemode, 3 * (ROWS / 4)],
        );
      sql.push(
        ...(await statementsOf(() =>
          repository.list(scope, { limit: 101, filter: full, after: cursor!.id }),
        )),
        ...(await statementsOf(() => repository.exportRows(scope, full, 1001))),
      );
      expect(sql).toHaveLength(3);
      for (const statement of sql) {
        const scans = paymentScans(await planOf(statement));
        expect(scans.length).toBeGreaterThan(0);
        for (const scan of scans) {
          // A read of the scope's index, or of single rows by primary key (a cursor, a page's ids).
          const byKey = scan.index === 'payment_pkey' && /^\(?id = /.test(scan.cond);
          expect({ statement, ...scan }).toEqual({
            statement,
            node: expect.stringMatching(/^(Index Scan|Index Only Scan|Bitmap Heap Scan)$/),
            index: expect.any(String),
            cond: byKey ? scan.cond : expect.stringContaining('merchant_id'),
          });
        }
      }
    });

    it.each([
      ['fewer matches than SEARCH_SORT_MAX (sorted)', 'ord_00010', false],
      ['more matches than SEARCH_SORT_MAX (walked)', 'ord_0', true],
    ])('a search with %s pages newest first', async (_name, search, many) => {
      const [count] = await db.em
        .fork()
        .execute<{ n: number }[]>(
          'select count(*)::int as n from payment where merchant_id = ? and livemode = ? and merchant_reference like ?',
          [scope.merchantId, scope.livemode, `${search}%`],
        );
      expect(count!.n > SEARCH_SORT_MAX).toBe(many);
      const expected = async (after: string | null) =>
        (
          await db.em.fork().execute<{ id: string }[]>(
            `select id from payment where merchant_id = ? and livemode = ? and merchant_reference like ?
               ${after ? 'and (created_at, seq) < (select created_at, seq from payment where id = ?)' : ''}
             order by created_at desc, seq desc limit 101`,
            [scope.merchantId, scope.livemode, `${search.replace(/_/g, '\\_')}%`, ...(after ? [after] : [])],
          )
        ).map((r) => r.id);
      const filter = { ...NO_FILTER, search };
      const first = await repository.list(scope, { limit: 101, filter });
      expect(first.map((p) => p.id)).toEqual(await expected(null));
      const next = await repository.list(scope, { limit: 101, filter, after: first.at(-1)!.id });
      expect(next.map((p) => p.id)).toEqual(await expected(first.at(-1)!.id));
      expect(next.length).toBeGreaterThan(0);
    });

    it.each(deepShapes)(
      '%s: reaches the matches without walking the newer payments',
      async (_n, filter, bound) => {
        const full = { ...NO_FILTER, ...filter };
        let page: { length: number } = [];
        const [statement] = await statementsOf(async () => {
          page = await repository.list(scope, { limit: 101, filter: full });
        });
        expect(page.length).toBeGreaterThan(0);
        const plan = await analyzedPlanOf(statement!);
        const scans = nodes(plan).filter(
          (n) => n['Relation Name'] === 'payment' || n['Node Type'] === 'Bitmap Index Scan',
        );
        // The scope's index is bounded by the filter itself, not filtered row by row.
        expect(scans.map((n) => n['Index Cond'] ?? '').join(' | ')).toMatch(bound);
        for (const scan of scans) {
          const read = rowsRead(scan);
          expect({ index: scan['Index Name'], read: read <= MAX_READ ? 'at most MAX_READ' : read }).toEqual({
            index: scan['Index Name'],
            read: 'at most MAX_READ',
          });
        }
      },
    );
  },
);
