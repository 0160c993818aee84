import { CreateHostedPaymentDocument, PaymentStatusChangedDocument } from '../__generated__/graphql.js';
import { accessToken, HPP_BODY } from '../support/api-dialect.js';
import { backends } from '../support/backends.js';
import { openCheckout } from '../support/checkout.js';
import { Collector, gql, wsClient } from '../support/graphql.js';
import { request, SEED_004_SAMPLE } from '../support/http.js';
import { describeServer } from '../support/services.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { ApiRateLimit, DEFAULT_API_RATE } from '../../src/services/api-rate-limit.js';
import { LoginThrottle } from '../../src/services/login-throttle.js';
import { RateLimitStore } from '../../src/services/rate-limits.js';

/**
 * The API rate's window in these suites: wider than any burst they make can take, however loaded the
 * machine, so a burst's requests are always counted in one window and the refusals are exact.
 */
const WINDOW_SECONDS = 30;

/** Waits until the window a refusal's `Retry-After` names has ended. */
const pastWindow = (refused: { headers: Headers }) =>
  new Promise((r) => setTimeout(r, Number(refused.headers.get('retry-after')) * 1000 + 100));

const login = (app: RunningTill, username: string, password: string, from?: string) =>
  request(app.url, 'POST', '/api/oauth2/login/token', {
    body: { username, password },
    headers: from ? { 'x-forwarded-for': from } : {},
  });

/**
 * Pays a new v1 payment with a declining test card from `from` (a client address, through a trusted
 * proxy). Paced at 4 a second, under the per-key rates these suites set.
 */
async function declinedAttempt(app: RunningTill, merchant: MerchantCredentials, from = '203.0.113.9') {
  await new Promise((r) => setTimeout(r, 250));
  const res = await request(app.url, 'POST', '/v1/payments/hpp', {
    key: merchant.test_secret_key,
    body: SEED_004_SAMPLE,
  });
  const { init, hpp } = await openCheckout(res.json.hosted_payment_url);
  return request(app.url, 'POST', `/hpp/api/sessions/${init.session_id}/pay`, {
    headers: {
      'x-client-key': init.client_key,
      'x-session-secret': hpp.session_secret,
      'x-forwarded-for': from,
    },
    body: { number: '4000000000000002', exp_month: 12, exp_year: 2034, cvc: '123', name: 'Card Tester' },
  });
}

