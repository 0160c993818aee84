import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { backends } from '../support/backends.js';
import { accessToken, seedSamples } from '../support/api-dialect.js';
import { request } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

const run = promisify(execFile);

const HPP_BODY = {
  reference: 'ORDER-123456',
  terminal_id: 'TERM001',
  currency: 'EUR',
  amount: 100,
  transaction_type: 'PURCHASE',
  description: 'Order payment',
  success_url: 'https://merchant.example.com/success-url',
  cancel_url: 'https://merchant.example.com/cancel-url',
  error_url: 'https://merchant.example.com/error-url',
  customer_id: 'CUST123456',
  customer_first_name: 'John',
  customer_last_name: 'Doe',
  customer_email: 'john.doe@example.com',
  customer_phone_number: '+1234567890',
  customer_address: '123 Example Street',
  customer_city: 'Sampletown',
  customer_country: 'BA',
  customer_postal_code: '12345',
  tokenization: { save_card_for_future_payments: true },
};

describe.each(backends)('seed 000 "api" dialect (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  let token: string;
  const hpp = (body: unknown, bearer: string | null = token, headers: Record<string, string> = {}) =>
    request(app.url, 'POST', '/api/hosted-payment-page', { key: bearer, body, headers });
  const paymentsVisibleToV1 = async () =>
    (await request(app.url, 'GET', '/v1/payments?limit=100', { key: merchant.test_secret_key })).json.data;

  beforeAll(async () => {
    app = await startTill({ backend });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    merchant = await newMerchant(app);
    token = await accessToken(app.url, merchant);
  });

  it("runs the seed's createToken() and createSession() verbatim", async () => {
    const { createToken, createSession } = seedSamples(app.url, merchant);
    const tokenData = await createToken();
    expect(tokenData).toMatchObject({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: expect.any(Number),
    });
    const session = await createSession(tokenData);
    expect(session).toMatchObject({
      session_id: expect.stringMatching(/^[A-Za-z0-9]{20}$/),
      client_key: merchant.client_key,
      redirect_url: expect.stringMatching(
        new RegExp(`^${app.till.config.publicUrl}/hpp/payment/[A-Za-z0-9]{40}/[A-Za-z0-9]{20}$`),
      ),
    });
    expect(session.redirect_url.endsWith(`/${session.session_id}`)).toBe(true);
    const [payment] = await paymentsVisibleToV1();
    expect(payment).toMatchObject({
      amount: 25600,
      currency: 'EUR',
      status: 'PENDING',
      transaction_type: 'AUTHORIZE',
      terminal_id: 'DEV02',
      session_id: session.session_id,
      description: 'f2aed380-b8bb-481f-92be-3060cc1ed4a2',
      success_url: 'https://google.com/success-url',
      cancel_url: 'https://google.com/failed-url',
      customer: {
        first_name: 'John',
        last_name: 'Doe',
        country: 'BA',
        email: 'email@email.com',
        phone: '00000',
      },
      metadata: { simulated_flow: 'VERSIONING_FINGERPRINT_Y_CHALLENGE', response_code: 'APPROVED' },
    });
    expect(payment.merchant_reference).toMatch(/^date-\d+$/);
    const status = await request(app.url, 'GET', `/api/sessions/${session.session_id}`, {
      key: tokenData.access_token,
      headers: { 'x-api-key': merchant.api_key },
    });
    expect(status.json).toMatchObject({
      session_id: session.session_id,
      status: 'PENDING',
      payment_id: payment.id,
    });
  });

  it("runs the seed's sample cURL request as written", async () => {
    const curl = readFileSync(new URL('../seed-samples/seed-000-curl.sh', import.meta.url), 'utf8').replace(
      'https://api.example.com',
      app.url,
    );
    const { stdout } = await run('bash', ['-c', `curl -s ${curl.slice(curl.indexOf('curl -X') + 5)}`], {
      env: { ...process.env, ACCESS_TOKEN: token },
    });
    const body = JSON.parse(stdout);
    expect(Object.keys(body).sort()).toEqual(['redirect_url', 'session_id']);
    expect(body.redirect_url).toBe(
      `${app.till.config.publicUrl}/hpp/payment/${body.redirect_url.split('/').at(-2)}/${body.session_id}`,
    );
  });

  it('creates the same Payment as v1 and GraphQL, with every documented field', async () => {
    const res = await hpp(HPP_BODY);
    expect(res.status).toBe(200);
    const [payment] = await paymentsVisibleToV1();
    expect(payment).toMatchObject({
      status: 'PENDING',
      amount: 100,
      merchant_reference: 'ORDER-123456',
      description: 'Order payment',
      terminal_id: 'TERM001',
      transaction_type: 'PURCHASE',
      error_url: 'https://merchant.example.com/error-url',
      hosted_payment_url: `${app.till.config.publicUrl}/hpp/${payment.id}`,
      customer: {
        id: 'CUST123456',
        first_name: 'John',
        last_name: 'Doe',
        email: 'john.doe@example.com',
        phone: '+1234567890',
        address: '123 Example Street',
        city: 'Sampletown',
        country: 'BA',
        postal_code: '12345',
      },
    });
  });

  it('accepts BAM on TERM001, whose currencies include it', async () => {
    const res = await hpp({ ...HPP_BODY, currency: 'BAM' });
    expect(res.status).toBe(200);
  });

  it("answers seed 000's exact body when tokenization is not supported, and creates nothing", async () => {
    const res = await hpp({ ...HPP_BODY, terminal_id: 'DEV02' });
    expect(res.status).toBe(400);
    expect(res.text).toBe(
      '{"status":"INVALID","errors":[{"property":"tokenization","message":"one of requested features not supported=[TOKENIZATION]"}]}',
    );
    expect(await paymentsVisibleToV1()).toEqual([]);
  });

  it('lists every bad field at once in the INVALID shape', async () => {
    const res = await hpp({
      terminal_id: 'NOPE',
      currency: 'euro',
      amount: '100',
      transaction_type: 'SALE',
      success_url: 'not a url',
      cancel_url: 'https://merchant.example.com/cancel-url',
      customer_email: 'x',
      customer_country: 'Bosnia',
      tokenization: 'yes',
      extra: 1,
    });
    expect(res.status).toBe(400);
    expect(res.json.status).toBe('INVALID');
    const byProperty = Object.fromEntries(
      res.json.errors.map((e: { property: string; message: string }) => [e.property, e.message]),
    );
    expect(Object.keys(byProperty).sort()).toEqual(
      [
        'amount',
        'currency',
        'customer_country',
        'customer_email',
        'error_url',
        'extra',
        'reference',
        'success_url',
        'terminal_id',
        'tokenization',
        'transaction_type',
      ].sort(),
    );
    for (const e of res.json.errors) expect(Object.keys(e).sort()).toEqual(['message', 'property']);
    expect(await paymentsVisibleToV1()).toEqual([]);
  });

  it.each([
    ['an unsupported currency for the terminal', { currency: 'USD' }, 'currency'],
    ['a terminal of no merchant', { terminal_id: 'TERM999' }, 'terminal_id'],
    ['a relative success_url', { success_url: '/ok' }, 'success_url'],
    ['a missing error_url', { error_url: undefined }, 'error_url'],
    ['an unknown simulated_flow', { metadata: { simulated_flow: 'TELEPORT' } }, 'metadata.simulated_flow'],
    ['a zero amount', { amount: 0 }, 'amount'],
    ['a metadata value of 501 characters', { metadata: { note: 'x'.repeat(501) } }, 'metadata'],
    [
      '51 metadata keys',
      { metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) },
      'metadata',
    ],
    ['a metadata key of 41 characters', { metadata: { ['k'.repeat(41)]: 'v' } }, 'metadata'],
  ])('refuses %s', async (_name, change, property) => {
    const res = await hpp({ ...HPP_BODY, ...change });
    expect(res.status).toBe(400);
    expect(res.json.errors.map((e: { property: string }) => e.property)).toContain(property);
    if (property === 'metadata.simulated_flow')
      expect(res.json.errors[0].message).toContain('VERSIONING_FINGERPRINT_Y_CHALLENGE');
  });

  it.each([
    [
      '/api/hosted-payment-page',
      `{"reference":"R","metadata":{"simulated_flow":${'['.repeat(3000)}${']'.repeat(3000)}}}`,
    ],
    ['/api/sessions', `${'{"a":'.repeat(33)}1${'}'.repeat(33)}`],
  ])(
    'refuses JSON nested deeper than 32 levels on %s with 400 INVALID, creating nothing',
    async (path, rawBody) => {
      const res = await request(app.url, 'POST', path, {
        key: token,
        rawBody,
        headers: { 'x-api-key': merchant.api_key },
      });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({
        status: 'INVALID',
        errors: [{ property: 'body', message: expect.stringMatching(/deeper than 32 levels/) }],
      });
      expect(await paymentsVisibleToV1()).toEqual([]);
    },
  );

  it('refuses text PostgreSQL cannot store with 400 INVALID naming the property, creating nothing', async () => {
    const res = await request(app.url, 'POST', '/api/hosted-payment-page', {
      key: token,
      rawBody: JSON.stringify({ ...HPP_BODY, customer_city: 'Sample\u0000town' }),
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      status: 'INVALID',
      errors: [{ property: 'customer_city', message: expect.stringContaining('NUL') }],
    });
    expect(await paymentsVisibleToV1()).toEqual([]);
  });

  it('keeps the simulation fields within the metadata limits', async () => {
    const res = await hpp({
      ...HPP_BODY,
      metadata: { simulated_flow: 'CHALLENGE', payment_provider_response_message: 'x'.repeat(501) },
    });
    expect(res.status).toBe(400);
    expect(res.json.errors.map((e: { property: string }) => e.property)).toEqual(['metadata']);
  });

  describe('authentication', () => {
    it.each([
      ['no token', null],
      ['a secret key instead of a token', 'secret'],
      ['garbage', 'not.a.token'],
    ])('%s → 401 INVALID on Authorization', async (_name, bearer) => {
      const res = await hpp(HPP_BODY, bearer === 'secret' ? merchant.test_secret_key : bearer);
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ status: 'INVALID', errors: [{ property: 'Authorization' }] });
    });

    it('requires x-api-key on /api/sessions, and it must be the same merchant as the token', async () => {
      const other = await newMerchant(app, 'Other');
      const body = { ...HPP_BODY, customer_id: undefined, tokenization: undefined };
      const missing = await request(app.url, 'POST', '/api/sessions', {
        key: token,
        body: { reference: 'r' },
      });
      expect(missing.status).toBe(401);
      expect(missing.json.errors[0].property).toBe('x-api-key');
      const mixed = await request(app.url, 'POST', '/api/sessions', {
        key: token,
        headers: { 'x-api-key': other.api_key },
        body,
      });
      expect(mixed.status).toBe(403);
      expect(mixed.json).toMatchObject({ status: 'INVALID', errors: [{ property: 'x-api-key' }] });
      const wrong = await request(app.url, 'POST', '/api/sessions', {
        key: token,
        headers: { 'x-api-key': 'nope' },
        body,
      });
      expect(wrong.status).toBe(401);
      expect(await paymentsVisibleToV1()).toEqual([]);
      expect(
        (await request(app.url, 'GET', '/v1/payments', { key: other.test_secret_key })).json.data,
      ).toEqual([]);
    });

    it("never shows one merchant's session to another", async () => {
      const created = await hpp(HPP_BODY);
      const other = await newMerchant(app, 'Other');
      const otherToken = await accessToken(app.url, other);
      const res = await request(app.url, 'GET', `/api/sessions/${created.json.session_id}`, {
        key: otherToken,
      });
      expect(res.status).toBe(404);
      expect(res.json.status).toBe('INVALID');
    });

    it('malformed JSON → 400 INVALID on body', async () => {
      const res = await request(app.url, 'POST', '/api/hosted-payment-page', {
        key: token,
        rawBody: '{"amount":',
      });
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ status: 'INVALID', errors: [{ property: 'body' }] });
    });
  });

  it('honours an Idempotency-Key: replays the response, creates one payment', async () => {
    const first = await hpp(HPP_BODY, token, { 'idempotency-key': 'hpp-1' });
    const again = await hpp(HPP_BODY, token, { 'idempotency-key': 'hpp-1' });
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await paymentsVisibleToV1()).toHaveLength(1);
  });

  it('refuses an Idempotency-Key reused for a different body (422) or sent twice (400), creating nothing more', async () => {
    await hpp(HPP_BODY, token, { 'idempotency-key': 'hpp-2' });
    const different = await hpp({ ...HPP_BODY, amount: HPP_BODY.amount + 1 }, token, {
      'idempotency-key': 'hpp-2',
    });
    expect(different.status).toBe(422);
    expect(different.json).toMatchObject({ status: 'INVALID', errors: [{ property: 'Idempotency-Key' }] });
    const badKey = await hpp(HPP_BODY, token, { 'idempotency-key': 'a b' });
    expect(badKey.status).toBe(400);
    expect(badKey.json).toMatchObject({ errors: [{ property: 'Idempotency-Key' }] });
    expect(await paymentsVisibleToV1()).toHaveLength(1);
  });
});
