import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { backends } from '../support/backends.js';
import { openCheckout } from '../support/checkout.js';
import { startFakeStripe, type FakeStripe } from '../support/fake-stripe.js';
import { eventually, request } from '../support/http.js';
import { startMain, type Proc } from '../support/processes.js';
import { createTestDatabase, serverUrls } from '../support/services.js';
import { freePort, newMerchant, startTill, TEST_ENCRYPTION_KEY, type Backend } from '../support/till.js';
import { selfSignedCertificate } from '../support/tls.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

const ADMIN = 'test-admin-token-0123456789';
const LIVE_KEY = `sk_live_${randomBytes(18).toString('hex')}`;
const WEBHOOK_SECRET = `whsec_${randomBytes(18).toString('hex')}`;
const CARD = { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123', name: 'Jenny Rosen' };

let tlsDir: string;
let tls: Awaited<ReturnType<typeof selfSignedCertificate>>;
/** Stripe over TLS (a live account's api_base must be https), accepting only the live key. */
let stripe: FakeStripe;

beforeAll(async () => {
  tlsDir = mkdtempSync(path.join(tmpdir(), 'till-tls-'));
  tls = await selfSignedCertificate(tlsDir);
  stripe = await startFakeStripe({ secretKey: LIVE_KEY, tls: { key: tls.key, cert: tls.cert } });
});
afterAll(async () => {
  expect(stripe.violations).toEqual([]);
  await stripe.close();
  rmSync(tlsDir, { recursive: true, force: true });
});

const liveAccount = (base: string, merchantId: string) =>
  request(base, 'POST', `/admin/v1/merchants/${merchantId}/connector_accounts`, {
    key: ADMIN,
    body: {
      connector: 'stripe',
      mode: 'live',
      label: 'Stripe live',
      currencies: ['EUR'],
      credentials: { secret_key: LIVE_KEY, webhook_secret: WEBHOOK_SECRET },
      api_base: stripe.url,
    },
  });

/** A v1 hosted payment with `key`, paid through the hosted page's checkout API. */
async function payWith(base: string, key: string) {
  const created = await request(base, 'POST', '/v1/payments/hpp', {
    key,
    body: { amount: 2100, currency: 'EUR', return_url: 'https://shop.example.com/r' },
  });
  expect(created.status).toBe(200);
  const { init, hpp } = await openCheckout(created.json.hosted_payment_url);
  const paid = await request(base, 'POST', `/hpp/api/sessions/${init.session_id}/pay`, {
    headers: { 'x-client-key': init.client_key, 'x-session-secret': hpp.session_secret },
    body: CARD,
  });
  expect(paid.status).toBe(200);
  return { id: created.json.id as string, created: created.json };
}

/** `npm start` (dist/main.js) as a child that trusts the fake's certificate, as it would a real CA. */
async function startTrustingTill(backend: Backend) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'till-live-'));
  const port = await freePort();
  const db = backend === 'server' ? await createTestDatabase() : null;
  const proc: Proc = startMain({
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    ADMIN_TOKEN: ADMIN,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'test',
    NODE_EXTRA_CA_CERTS: tls.certPath,
    ...(db
      ? { DATABASE_URL: db.url, REDIS_URL: serverUrls.redis!, TILL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY }
      : {}),
  });
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => {
    if (proc.child.exitCode !== null)
      throw new Error(`Till exited\nstdout:\n${proc.stdout()}\nstderr:\n${proc.stderr()}`);
    return (await fetch(`${url}/readyz`).catch(() => null))?.status === 200;
  }, 60_000);
  return {
    url,
    proc,
    async close() {
      proc.child.kill('SIGTERM');
      await proc.exited;
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe.each(backends)('live mode (%s)', (backend) => {
  let till: Awaited<ReturnType<typeof startTrustingTill>>;
  let merchant: MerchantCredentials;

  beforeAll(async () => {
    till = await startTrustingTill(backend);
    const created = await request(till.url, 'POST', '/admin/v1/merchants', {
      key: ADMIN,
      body: { name: 'Live shop' },
    });
    expect(created.status).toBe(201);
    merchant = created.json;
  }, 90_000);
  afterAll(() => till.close());

  it('takes no live payment without a live account, then runs the whole flow at a live https account', async () => {
    const refused = await request(till.url, 'POST', '/v1/payments/hpp', {
      key: merchant.live_secret_key,
      body: { amount: 2100, currency: 'EUR', return_url: 'https://shop.example.com/r' },
    });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({ type: 'invalid_request_error', code: 'livemode_unavailable' });
    expect(refused.json.error.message).toContain(
      `POST /admin/v1/merchants/${merchant.merchant_id}/connector_accounts`,
    );

    const account = await liveAccount(till.url, merchant.merchant_id);
    expect(account.status).toBe(201);
    expect(account.json).toMatchObject({ mode: 'live', api_base: stripe.url, status: 'enabled' });
    expect(account.text).not.toContain(LIVE_KEY);

    const before = stripe.requests.length;
    const live = await payWith(till.url, merchant.live_secret_key);
    expect(live.created).toMatchObject({ livemode: true, status: 'PENDING' });
    const payment = (
      await request(till.url, 'GET', `/v1/payments/${live.id}`, { key: merchant.live_secret_key })
    ).json;
    expect(payment).toMatchObject({
      livemode: true,
      status: 'SUCCEEDED',
      processor: {
        connector: 'stripe',
        account_id: account.json.id,
        reference: expect.stringMatching(/^pi_/),
      },
    });
    expect(payment.attempts).toEqual([
      expect.objectContaining({ connector: 'stripe', account_id: account.json.id, status: 'approved' }),
    ]);
    // The charge went to the fake over TLS with the live key, and the fake took it.
    const created = stripe.requests
      .slice(before)
      .filter((r) => r.endpoint === 'payment_intents.create' && r.status === 200);
    expect(created).toHaveLength(1);
    expect(stripe.paymentIntent(payment.processor.reference)).toMatchObject({
      status: 'succeeded',
      amount: 2100,
    });

    // Test keys never see it.
    const asTest = await request(till.url, 'GET', `/v1/payments/${live.id}`, {
      key: merchant.test_secret_key,
    });
    expect(asTest.status).toBe(404);
    const testList = await request(till.url, 'GET', '/v1/payments', { key: merchant.test_secret_key });
    expect(testList.json.data.map((p: { id: string }) => p.id)).not.toContain(live.id);
    const liveList = await request(till.url, 'GET', '/v1/payments', { key: merchant.live_secret_key });
    expect(liveList.json.data.map((p: { id: string }) => p.id)).toContain(live.id);

    // A test payment of the same merchant stays on the built-in sandbox: the live account never sees it.
    const afterLive = stripe.requests.length;
    const test = await payWith(till.url, merchant.test_secret_key);
    const testPayment = (
      await request(till.url, 'GET', `/v1/payments/${test.id}`, { key: merchant.test_secret_key })
    ).json;
    expect(testPayment).toMatchObject({
      livemode: false,
      status: 'SUCCEEDED',
      processor: { connector: 'sandbox', account_id: null },
    });
    expect(stripe.requests.length).toBe(afterLive);
    expect(`${till.proc.stdout()}${till.proc.stderr()}`).not.toContain(LIVE_KEY);
  }, 60_000);
});

describe('live mode without trusting the certificate', () => {
  it('an https api_base whose certificate Till does not trust is a technical failure, never a charge', async () => {
    // This process was started without NODE_EXTRA_CA_CERTS: the self-signed certificate is not trusted.
    const app = await startTill({ backend: 'embedded' });
    try {
      const merchant = await newMerchant(app, 'Untrusted');
      expect((await liveAccount(app.url, merchant.merchant_id)).status).toBe(201);
      const before = stripe.requests.length;
      const live = await payWith(app.url, merchant.live_secret_key);
      const payment = (
        await request(app.url, 'GET', `/v1/payments/${live.id}`, { key: merchant.live_secret_key })
      ).json;
      expect(payment).toMatchObject({ livemode: true, status: 'FAILED', decline_code: 'processing_error' });
      expect(payment.attempts).toEqual([
        expect.objectContaining({ status: 'technical_failure', error: 'connection' }),
      ]);
      expect(stripe.requests.length).toBe(before);
    } finally {
      await app.close();
    }
  });
});
