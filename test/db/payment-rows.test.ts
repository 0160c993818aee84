import { paymentSeedSql } from '../../bench/payment-seed.ts';
import type { Database } from '../../src/db/orm.js';
import { PaymentRepository, type PaymentScope } from '../../src/db/repositories/payments.js';
import { NO_FILTER } from '../../src/domain/payment-filter.js';
import { backends } from '../support/backends.js';
import { insertMerchant, openTestDatabase } from '../support/database.js';

describe.each(backends)('payments read as plain rows (%s)', (backend) => {
  let db: Database;
  let close: () => Promise<void>;
  let scope: PaymentScope;
  let repository: PaymentRepository;

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(backend));
    const merchantId = await insertMerchant(db);
    scope = { merchantId, livemode: false };
    repository = new PaymentRepository(db);
    const em = db.em.fork();
    await em.execute(paymentSeedSql({ merchantId, otherMerchantIds: [], count: 40 }), [], 'run');
    // Every column a payment's life can fill, on a few rows, with microseconds in the times.
    await em.execute(
      `update payment set amount_captured = amount - 1, amount_refunded = 100, locale = 'de-DE',
         decline_code = 'do_not_honor', decline_message = 'Declined', terminal_id = 'TERM001',
         session_id = 'sess' || seq, success_url = 'https://shop.example.com/ok',
         customer = '{"id": "cus_1", "email": "a@example.com"}'::jsonb,
         billing_details = '{"email": "a@example.com"}'::jsonb, metadata = '{"order": 7}'::jsonb,
         next_action = '{"redirect_url": "https://acs.example.com", "form": null}'::jsonb,
         processor = 'sandbox', connector_account_id = 'ca_1', processor_charge_id = 'ch_' || seq,
         processor_attempts = '[{"connector": "sandbox", "account_id": null, "reference": "ch_1",
           "status": "approved", "error": null, "created_at": 1763800000, "checked_at": null}]'::jsonb,
         pending_operation = '{"kind": "capture", "amount": 5, "key": "k1", "requested_at": 1763800000}'::jsonb,
         refunds = '[{"id": "re_1", "object": "refund", "payment_id": "x", "amount": 100,
           "status": "succeeded", "reason": null, "failure_reason": null, "created_at": 1763800001}]'::jsonb,
         authorization_expires_at = now() + interval '7 days', succeeded_at = clock_timestamp(),
         processing_at = clock_timestamp(), reconcile_after = now(), card_token = 'tok_1',
         amount = 9007199254740991
       where seq % 3 = 0`,
      [],
      'run',
    );
  });
  afterAll(() => close());

  it('gives the same payments as a read through the ORM, for every column', async () => {
    const listed = await repository.list(scope, { limit: 100, filter: NO_FILTER });
    expect(listed.length).toBeGreaterThan(30);
    for (const payment of listed) expect(payment).toEqual(await repository.find({ id: payment.id }));
    // Amounts stay exact integers, times dates.
    expect(listed.some((p) => p.amount === Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(listed.every((p) => p.createdAt instanceof Date && typeof p.version === 'number')).toBe(true);
  });

  it('exports the same columns', async () => {
    const rows = await repository.exportRows(scope, NO_FILTER, 100);
    const listed = await repository.list(scope, { limit: 100, filter: NO_FILTER });
    expect(rows.map((r) => [r.id, r.createdAt, r.amount, r.cardLast4])).toEqual(
      listed.map((p) => [p.id, p.createdAt, p.amount, p.card?.last4 ?? null]),
    );
  });
});
