import type { Database } from '../../src/db/orm.js';
import { WebhookRepository } from '../../src/db/repositories/webhooks.js';
import { randomBase62 } from '../../src/domain/ids.js';
import { WebhookDeliveries } from '../../src/webhooks/deliveries.js';
import { backends } from '../support/backends.js';
import { insertEvent, insertMerchant, openTestDatabase } from '../support/database.js';

interface Row {
  id: string;
  endpoint_id: string;
  event_id: string;
  status: string;
  attempts: number;
  next_attempt_at: Date | string;
}

describe.each(backends)('creating webhook deliveries (%s)', (backend) => {
  let db: Database;
  let close: () => Promise<void>;
  let webhooks: WebhookRepository;
  let deliveries: WebhookDeliveries;

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(backend));
    webhooks = new WebhookRepository(db);
    deliveries = new WebhookDeliveries(webhooks);
  });
  afterAll(() => close());

  const endpoint = async (merchantId: string, events: string[], livemode = false): Promise<string> => {
    const id = `we_${randomBase62(24)}`;
    await webhooks.insertEndpoint(db.em.fork(), {
      id,
      merchantId,
      livemode,
      url: 'https://receiver.example.com/hooks',
      description: null,
      enabled_events: events,
      sealedSecret: 'v1:test:sealed',
    });
    return id;
  };
  const rowsOf = (merchantId: string) =>
    db.em.fork().execute<Row[]>(
      `select d.id, d.endpoint_id, d.event_id, d.status, d.attempts, d.next_attempt_at
         from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id
        where e.merchant_id = ? order by d.seq`,
      [merchantId],
    );
  const create = (events: { id: string; type: string; merchantId: string; livemode: boolean }[]) =>
    db.em.fork().transactional((tx) => deliveries.createFor(tx, events));

  it('creates one pending delivery per enabled endpoint subscribed to each event, ids minted as wd_', async () => {
    const merchant = await insertMerchant(db);
    const other = await insertMerchant(db);
    const all = await endpoint(merchant, ['*']);
    const succeededOnly = await endpoint(merchant, ['payment.succeeded']);
    const disabled = await endpoint(merchant, ['*']);
    await db.em.fork().execute(`update webhook_endpoint set status = 'disabled' where id = ?`, [disabled]);
    await endpoint(merchant, ['*'], true); // live mode: not for test-mode events
    await endpoint(other, ['*']); // another merchant's
    const created = await insertEvent(db, { merchantId: merchant, type: 'payment.created' });
    const succeeded = await insertEvent(db, { merchantId: merchant, type: 'payment.succeeded' });
    const events = [
      { id: created, type: 'payment.created', merchantId: merchant, livemode: false },
      { id: succeeded, type: 'payment.succeeded', merchantId: merchant, livemode: false },
    ];

    expect(await create(events)).toBe(3);
    const rows = await rowsOf(merchant);
    expect(rows.map((r) => [r.endpoint_id, r.event_id]).sort()).toEqual(
      [
        [all, created],
        [all, succeeded],
        [succeededOnly, succeeded],
      ].sort(),
    );
    for (const row of rows) {
      expect(row.id).toMatch(/^wd_[A-Za-z0-9]{24}$/);
      expect(row).toMatchObject({ status: 'pending', attempts: 0 });
      expect(new Date(row.next_attempt_at).getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    }
    expect(new Set(rows.map((r) => r.id)).size).toBe(3);
    expect(await rowsOf(other)).toEqual([]);

    // Running it again for the same events creates nothing more and leaves the rows as they were.
    expect(await create(events)).toBe(0);
    expect(await rowsOf(merchant)).toEqual(rows);
  });

  it('a delivery for an endpoint whose circuit breaker is open is first due when it reopens', async () => {
    const merchant = await insertMerchant(db);
    const open = await endpoint(merchant, ['*']);
    const reopensAt = new Date(Date.now() + 3_600_000);
    await db.em
      .fork()
      .execute('update webhook_endpoint set breaker_open_until = ?::timestamptz where id = ?', [
        reopensAt,
        open,
      ]);
    const event = await insertEvent(db, { merchantId: merchant, type: 'refund.created' });

    expect(await create([{ id: event, type: 'refund.created', merchantId: merchant, livemode: false }])).toBe(
      1,
    );
    const [row] = await rowsOf(merchant);
    expect(new Date(row!.next_attempt_at).getTime()).toBe(reopensAt.getTime());
  });

  it('creates nothing for events no endpoint subscribes to', async () => {
    const merchant = await insertMerchant(db);
    await endpoint(merchant, ['refund.created']);
    const event = await insertEvent(db, { merchantId: merchant, type: 'payment.created' });
    expect(
      await create([{ id: event, type: 'payment.created', merchantId: merchant, livemode: false }]),
    ).toBe(0);
    expect(await create([])).toBe(0);
    expect(await rowsOf(merchant)).toEqual([]);
  });
});
