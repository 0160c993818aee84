import { jest } from '@jest/globals';
import { paymentSeedSql } from '../../bench/payment-seed.ts';
import type { Database } from '../../src/db/orm.js';
import { PaymentRepository, type PaymentScope } from '../../src/db/repositories/payments.js';
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
}

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
      await db.em.fork().execute('analyze payment', [], 'run');
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

    async function planOf(sql: string): Promise<PlanNode> {
      const [row] = await db.em
        .fork()
        .execute<{ 'QUERY PLAN': [{ Plan: PlanNode }] }[]>(`explain (format json) ${sql}`);
      return row!['QUERY PLAN'][0].Plan;
    }

    const now = Date.now();
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
      // The next page (keyset on the insertion sequence) and the CSV export read the same way.
      sql.push(
        ...(await statementsOf(() =>
          repository.list(scope, { limit: 101, filter: full, beforeSequence: 3 * (ROWS / 4) }),
        )),
        ...(await statementsOf(() => repository.exportRows(scope, full, 1001))),
      );
      expect(sql).toHaveLength(3);
      for (const statement of sql) {
        const scans = paymentScans(await planOf(statement));
        expect(scans.length).toBeGreaterThan(0);
        for (const scan of scans) {
          expect({ statement, ...scan }).toEqual({
            statement,
            node: expect.stringMatching(/^(Index Scan|Index Only Scan|Bitmap Heap Scan)$/),
            index: expect.any(String),
            cond: expect.stringContaining('merchant_id'),
          });
        }
      }
    });
  },
);
