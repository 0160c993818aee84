import { backends } from '../support/backends.js';
import { request, SEED_004_SAMPLE } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

describe.each(backends)('REST v1 payments (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  const call = (method: string, path: string, options: Parameters<typeof request>[3] = {}) =>
    request(app.url, method, path, { key: merchant.test_secret_key, ...options });

  beforeAll(async () => {
    app = await startTill({ backend });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    merchant = await newMerchant(app);
  });

  it("creates a payment from seed 004's sample request, returning the complete Payment object", async () => {
    const res = await call('POST', '/v1/payments/hpp', { body: SEED_004_SAMPLE });
    expect(res.status).toBe(200);
    const p = res.json;
    expect(p.id).toMatch(/^pay_[A-Za-z0-9]{24}$/);
    expect(p).toMatchObject({
      amount: 2500,
      currency: 'EUR',
      status: 'PENDING',
      integration_type: 'HOSTED_PAYMENT_PAGE',
      amount_refunded: 0,
      amount_refundable: 0,
      livemode: false,
      merchant_reference: 'ord_5678',
      description: null,
      card: null,
      billing_details: null,
      metadata: {},
      decline_code: null,
      decline_message: null,
      hosted_payment_url: `${app.till.config.publicUrl}/hpp/${p.id}`,
      refunds: [],
      next_action: null,
      status_transitions: {
        requires_action_at: null,
        processing_at: null,
        succeeded_at: null,
        failed_at: null,
        canceled_at: null,
        expired_at: null,
      },
    });
    expect(Math.abs(p.created_at - Date.now() / 1000)).toBeLessThan(60);
    const fetched = await call('GET', `/v1/payments/${p.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.json).toEqual(p);
  });

  it('keeps every documented optional field', async () => {
    const body = {
      amount: 4999,
      currency: 'EUR',
      return_url: 'https://shop.example.com/checkout/complete',
      merchant_reference: 'ord_1234',
      description: 'Order #1234',
      billing_details: {
        email: 'jenny@example.com',
        first_name: 'Jenny',
        last_name: 'Rosen',
        phone: '+491701234567',
        address: {
          line1: 'Kurfuerstendamm 21',
          line2: 'Apartment 4B',
          city: 'Berlin',
          state: 'Berlin',
          postal_code: '10719',
          country: 'DE',
        },
      },
      metadata: {
        order_id: 'ord_1234',
        nested: { ok: [1, 2, 3] },
        flag: true,
        nothing: null,
        q: "what? O'Brien \\ ?? $1",
      },
    };
    const res = await call('POST', '/v1/payments/hpp', { body });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      description: 'Order #1234',
      billing_details: body.billing_details,
      metadata: body.metadata,
    });
  });

  it('accepts the largest exact amount, 2^53 − 1, and returns it exactly', async () => {
    const res = await call('POST', '/v1/payments/hpp', {
      rawBody: `{"amount":9007199254740991,"currency":"EUR","return_url":"https://a.example/r"}`,
    });
    expect(res.status).toBe(200);
    expect(res.text).toContain('"amount":9007199254740991');
  });

  describe('rejects bad input with a v1 error and creates nothing', () => {
    const bad: [string, unknown, string, number?][] = [
      ['amount missing', { currency: 'EUR', return_url: 'https://a.example' }, 'amount'],
      ['amount zero', { ...SEED_004_SAMPLE, amount: 0 }, 'amount'],
      ['amount negative', { ...SEED_004_SAMPLE, amount: -5 }, 'amount'],
      ['amount fractional', { ...SEED_004_SAMPLE, amount: 25.5 }, 'amount'],
      ['amount as string', { ...SEED_004_SAMPLE, amount: '2500' }, 'amount'],
      ['amount beyond 2^53 − 1', { ...SEED_004_SAMPLE, amount: 2 ** 53 }, 'amount'],
      ['currency not EUR', { ...SEED_004_SAMPLE, currency: 'USD' }, 'currency'],
      ['currency lower case', { ...SEED_004_SAMPLE, currency: 'eur' }, 'currency'],
      ['currency missing', { amount: 1, return_url: 'https://a.example' }, 'currency'],
      ['return_url relative', { ...SEED_004_SAMPLE, return_url: '/checkout' }, 'return_url'],
      ['return_url not http', { ...SEED_004_SAMPLE, return_url: 'javascript:alert(1)' }, 'return_url'],
      ['return_url missing', { amount: 1, currency: 'EUR' }, 'return_url'],
      [
        'merchant_reference too long',
        { ...SEED_004_SAMPLE, merchant_reference: 'x'.repeat(256) },
        'merchant_reference',
      ],
      [
        'merchant_reference not a string',
        { ...SEED_004_SAMPLE, merchant_reference: 5 },
        'merchant_reference',
      ],
      ['description too long', { ...SEED_004_SAMPLE, description: 'x'.repeat(501) }, 'description'],
      ['metadata an array', { ...SEED_004_SAMPLE, metadata: [1] }, 'metadata'],
      [
        'metadata with 51 keys',
        {
          ...SEED_004_SAMPLE,
          metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])),
        },
        'metadata',
      ],
      [
        'metadata key of 41 characters',
        { ...SEED_004_SAMPLE, metadata: { ['k'.repeat(41)]: 1 } },
        'metadata',
      ],
      ['metadata over 8 KiB', { ...SEED_004_SAMPLE, metadata: { big: 'x'.repeat(8200) } }, 'metadata'],
      [
        'a metadata value of 501 characters',
        { ...SEED_004_SAMPLE, metadata: { note: 'x'.repeat(501) } },
        'metadata',
      ],
      [
        'a nested metadata value of 501 characters as JSON',
        { ...SEED_004_SAMPLE, metadata: { note: { text: 'x'.repeat(490), more: [1, 2, 3] } } },
        'metadata',
      ],
      ['unknown field', { ...SEED_004_SAMPLE, amount_cents: 5 }, 'amount_cents'],
      ['billing_details not an object', { ...SEED_004_SAMPLE, billing_details: 'x' }, 'billing_details'],
      [
        'billing_details unknown field',
        { ...SEED_004_SAMPLE, billing_details: { age: 3 } },
        'billing_details.age',
      ],
      [
        'billing address country not ISO',
        { ...SEED_004_SAMPLE, billing_details: { address: { country: 'Germany' } } },
        'billing_details.address.country',
      ],
      [
        'billing email invalid',
        { ...SEED_004_SAMPLE, billing_details: { email: 'nope' } },
        'billing_details.email',
      ],
      ['body an array', [SEED_004_SAMPLE], 'body'],
      ['body null', null, 'body'],
    ];
    it.each(bad)('%s', async (_name, body, param) => {
      const res = await call('POST', '/v1/payments/hpp', { rawBody: JSON.stringify(body) });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ type: 'invalid_request_error', param });
      expect(res.json.error.message).toEqual(expect.any(String));
      const list = await call('GET', '/v1/payments');
      expect(list.json.data).toHaveLength(0);
    });

    it('malformed JSON → 400 invalid_json', async () => {
      const res = await call('POST', '/v1/payments/hpp', { rawBody: '{"amount": 25' });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
    });

    it.each([
      [
        'metadata',
        `{"amount":100,"currency":"EUR","return_url":"https://a.example","metadata":{"a":${'['.repeat(3000)}${']'.repeat(3000)}}}`,
      ],
      ['the whole body', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
      ['a field, one level past the limit', `{"metadata":{"a":${'['.repeat(31)}${']'.repeat(31)}}}`],
    ])(
      'JSON nested deeper than 32 levels in %s → 400 json_too_deep, nothing created',
      async (_name, rawBody) => {
        const res = await call('POST', '/v1/payments/hpp', { rawBody });
        expect(res.status).toBe(400);
        expect(res.json.error).toMatchObject({
          type: 'invalid_request_error',
          code: 'json_too_deep',
          param: 'body',
        });
        expect(res.json.error.message).toMatch(/deeper than 32 levels/);
        expect((await call('GET', '/v1/payments')).json.data).toHaveLength(0);
      },
    );

    it.each([
      ['a NUL in description', '{"description":"a\\u0000b"}', 'description'],
      ['an unpaired surrogate in a metadata value', '{"metadata":{"note":"\\ud800"}}', 'metadata.note'],
      ['an unpaired surrogate in a metadata key', '{"metadata":{"\\udc00":"v"}}', 'metadata'],
    ])(
      'text PostgreSQL cannot store (%s) → 400 invalid_text naming it, nothing created',
      async (_name, extra, param) => {
        const rawBody = JSON.stringify(SEED_004_SAMPLE).replace(/}$/, `,${extra.slice(1)}`);
        const res = await call('POST', '/v1/payments/hpp', { rawBody });
        expect(res.status).toBe(400);
        expect(res.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_text', param });
        expect((await call('GET', '/v1/payments')).json.data).toHaveLength(0);
      },
    );

    it('accepts metadata at the limits: 50 keys of 40 characters, values of 500, nested to the depth limit', async () => {
      const metadata: Record<string, unknown> = Object.fromEntries(
        Array.from({ length: 49 }, (_, i) => [`${i}`.padStart(40, 'k'), i === 0 ? 'x'.repeat(500) : 'v']),
      );
      // The body is level 1 and metadata level 2: the value may nest 30 more.
      metadata.deep = JSON.parse(`${'['.repeat(30)}${']'.repeat(30)}`);
      const res = await call('POST', '/v1/payments/hpp', { body: { ...SEED_004_SAMPLE, metadata } });
      expect(res.status).toBe(200);
      expect(res.json.metadata).toEqual(metadata);
    });

    it('prototype-poisoning JSON → 400', async () => {
      const res = await call('POST', '/v1/payments/hpp', {
        rawBody: '{"amount":1,"currency":"EUR","return_url":"https://a.example","__proto__":{"x":1}}',
      });
      expect(res.status).toBe(400);
      expect(res.json.error.type).toBe('invalid_request_error');
    });

    it('an oversized body → 413', async () => {
      const res = await call('POST', '/v1/payments/hpp', {
        rawBody: JSON.stringify({ ...SEED_004_SAMPLE, description: 'x'.repeat(300 * 1024) }),
      });
      expect(res.status).toBe(413);
      expect(res.json.error).toMatchObject({ type: 'invalid_request_error', code: 'body_too_large' });
    });

    it('a non-JSON content type → 415', async () => {
      const res = await call('POST', '/v1/payments/hpp', {
        rawBody: 'amount=1',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(res.status).toBe(415);
      expect(res.json.error.type).toBe('invalid_request_error');
    });

    it('a missing Idempotency-Key → 400', async () => {
      const res = await call('POST', '/v1/payments/hpp', { body: SEED_004_SAMPLE, idempotencyKey: null });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ type: 'invalid_request_error', param: 'Idempotency-Key' });
    });

    it('an Idempotency-Key over 255 characters → 400', async () => {
      const res = await call('POST', '/v1/payments/hpp', {
        body: SEED_004_SAMPLE,
        idempotencyKey: 'k'.repeat(256),
      });
      expect(res.status).toBe(400);
      expect(res.json.error.param).toBe('Idempotency-Key');
    });
  });

  describe('authentication', () => {
    it('no Authorization → 401 authentication_error', async () => {
      const res = await request(app.url, 'GET', '/v1/payments');
      expect(res.status).toBe(401);
      expect(res.json.error.type).toBe('authentication_error');
    });
    it.each([
      ['an unknown key', 'Bearer api_test_sk_00000000000000000000000000000000'],
      ['a publishable key', 'client'],
      ['a malformed header', 'Basic abc'],
      ['an empty bearer', 'Bearer '],
    ])('%s → 401', async (_name, header) => {
      const value = header === 'client' ? `Bearer ${merchant.client_key}` : header;
      const res = await request(app.url, 'POST', '/v1/payments/hpp', {
        headers: { authorization: value },
        body: SEED_004_SAMPLE,
      });
      expect(res.status).toBe(401);
      expect(res.json.error.type).toBe('authentication_error');
      expect(res.text).not.toContain(merchant.client_key);
    });
  });

  describe('reads and lists', () => {
    it('unknown and malformed ids → 404 resource_missing', async () => {
      for (const id of ['pay_000000000000000000000000', 'nope', 'pay_%00']) {
        const res = await call('GET', `/v1/payments/${id}`);
        expect(res.status).toBe(404);
        expect(res.json.error).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing' });
      }
    });

    it('lists newest first with limit and starting_after, without skipping or repeating', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++)
        ids.push(
          (await call('POST', '/v1/payments/hpp', { body: { ...SEED_004_SAMPLE, amount: 100 + i } })).json.id,
        );
      const first = await call('GET', '/v1/payments?limit=2');
      expect(first.json).toMatchObject({ object: 'list', has_more: true });
      expect(first.json.data.map((p: { id: string }) => p.id)).toEqual([ids[4], ids[3]]);
      const second = await call('GET', `/v1/payments?limit=2&starting_after=${ids[3]}`);
      expect(second.json.data.map((p: { id: string }) => p.id)).toEqual([ids[2], ids[1]]);
      const third = await call('GET', `/v1/payments?limit=2&starting_after=${ids[1]}`);
      expect(third.json).toMatchObject({ has_more: false });
      expect(third.json.data.map((p: { id: string }) => p.id)).toEqual([ids[0]]);
    });

    it('filters by status', async () => {
      const a = (await call('POST', '/v1/payments/hpp', { body: SEED_004_SAMPLE })).json.id;
      const b = (await call('POST', '/v1/payments/hpp', { body: SEED_004_SAMPLE })).json.id;
      await call('POST', `/v1/payments/${a}/cancel`);
      const canceled = await call('GET', '/v1/payments?status=CANCELED');
      expect(canceled.json.data.map((p: { id: string }) => p.id)).toEqual([a]);
      const pending = await call('GET', '/v1/payments?status=PENDING');
      expect(pending.json.data.map((p: { id: string }) => p.id)).toEqual([b]);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=1.5', 'limit'],
      ['status=DONE', 'status'],
      ['starting_after=pay_000000000000000000000000', 'starting_after'],
      ['starting_after=garbage', 'starting_after'],
      ['color=red', 'color'],
    ])('bad list parameter %s → 400', async (query, param) => {
      const res = await call('GET', `/v1/payments?${query}`);
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ type: 'invalid_request_error', param });
    });

    it('unknown routes → 404 in the v1 format', async () => {
      const res = await call('GET', '/v1/nothing-here');
      expect(res.status).toBe(404);
      expect(res.json.error.type).toBe('invalid_request_error');
    });
  });

  describe('cancel', () => {
    it('cancels a PENDING payment, stamping canceled_at and bumping the version', async () => {
      const created = (await call('POST', '/v1/payments/hpp', { body: SEED_004_SAMPLE })).json;
      const res = await call('POST', `/v1/payments/${created.id}/cancel`);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ id: created.id, status: 'CANCELED', version: 2 });
      expect(res.json.status_transitions.canceled_at).toEqual(expect.any(Number));
      expect((await call('GET', `/v1/payments/${created.id}`)).json.status).toBe('CANCELED');
    });

    it('refuses to cancel twice with a clear 400 and changes nothing', async () => {
      const created = (await call('POST', '/v1/payments/hpp', { body: SEED_004_SAMPLE })).json;
      const first = await call('POST', `/v1/payments/${created.id}/cancel`);
      const again = await call('POST', `/v1/payments/${created.id}/cancel`);
      expect(again.status).toBe(400);
      expect(again.json.error).toMatchObject({
        type: 'invalid_request_error',
        code: 'payment_unexpected_state',
      });
      expect((await call('GET', `/v1/payments/${created.id}`)).json).toEqual(first.json);
    });

    it('an unknown payment → 404; a body with parameters → 400', async () => {
      expect((await call('POST', '/v1/payments/pay_000000000000000000000000/cancel')).status).toBe(404);
      const created = (await call('POST', '/v1/payments/hpp', { body: SEED_004_SAMPLE })).json;
      const res = await call('POST', `/v1/payments/${created.id}/cancel`, { body: { reason: 'x' } });
      expect(res.status).toBe(400);
      expect((await call('GET', `/v1/payments/${created.id}`)).json.status).toBe('PENDING');
    });
  });

  describe('isolation', () => {
    it("merchant B never sees merchant A's payments", async () => {
      const other = await newMerchant(app, 'Other');
      const created = (await call('POST', '/v1/payments/hpp', { body: SEED_004_SAMPLE })).json;
      const asB = (method: string, path: string) =>
        request(app.url, method, path, { key: other.test_secret_key });
      expect((await asB('GET', `/v1/payments/${created.id}`)).status).toBe(404);
      expect((await asB('GET', '/v1/payments')).json.data).toEqual([]);
      expect((await asB('POST', `/v1/payments/${created.id}/cancel`)).status).toBe(404);
      expect((await asB('GET', `/v1/payments?starting_after=${created.id}`)).status).toBe(400);
      expect((await call('GET', `/v1/payments/${created.id}`)).json.status).toBe('PENDING');
    });

    it('a live key never sees test payments, and live creation is refused until a live processor exists', async () => {
      const created = (await call('POST', '/v1/payments/hpp', { body: SEED_004_SAMPLE })).json;
      const live = (method: string, path: string, body?: unknown) =>
        request(app.url, method, path, { key: merchant.live_secret_key, body });
      expect((await live('GET', `/v1/payments/${created.id}`)).status).toBe(404);
      expect((await live('GET', '/v1/payments')).json.data).toEqual([]);
      const refused = await live('POST', '/v1/payments/hpp', SEED_004_SAMPLE);
      expect(refused.status).toBe(400);
      expect(refused.json.error).toMatchObject({
        type: 'invalid_request_error',
        code: 'livemode_unavailable',
      });
      expect((await live('GET', '/v1/payments')).json.data).toEqual([]);
    });
  });
});
