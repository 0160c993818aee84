import type { SqlEntityManager } from '@mikro-orm/sql';
import { backends } from '../support/backends.js';
import { request, SEED_004_SAMPLE } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { StoredResponse } from '../../src/services/idempotency.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

describe.each(backends)('Idempotency-Key on v1 POSTs (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  const post = (
    path: string,
    idempotencyKey: string,
    body: unknown = SEED_004_SAMPLE,
    key = merchant.test_secret_key,
  ) => request(app.url, 'POST', path, { key, body, idempotencyKey });
  const count = async () =>
    (await request(app.url, 'GET', '/v1/payments?limit=100', { key: merchant.test_secret_key })).json.data
      .length;
  const events = async () =>
    (await request(app.url, 'GET', '/v1/events?limit=100', { key: merchant.test_secret_key })).json.data as {
      type: string;
      data: { object: { id: string } };
    }[];

  beforeAll(async () => {
    app = await startTill({ backend });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    merchant = await newMerchant(app);
  });

  it('replays the stored response byte for byte, with Idempotent-Replayed: true', async () => {
    const first = await post('/v1/payments/hpp', 'order-1');
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await post('/v1/payments/hpp', 'order-1');
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await count()).toBe(1);
  });

  it('refuses the same key with a different body or path with 422, creating nothing', async () => {
    const first = await post('/v1/payments/hpp', 'order-2');
    const otherBody = await post('/v1/payments/hpp', 'order-2', { ...SEED_004_SAMPLE, amount: 2600 });
    expect(otherBody.status).toBe(422);
    expect(otherBody.json.error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_key_reused' });
    const otherPath = await post(`/v1/payments/${first.json.id}/cancel`, 'order-2', undefined);
    expect(otherPath.status).toBe(422);
    expect(await count()).toBe(1);
    expect(
      (await request(app.url, 'GET', `/v1/payments/${first.json.id}`, { key: merchant.test_secret_key })).json
        .status,
    ).toBe('PENDING');
  });

  it('counts a body differing only in key order and whitespace as the same request', async () => {
    const first = await post('/v1/payments/hpp', 'order-4');
    const reordered = Object.fromEntries(Object.entries(SEED_004_SAMPLE).reverse());
    const again = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: merchant.test_secret_key,
      idempotencyKey: 'order-4',
      rawBody: JSON.stringify(reordered, null, 2),
    });
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await count()).toBe(1);
  });

  it('answers 409 while another request holds the key, and lets a retry take over an abandoned one', async () => {
    // The state an in-flight request (on any instance) leaves: the key claimed, no response yet.
    const { requestFingerprint } = await import('../../src/services/idempotency.js');
    const fingerprint = requestFingerprint('POST /v1/payments/hpp', SEED_004_SAMPLE);
    const claim = (lockedAt: Date) =>
      app.till.db.em.fork().execute(
        `insert into idempotency_key (merchant_id, livemode, key, fingerprint, state, locked_at, created_at, expires_at)
         values (?, false, 'held-key', ?, 'running', ?, now(), now() + interval '1 day')
         on conflict (merchant_id, livemode, key) do update set locked_at = excluded.locked_at, state = 'running'`,
        [merchant.merchant_id, fingerprint, lockedAt],
      );
    await claim(new Date());
    const held = await post('/v1/payments/hpp', 'held-key');
    expect(held.status).toBe(409);
    expect(held.json.error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_key_in_use' });
    expect(await count()).toBe(0);
    // A claim older than a minute belongs to a request that died: the retry proceeds.
    await claim(new Date(Date.now() - 120_000));
    const retried = await post('/v1/payments/hpp', 'held-key');
    expect(retried.status).toBe(200);
    expect(await count()).toBe(1);
  });

  /**
   * A request for `key` made straight through the service (as another instance would), whose
   * operation starts, then waits for `release()`. Resolves once the operation is running.
   */
  async function heldRequest(
    key: string,
    operation: (tx: SqlEntityManager | undefined) => Promise<StoredResponse>,
    options: { transactional?: boolean } = {},
  ) {
    const { requestFingerprint } = await import('../../src/services/idempotency.js');
    const fingerprint = requestFingerprint('POST /v1/payments/hpp', SEED_004_SAMPLE);
    const principal = { merchantId: merchant.merchant_id, livemode: false, credentialId: 'test' };
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const finished = app.till.services.idempotency.run(
      principal,
      key,
      fingerprint,
      async (tx) => {
        const response = await operation(tx);
        started();
        await released;
        return response;
      },
      options,
    );
    await running;
    return { release, finished };
  }

  it('answers 409 to a duplicate that arrives while the first request is running', async () => {
    const first = await heldRequest('slow-key', async () => ({ status: 200, body: '{"ok":true}' }));
    const concurrent = await post('/v1/payments/hpp', 'slow-key');
    expect(concurrent.status).toBe(409);
    first.release();
    await first.finished;
    const after = await post('/v1/payments/hpp', 'slow-key');
    expect(after.status).toBe(200);
    expect(after.text).toBe('{"ok":true}');
    expect(await count()).toBe(0);
  });

  // A create keeps its key's claim, its payment and its stored answer in one transaction, so a
  // duplicate cannot see the claim before that commits: an advisory lock on the key answers it.
  // Only the server backend runs transactions side by side; the embedded database runs each alone
  // on its one connection (the duplicate's starts after the first committed, and replays it).
  if (backend === 'server')
    it("answers 409 to a duplicate create while the first one's transaction is still open", async () => {
      const principal = { merchantId: merchant.merchant_id, livemode: false, credentialId: 'test' };
      const first = await heldRequest(
        'create-key',
        async (tx) => {
          const { payment } = await app.till.services.payments.createHostedPayment(
            principal,
            {
              rules: 'v1',
              amount: SEED_004_SAMPLE.amount,
              currency: SEED_004_SAMPLE.currency,
              returnUrl: SEED_004_SAMPLE.return_url,
            },
            tx,
          );
          return { status: 200, body: JSON.stringify({ id: payment.id }) };
        },
        { transactional: true },
      );
      const concurrent = await post('/v1/payments/hpp', 'create-key');
      expect(concurrent.status).toBe(409);
      expect(concurrent.json.error).toMatchObject({
        type: 'idempotency_error',
        code: 'idempotency_key_in_use',
      });
      expect(await count()).toBe(0);
      first.release();
      const stored = await first.finished;
      const after = await post('/v1/payments/hpp', 'create-key');
      expect(after.headers.get('idempotent-replayed')).toBe('true');
      expect(after.text).toBe(stored.body);
      expect(await count()).toBe(1);
      expect(await events()).toHaveLength(1);
    });

  it('does not store a failed request: the key is released and a corrected retry succeeds', async () => {
    const bad = await post('/v1/payments/hpp', 'order-3', { ...SEED_004_SAMPLE, amount: -1 });
    expect(bad.status).toBe(400);
    const good = await post('/v1/payments/hpp', 'order-3');
    expect(good.status).toBe(200);
    expect(good.headers.get('idempotent-replayed')).toBeNull();
    expect(await count()).toBe(1);
  });

  it('N concurrent identical requests create exactly one payment', async () => {
    const replies = await Promise.all(Array.from({ length: 25 }, () => post('/v1/payments/hpp', 'burst')));
    const statuses = replies.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    const ids = new Set(replies.filter((r) => r.status === 200).map((r) => r.json.id));
    expect(ids.size).toBe(1);
    expect(await count()).toBe(1);
    expect((await events()).map((e) => [e.type, e.data.object.id])).toEqual([
      ['payment.created', [...ids][0]],
    ]);
    const settled = await post('/v1/payments/hpp', 'burst');
    expect(settled.status).toBe(200);
    expect(ids.has(settled.json.id)).toBe(true);
  });

  it('scopes keys by merchant and mode', async () => {
    const other = await newMerchant(app, 'Other');
    const mine = await post('/v1/payments/hpp', 'shared-key');
    const theirs = await post('/v1/payments/hpp', 'shared-key', SEED_004_SAMPLE, other.test_secret_key);
    expect(theirs.status).toBe(200);
    expect(theirs.json.id).not.toBe(mine.json.id);
    // Same key in live mode is a different scope: it is evaluated afresh (and refused for live).
    const live = await post('/v1/payments/hpp', 'shared-key', SEED_004_SAMPLE, merchant.live_secret_key);
    expect(live.status).toBe(400);
    expect(live.json.error.code).toBe('livemode_unavailable');
  });

  it('forgets keys after 24 hours', async () => {
    const first = await post('/v1/payments/hpp', 'day-old');
    const pruned = await app.till.services.idempotency.prune(new Date(Date.now() + 24 * 3600 * 1000 + 1000));
    expect(pruned).toBeGreaterThanOrEqual(1);
    const again = await post('/v1/payments/hpp', 'day-old');
    expect(again.status).toBe(200);
    expect(again.json.id).not.toBe(first.json.id);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
  });
});
