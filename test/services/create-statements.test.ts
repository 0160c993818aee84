import { jest } from '@jest/globals';
import type { Sealer } from '../../src/crypto/sealing.js';
import type { Database } from '../../src/db/orm.js';
import { PaymentRepository } from '../../src/db/repositories/payments.js';
import type { CreateHostedPaymentInput } from '../../src/domain/payment.js';
import { IdempotencyService } from '../../src/services/idempotency.js';
import { PaymentService } from '../../src/services/payments.js';
import type { Principal } from '../../src/services/principal.js';
import { backends } from '../support/backends.js';
import { insertMerchant, openTestDatabase } from '../support/database.js';

const input: CreateHostedPaymentInput = {
  rules: 'v1',
  amount: 2500,
  currency: 'EUR',
  returnUrl: 'https://shop.example.com/checkout/complete',
  merchantReference: 'ord_5678',
};

/**
 * Every round trip a create makes to the database costs the create path throughput, so the number
 * of statements is part of its contract: a change that adds one must show up here.
 */
describe.each(backends)('the statements of a create (%s)', (backend) => {
  let db: Database;
  let close: () => Promise<void>;
  let principal: Principal;
  let payments: PaymentService;
  let idempotency: IdempotencyService;
  let statements: string[];

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(backend));
    principal = { merchantId: await insertMerchant(db), livemode: false, credentialId: 'key_test' };
    const config = { publicUrl: 'https://till.example', hppSessionTtlSeconds: 3600 };
    payments = new PaymentService(new PaymentRepository(db), config, () => undefined);
    idempotency = new IdempotencyService(db, {} as Sealer);
    // Every statement the ORM sends (transaction control included) is logged through this one call.
    jest.spyOn(db.em.config.getLogger(), 'logQuery').mockImplementation((context) => {
      statements.push((context.query ?? '').trim().replace(/\s+/g, ' ').toLowerCase());
    });
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await close();
  });
  beforeEach(() => {
    statements = [];
  });

  /** A keyed create as the REST and GraphQL surfaces run it. */
  const keyedCreate = (key: string) =>
    idempotency.perform(
      {
        principal,
        key,
        required: true,
        keyField: 'Idempotency-Key',
        operation: 'POST /v1/payments/hpp',
        params: input,
      },
      async (tx) => {
        const created = await payments.stageHostedPayment(principal, input, tx);
        return { status: 200, body: created.payloadJson, writes: created.writes };
      },
      { transactional: true },
    );

  it('is four statements with a key: begin, the key locked and read, the payment and its event inserted with the key stored, commit', async () => {
    const result = await keyedCreate(`statements-${backend}-1`);
    expect(result.replayed).toBe(false);
    expect(statements).toHaveLength(4);
    expect(statements[0]).toMatch(/^begin/);
    expect(statements[1]).toMatch(/pg_try_advisory_xact_lock.* idempotency_key /);
    expect(statements[2]).toMatch(
      /^with write_0 as \(insert into payment .*\), write_1 as \(insert into event .*\) insert into idempotency_key .*on conflict/,
    );
    expect(statements[3]).toMatch(/^commit/);
  });

  it('writes the payment.created event with the very object the answer carries', async () => {
    const result = await keyedCreate(`statements-${backend}-2`);
    const answer = JSON.parse(result.body) as { id: string; version: number };
    const [event] = await db.em
      .fork()
      .execute<{ type: string; data: unknown; payment_snapshot: unknown; published_at: unknown }[]>(
        'select type, data, payment_snapshot, published_at from event where payment_id = ?',
        [answer.id],
      );
    expect(event).toBeDefined();
    const data = (typeof event!.data === 'string' ? JSON.parse(event!.data) : event!.data) as unknown;
    expect(event).toMatchObject({ type: 'payment.created', payment_snapshot: null, published_at: null });
    expect(data).toEqual({ object: answer });
  });

  it('is three statements for a replay: begin, the key locked and read, commit', async () => {
    const first = await keyedCreate(`statements-${backend}-3`);
    statements = [];
    const again = await keyedCreate(`statements-${backend}-3`);
    expect(again).toEqual({ ...first, replayed: true });
    expect(statements).toHaveLength(3);
    expect(statements[1]).toMatch(/pg_try_advisory_xact_lock/);
  });

  it('is three statements without a key: begin, the payment and its event inserted, commit', async () => {
    await payments.createHostedPayment(principal, input);
    expect(statements).toHaveLength(3);
    expect(statements[1]).toMatch(/^with write_0 as \(insert into payment .*\) insert into event /);
  });

  it('writes a staged payment only with the key: a refused answer leaves neither payment nor key', async () => {
    const key = `statements-${backend}-5`;
    const refused = await idempotency.perform(
      {
        principal,
        key,
        required: true,
        keyField: 'Idempotency-Key',
        operation: 'POST /v1/payments/hpp',
        params: input,
      },
      async (tx) => {
        const created = await payments.stageHostedPayment(principal, input, tx);
        return { status: 402, body: created.payloadJson, writes: created.writes };
      },
      { transactional: true },
    );
    expect(refused.status).toBe(402);
    const id = (JSON.parse(refused.body) as { id: string }).id;
    const em = db.em.fork();
    expect(await em.execute('select id from payment where id = ?', [id])).toEqual([]);
    expect(await em.execute('select key from idempotency_key where key = ?', [key])).toEqual([]);
    // The key is free: the next request with it runs.
    expect((await keyedCreate(key)).replayed).toBe(false);
  });

  it('creates a staged payment at once when there is no transaction to stage it in', async () => {
    const created = await payments.stageHostedPayment(principal, input, undefined);
    expect(created.writes).toEqual([]);
    const [row] = await db.em.fork().execute('select status from payment where id = ?', [created.payment.id]);
    expect(row).toEqual({ status: 'PENDING' });
  });
});