describe.each(backends)('rate limits and lockouts (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;

  beforeAll(async () => {
    app = await startTill({
      backend,
      env: {
        API_RATE_LIMIT_TEST: '5',
        API_RATE_LIMIT_LIVE: '8',
        API_RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
        LOGIN_MAX_FAILURES_PER_ADDRESS: '12',
        CHECKOUT_DECLINES_PER_MERCHANT: '3',
        TRUST_PROXY: 'loopback',
      },
    });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    merchant = await newMerchant(app, 'Busy');
  });

  it('each key may make its mode’s requests per window: REST answers 429 with Retry-After and the IETF RateLimit fields', async () => {
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 7; i++) {
      last = await request(app.url, 'GET', '/v1/payments', { key: merchant.test_secret_key });
      statuses.push(last.status);
      if (i === 0) {
        expect(last.headers.get('ratelimit-policy')).toBe(`"key";q=5;w=${WINDOW_SECONDS}`);
        expect(last.headers.get('ratelimit')).toMatch(/^"key";r=4;t=\d+$/);
      }
    }
    // Within one window: five pass, the rest are refused.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(last!.json.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'rate_limited',
      message: expect.stringContaining(`5 requests per ${WINDOW_SECONDS} seconds`),
    });
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(last!.headers.get('retry-after'))).toBeLessThanOrEqual(WINDOW_SECONDS);
    expect(last!.headers.get('ratelimit')).toMatch(/^"key";r=0;t=\d+$/);
    // Other keys are counted apart: the live key of the same merchant, and another merchant.
    expect((await request(app.url, 'GET', '/v1/payments', { key: merchant.live_secret_key })).status).toBe(
      200,
    );
    const other = await newMerchant(app, 'Calm');
    expect((await request(app.url, 'GET', '/v1/payments', { key: other.test_secret_key })).status).toBe(200);
  });

  it('a refused key works again once the window its Retry-After names has passed', async () => {
    // One request per two-second window: the second one is refused however slow the machine is, and
    // the test waits seconds, not the suites' wide window.
    const brief = await startTill({
      backend,
      env: { API_RATE_LIMIT_TEST: '1', API_RATE_LIMIT_WINDOW_SECONDS: '2' },
    });
    try {
      const key = (await newMerchant(brief, 'Brief')).test_secret_key;
      expect((await request(brief.url, 'GET', '/v1/payments', { key })).status).toBe(200);
      const refused = await request(brief.url, 'GET', '/v1/payments', { key });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(2);
      await pastWindow(refused);
      expect((await request(brief.url, 'GET', '/v1/payments', { key })).status).toBe(200);
    } finally {
      await brief.close();
    }
  });

  it('REST, GraphQL over HTTP and graphql-ws count against the same rate: RATE_LIMITED', async () => {
    // One REST request, then a socket opened before the burst (connecting is not an operation,
    // its subscription is): two of the window's five.
    const created = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: merchant.test_secret_key,
      body: SEED_004_SAMPLE,
    });
    const client = wsClient(app.url, merchant.test_secret_key);
    const first = new Collector(client, PaymentStatusChangedDocument, { paymentId: created.json.id });
    await first.until((c) => c.items.length === 1);
    const replies = [];
    for (let i = 0; i < 6; i++)
      replies.push(
        await gql(
          app.url,
          CreateHostedPaymentDocument,
          { input: { amount: 100, currency: 'EUR', returnUrl: 'https://shop.example.com/r' } },
          { key: merchant.test_secret_key },
        ),
      );
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 429, 429, 429]);
    expect(replies[3]!.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    const overSocket = new Collector(client, PaymentStatusChangedDocument, { paymentId: created.json.id });
    await overSocket.until((c) => c.errors.length > 0);
    expect((overSocket.errors[0] as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe(
      'RATE_LIMITED',
    );
    client.dispose();
  });

  it('the api dialect answers 429 in its own format', async () => {
    const token = await accessToken(app.url, merchant);
    const statuses: number[] = [];
    let res;
    for (let i = 0; i < 7; i++) {
      res = await request(app.url, 'POST', '/api/hosted-payment-page', { key: token, body: HPP_BODY });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(res!.json).toMatchObject({
      status: 'INVALID',
      errors: [{ message: expect.stringContaining('Too many') }],
    });
    expect(Number(res!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('locks an identity out from one address after 5 failures — that address only', async () => {
    const { username, password } = merchant.oauth;
    for (let i = 0; i < 5; i++)
      expect((await login(app, username, 'wrong', '198.51.100.1')).status).toBe(401);
    const locked = await login(app, username, password, '198.51.100.1');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(60);
    // The owner, elsewhere, is not locked out.
    expect((await login(app, username, password, '198.51.100.2')).status).toBe(200);
  });

  it('an address spraying many identities is locked out across all of them', async () => {
    for (let i = 0; i < 12; i++) await login(app, `usr_nobody${i}`, 'guess', '198.51.100.50');
    const res = await login(app, merchant.oauth.username, merchant.oauth.password, '198.51.100.50');
    expect(res.status).toBe(429);
    expect((await login(app, merchant.oauth.username, merchant.oauth.password, '198.51.100.51')).status).toBe(
      200,
    );
  });

  it('failures against one identity from many addresses slow it down, never lock its owner out', async () => {
    const { username, password } = merchant.oauth;
    for (let i = 0; i < 11; i++)
      expect((await login(app, username, 'wrong', `192.0.2.${i + 1}`)).status).toBe(401);
    // The 11th failure asks for a 2-second pause between attempts on this identity.
    const paused = await login(app, username, password, '192.0.2.200');
    expect(paused.status).toBe(429);
    const wait = Number(paused.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(2);
    await new Promise((r) => setTimeout(r, wait * 1000 + 100));
    expect((await login(app, username, password, '192.0.2.200')).status).toBe(200);
  });

  it('without a trusted proxy, X-Forwarded-For is ignored: the connection’s address is the client’s', async () => {
    const direct = await startTill({ backend, env: { LOGIN_MAX_FAILURES_PER_ADDRESS: '3' } });
    try {
      const m = await newMerchant(direct);
      for (let i = 0; i < 3; i++) await login(direct, `usr_x${i}`, 'guess', `203.0.113.${i}`);
      expect((await login(direct, m.oauth.username, m.oauth.password, '203.0.113.99')).status).toBe(429);
    } finally {
      await direct.close();
    }
  });

  it('a merchant’s decline velocity pauses its card submissions (card testing spread over many addresses)', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await declinedAttempt(app, merchant, `203.0.113.${i + 10}`)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const paused = await declinedAttempt(app, merchant, '203.0.113.77');
    expect(paused.status).toBe(429);
    expect(Number(paused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another merchant's checkout is untouched.
    const other = await newMerchant(app, 'Other shop');
    expect((await declinedAttempt(app, other, '203.0.113.78')).status).toBe(200);
  });

  it('a flood of 50,000 distinct identities does not lift an existing lockout', async () => {
    // In memory, a store bounded at 10,000 keys per counter: the flood overflows it five times.
    const store = await RateLimitStore.open(
      backend === 'server' ? app.till.config.redisUrl : null,
      `${app.till.config.rateLimits.keyPrefix}:flood`,
      10_000,
    );
    try {
      const throttle = new LoginThrottle(store);
      for (let i = 0; i < 5; i++) await throttle.fail('usr_victim', '198.51.100.9');
      expect(await throttle.retryAfter('usr_victim', '198.51.100.9')).toBeGreaterThan(0);
      for (let batch = 0; batch < 50; batch++)
        await Promise.all(
          Array.from({ length: 1000 }, (_, i) =>
            throttle.fail(`usr_flood_${batch}_${i}`, `10.${batch}.${i >> 8}.${i & 255}`),
          ),
        );
      expect(await throttle.retryAfter('usr_victim', '198.51.100.9')).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe('the API rate window', () => {
  it('is one second unless API_RATE_LIMIT_WINDOW_SECONDS widens it', () => {
    expect(loadConfig({}).rateLimits.apiWindowSeconds).toBe(1);
    expect(loadConfig({ API_RATE_LIMIT_WINDOW_SECONDS: '60' }).rateLimits.apiWindowSeconds).toBe(60);
    for (const bad of ['0', '3601', 'soon'])
      expect(() => loadConfig({ API_RATE_LIMIT_WINDOW_SECONDS: bad })).toThrow(ConfigError);
  });

  it('names a one-second window in its refusal as “per second”', async () => {
    const store = await RateLimitStore.open(null);
    const limit = new ApiRateLimit(store, { ...DEFAULT_API_RATE, testPerSecond: 1 });
    const principal = { merchantId: 'mer_1', livemode: false, credentialId: 'key_1' };
    expect((await limit.enforce(principal)).windowSec).toBe(1);
    await expect(limit.enforce(principal)).rejects.toThrow('this key may make 1 requests per second');
    await store.close();
  });
});

describeServer('rate limits shared across instances (PostgreSQL + Redis)', () => {
  const env = {
    API_RATE_LIMIT_TEST: '4',
    API_RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
    CHECKOUT_DECLINES_PER_MERCHANT: '2',
    TRUST_PROXY: 'loopback',
  };
  let a: RunningTill & { databaseUrl?: string };
  let b: RunningTill;

  beforeAll(async () => {
    a = await startTill({ backend: 'server', env });
    b = await startTill({ backend: 'server', env, databaseUrl: a.databaseUrl });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('the second instance refuses what the first counted: login lockout, API rate, decline velocity', async () => {
    const merchant = await newMerchant(a);
    for (let i = 0; i < 5; i++) await login(a, merchant.oauth.username, 'wrong', '198.51.100.3');
    expect((await login(b, merchant.oauth.username, merchant.oauth.password, '198.51.100.3')).status).toBe(
      429,
    );

    const statuses = [];
    for (const node of [a, a, a, a, b])
      statuses.push(
        (await request(node.url, 'GET', '/v1/payments', { key: merchant.test_secret_key })).status,
      );
    expect(statuses).toEqual([200, 200, 200, 200, 429]);

    // Another merchant's key, under its rate: only the declines count here.
    const shop = await newMerchant(a, 'Shop');
    expect((await declinedAttempt(a, shop, '203.0.113.30')).status).toBe(200);
    expect((await declinedAttempt(a, shop, '203.0.113.31')).status).toBe(200);
    expect((await declinedAttempt(b, shop, '203.0.113.32')).status).toBe(429);
  });

  it('a lockout survives a restart', async () => {
    const merchant = await newMerchant(a);
    for (let i = 0; i < 5; i++) await login(a, merchant.oauth.username, 'wrong', '198.51.100.4');
    await b.close();
    b = await startTill({ backend: 'server', env, databaseUrl: a.databaseUrl });
    expect((await login(b, merchant.oauth.username, merchant.oauth.password, '198.51.100.4')).status).toBe(
      429,
    );
  });
});
