import { randomBytes } from 'node:crypto';
import { accessToken } from '../support/api-dialect.js';
import { backends } from '../support/backends.js';
import { createSession, openCheckout } from '../support/checkout.js';
import { startFakeStripe, type FakeStripe } from '../support/fake-stripe.js';
import { request } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import { sealedFor } from '../../src/db/sealed-columns.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';
import { dumpAllTables } from '../support/database.js';

const ADMIN = 'test-admin-token-0123456789';

/** A fresh secret of each kind, so a test can search for exactly the values it stored. */
const secretKey = (mode: 'test' | 'live' = 'test') => `sk_${mode}_${randomBytes(18).toString('hex')}`;
const webhookSecret = () => `whsec_${randomBytes(18).toString('hex')}`;

describe.each(backends)('connector accounts through the admin API (%s)', (backend) => {
  let app: RunningTill;
  let stripe: FakeStripe;
  let merchant: MerchantCredentials;
  /** Every credential value a test stored: none may ever come back. */
  let secrets: string[];

  beforeAll(async () => {
    // Any sk_test_ key is accepted, so every account can have its own key.
    stripe = await startFakeStripe();
    app = await startTill({ backend, env: { CONNECTOR_TIMEOUT_MS: '5000' } });
  });
  afterAll(async () => {
    await app.close();
    expect(stripe.violations).toEqual([]);
    await stripe.close();
  });
  beforeEach(async () => {
    merchant = await newMerchant(app, 'Accounts shop');
    secrets = [];
  });

  const admin = (method: string, path: string, body?: unknown, token: string | null = ADMIN) =>
    request(app.url, method, `/admin/v1${path}`, { key: token, body });
  const accounts = (m = merchant) => `/merchants/${m.merchant_id}/connector_accounts`;

  /** Adds a Stripe test account at the fake (fresh secrets, remembered in `secrets`). */
  async function addStripe(extra: Record<string, unknown> = {}, m = merchant) {
    const credentials = { secret_key: secretKey(), webhook_secret: webhookSecret() };
    secrets.push(...Object.values(credentials));
    const res = await admin('POST', accounts(m), {
      connector: 'stripe',
      mode: 'test',
      label: 'Stripe EU',
      currencies: ['EUR'],
      priority: 1,
      credentials,
      api_base: stripe.url,
      ...extra,
    });
    expect(res.status).toBe(201);
    return res.json;
  }

  const v1 = async (path: string, key = merchant.test_secret_key) =>
    (await request(app.url, 'GET', `/v1${path}`, { key })).json;

  /** A v1 hosted payment paid through the hosted page's checkout API with a test card. */
  async function paidV1(extra: Record<string, unknown> = {}) {
    const created = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: merchant.test_secret_key,
      body: { amount: 1500, currency: 'EUR', return_url: 'https://shop.example.com/r', ...extra },
    });
    expect(created.status).toBe(200);
    const checkout = await openCheckout(created.json.hosted_payment_url);
    await payCheckout(checkout);
    return v1(`/payments/${created.json.id}`);
  }

  /** An api-dialect session on `terminal`, paid through the hosted page's checkout API. */
  async function payOn(terminal: string, extra: Record<string, unknown> = {}) {
    const session = await createSession(app.url, await accessToken(app.url, merchant), {
      terminal_id: terminal,
      ...extra,
    });
    const checkout = await openCheckout(session.redirect_url);
    await payCheckout(checkout);
    return v1(`/payments/${checkout.hpp.payment_id}`);
  }

  async function payCheckout(checkout: Awaited<ReturnType<typeof openCheckout>>) {
    const paid = await request(app.url, 'POST', `/hpp/api/sessions/${checkout.init.session_id}/pay`, {
      headers: { 'x-client-key': checkout.init.client_key, 'x-session-secret': checkout.hpp.session_secret },
      body: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123', name: 'Jenny Rosen' },
    });
    expect(paid.status).toBe(200);
  }

  /** An account's credentials as stored, opened with Till's own sealer. */
  async function storedCredentials(id: string): Promise<Record<string, string>> {
    const [row] = await app.till.db.em
      .fork()
      .execute<{ credentials: string }[]>('select credentials from connector_account where id = ?', [id]);
    return JSON.parse(app.till.sealer.open(row!.credentials, sealedFor.connectorAccount(id)));
  }

  function expectNoSecret(text: string) {
    for (const secret of secrets) expect(text).not.toContain(secret);
  }

  it('creates, lists in routing order, gets and updates an account without ever showing a credential', async () => {
    const created = await addStripe({ priority: 5 });
    expect(created).toMatchObject({
      id: expect.stringMatching(/^ca_[A-Za-z0-9]{24}$/),
      object: 'connector_account',
      merchant_id: merchant.merchant_id,
      connector: 'stripe',
      mode: 'test',
      label: 'Stripe EU',
      currencies: ['EUR'],
      priority: 5,
      api_base: stripe.url,
      credentials_set: ['secret_key', 'webhook_secret'],
      status: 'enabled',
      created_at: expect.any(Number),
    });
    expect(created.webhook_url).toMatch(new RegExp(`/connectors/stripe/${created.id}/webhook$`));
    expect(created).not.toHaveProperty('credentials');

    const first = await addStripe({ priority: 2, label: 'First' });
    const sandbox = await admin('POST', accounts(), { connector: 'sandbox', mode: 'test', priority: 9 });
    expect(sandbox.status).toBe(201);
    expect(sandbox.json).toMatchObject({ credentials_set: [], webhook_url: null, label: 'sandbox' });
    const liveKey = secretKey('live');
    secrets.push(liveKey);
    const live = await admin('POST', accounts(), {
      connector: 'stripe',
      mode: 'live',
      priority: 1,
      credentials: { secret_key: liveKey },
      api_base: 'https://stripe-proxy.example.com',
    });
    expect(live.status).toBe(201);
    expect(live.json).toMatchObject({ mode: 'live', credentials_set: ['secret_key'], currencies: [] });

    const list = await admin('GET', accounts());
    expect(list.status).toBe(200);
    expect(list.json.object).toBe('list');
    const testIds = list.json.data
      .filter((a: { mode: string }) => a.mode === 'test')
      .map((a: { id: string }) => a.id);
    expect(testIds).toEqual([first.id, created.id, sandbox.json.id]);
    expect(
      (await admin('GET', `${accounts()}?mode=test`)).json.data.map((a: { id: string }) => a.id),
    ).toEqual(testIds);
    expect(
      (await admin('GET', `${accounts()}?mode=live`)).json.data.map((a: { id: string }) => a.id),
    ).toEqual([live.json.id]);
    expect((await admin('GET', `${accounts()}?mode=both`)).status).toBe(400);

    const got = await admin('GET', `${accounts()}/${created.id}`);
    expect(got.status).toBe(200);
    expect(got.json).toEqual(created);

    // Credentials are merged: replacing the webhook secret keeps the secret key.
    const newWebhookSecret = webhookSecret();
    secrets.push(newWebhookSecret);
    const updated = await admin('POST', `${accounts()}/${created.id}`, {
      label: 'Stripe EU (renamed)',
      priority: 7,
      currencies: ['EUR', 'USD'],
      credentials: { webhook_secret: newWebhookSecret },
    });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({
      id: created.id,
      label: 'Stripe EU (renamed)',
      priority: 7,
      currencies: ['EUR', 'USD'],
      credentials_set: ['secret_key', 'webhook_secret'],
    });
    const opened = await storedCredentials(created.id);
    expect(opened.webhook_secret).toBe(newWebhookSecret);
    expect(opened.secret_key).toBe(secrets[0]);

    for (const fixed of [
      { connector: 'adyen' },
      { mode: 'live' },
      { api_base: 'https://elsewhere.example.com' },
    ]) {
      const refused = await admin('POST', `${accounts()}/${created.id}`, fixed);
      expect(refused.status).toBe(400);
      expect(refused.json.error).toMatchObject({
        type: 'invalid_request_error',
        param: Object.keys(fixed)[0],
      });
    }
    expect((await admin('GET', `${accounts()}/${created.id}`)).json).toEqual(updated.json);

    for (const text of [created, first, sandbox.json, live.json, list.json, got.json, updated.json].map((x) =>
      JSON.stringify(x),
    ))
      expectNoSecret(text);
  });

  it('refuses bad accounts with a 400 naming the field, never echoing a secret, and writes nothing', async () => {
    await addStripe();
    const before = (await admin('GET', accounts())).text;
    const auditBefore = (await admin('GET', `/merchants/${merchant.merchant_id}/audit_log`)).json.data.length;
    const testKey = secretKey();
    const liveKey = secretKey('live');
    const whsec = webhookSecret();
    secrets.push(testKey, liveKey, whsec);
    const stripeTest = { connector: 'stripe', mode: 'test', credentials: { secret_key: testKey } };
    const stripeLive = { connector: 'stripe', mode: 'live', credentials: { secret_key: liveKey } };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...stripeTest, connector: 'paypal' }, 'connector'],
      [{ connector: 'sandbox', mode: 'live' }, 'mode'],
      [
        { connector: 'stripe', mode: 'test', credentials: { webhook_secret: whsec } },
        'credentials.secret_key',
      ],
      [{ connector: 'stripe', mode: 'test' }, 'credentials.secret_key'],
      [
        { connector: 'adyen', mode: 'test', credentials: { api_key: testKey } },
        'credentials.merchant_account',
      ],
      [
        {
          connector: 'adyen',
          mode: 'live',
          credentials: { api_key: testKey, merchant_account: 'ShopECOM', hmac_key: 'AB'.repeat(32) },
          api_base: 'https://adyen-proxy.example.com',
        },
        'credentials.live_url_prefix',
      ],
      [{ ...stripeLive, credentials: { secret_key: testKey } }, 'credentials.secret_key'],
      [{ ...stripeTest, credentials: { secret_key: liveKey } }, 'credentials.secret_key'],
      [{ ...stripeLive, api_base: 'http://stripe-proxy.example.com' }, 'api_base'],
      [{ ...stripeTest, api_base: 'https://user:pass@stripe-proxy.example.com' }, 'api_base'],
      [{ ...stripeTest, api_base: 'https://stripe-proxy.example.com/?key=1' }, 'api_base'],
      [{ ...stripeTest, api_base: 'ftp://stripe-proxy.example.com' }, 'api_base'],
      [{ ...stripeTest, priority: 0 }, 'priority'],
      [{ ...stripeTest, priority: 1001 }, 'priority'],
      [{ ...stripeTest, priority: 1.5 }, 'priority'],
      [{ ...stripeTest, currencies: ['eur'] }, 'currencies'],
      [{ ...stripeTest, currencies: ['EURO'] }, 'currencies'],
      [{ ...stripeTest, currencies: 'EUR' }, 'currencies'],
      [
        { ...stripeTest, credentials: { secret_key: testKey, publishable_key: whsec } },
        'credentials.publishable_key',
      ],
      [
        { ...stripeTest, credentials: { secret_key: testKey, webhook_secret: '' } },
        'credentials.webhook_secret',
      ],
      [{ ...stripeTest, label: '' }, 'label'],
      [
        {
          connector: 'adyen',
          mode: 'test',
          credentials: { api_key: testKey, merchant_account: 'ShopECOM', hmac_key: whsec },
        },
        'credentials.hmac_key',
      ],
    ];
    for (const [body, param] of cases) {
      const res = await admin('POST', accounts(), body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.json.error).toMatchObject({
        type: 'invalid_request_error',
        param,
        message: expect.any(String),
      });
      expectNoSecret(res.text);
    }
    expect((await admin('GET', accounts())).text).toBe(before);
    const auditAfter = (await admin('GET', `/merchants/${merchant.merchant_id}/audit_log`)).json.data.length;
    expect(auditAfter).toBe(auditBefore);
  });

  it('refuses bad updates the same way, changing nothing', async () => {
    const account = await addStripe();
    const path = `${accounts()}/${account.id}`;
    const before = (await admin('GET', path)).text;
    const sealedBefore = await storedCredentials(account.id);
    const liveKey = secretKey('live');
    const whsec = webhookSecret();
    secrets.push(liveKey, whsec);
    const cases: [Record<string, unknown>, string][] = [
      [{ credentials: { secret_key: liveKey } }, 'credentials.secret_key'],
      [{ credentials: { webhook_secret: whsec, api_key: liveKey } }, 'credentials.api_key'],
      [{ credentials: { webhook_secret: '' } }, 'credentials.webhook_secret'],
      [{ credentials: 'sk_test_nope' }, 'credentials'],
      [{ priority: 0, label: 'ok' }, 'priority'],
      [{ currencies: ['usd'], credentials: { webhook_secret: whsec } }, 'currencies'],
      [{ label: ' ' }, 'label'],
    ];
    for (const [body, param] of cases) {
      const res = await admin('POST', path, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.json.error).toMatchObject({ type: 'invalid_request_error', param });
      expectNoSecret(res.text);
    }
    expect((await admin('GET', path)).text).toBe(before);
    expect(await storedCredentials(account.id)).toEqual(sealedBefore);
  });

  it("answers 404 for another merchant's account and 401 for a wrong admin token", async () => {
    const other = await newMerchant(app, 'Other shop');
    const theirs = await addStripe({}, other);
    for (const [method, body] of [
      ['GET', undefined],
      ['POST', { label: 'mine now' }],
      ['DELETE', undefined],
    ] as const) {
      const res = await admin(method, `${accounts()}/${theirs.id}`, body);
      expect(res.status).toBe(404);
      expect(res.json.error).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing' });
    }
    const pin = await admin('PUT', `/merchants/${merchant.merchant_id}/terminals/DEV02/connector_accounts`, {
      connector_account_ids: [theirs.id],
    });
    expect(pin.status).toBe(400);
    expect(pin.json.error.param).toBe('connector_account_ids[0]');
    // Untouched, and still only theirs.
    expect((await admin('GET', `${accounts(other)}/${theirs.id}`)).json).toEqual(theirs);
    expect((await admin('GET', accounts())).json.data).toEqual([]);
    expect((await admin('GET', `${accounts()}/ca_doesnotexist00000000000`)).status).toBe(404);
    expect((await admin('GET', `/merchants/mer_nobody/connector_accounts`)).status).toBe(404);

    for (const token of ['wrong-admin-token-0123456789', null]) {
      for (const [method, path, body] of [
        ['GET', accounts(other), undefined],
        ['POST', accounts(other), { connector: 'sandbox', mode: 'test' }],
        ['DELETE', `${accounts(other)}/${theirs.id}`, undefined],
      ] as const) {
        const res = await admin(method, path, body, token);
        expect(res.status).toBe(401);
        expect(res.json.error).toMatchObject({ type: 'authentication_error' });
      }
    }
    expect((await admin('GET', accounts(other))).json.data).toHaveLength(1);
  });

  it('refuses a card when the merchant has test accounts but none takes the currency (no silent sandbox)', async () => {
    await addStripe({ currencies: ['BAM'], label: 'BAM only' });
    const created = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: merchant.test_secret_key,
      body: { amount: 1500, currency: 'EUR', return_url: 'https://shop.example.com/r' },
    });
    const checkout = await openCheckout(created.json.hosted_payment_url);
    const paid = await request(app.url, 'POST', `/hpp/api/sessions/${checkout.init.session_id}/pay`, {
      headers: { 'x-client-key': checkout.init.client_key, 'x-session-secret': checkout.hpp.session_secret },
      body: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123', name: 'Jenny Rosen' },
    });
    expect(paid.status).toBe(409);
    expect(paid.json.message).toBe('No connector account of this merchant takes EUR test payments.');
    expect(await v1(`/payments/${created.json.id}`)).toMatchObject({
      status: 'PENDING',
      processor: null,
      attempts: [],
    });
  });

  it('routes by currency and priority, skips disabled accounts, and falls back to the built-in sandbox', async () => {
    // No account: the built-in sandbox.
    const onSandbox = await paidV1();
    expect(onSandbox).toMatchObject({
      status: 'SUCCEEDED',
      processor: { connector: 'sandbox', account_id: null },
    });
    const bam = await addStripe({ currencies: ['BAM'], priority: 1, label: 'BAM only' });
    const eurLater = await addStripe({ currencies: ['EUR'], priority: 20, label: 'EUR later' });
    const anyFirst = await addStripe({ currencies: [], priority: 10, label: 'Every currency' });

    const eur = await paidV1();
    expect(eur).toMatchObject({
      status: 'SUCCEEDED',
      processor: { connector: 'stripe', account_id: anyFirst.id },
    });
    expect(eur.attempts.map((a: { account_id: string }) => a.account_id)).toEqual([anyFirst.id]);
    // TERM001 also takes BAM (v1 payments are EUR only).
    const marks = await payOn('TERM001', { currency: 'BAM' });
    expect(marks).toMatchObject({ status: 'SUCCEEDED', currency: 'BAM', processor: { account_id: bam.id } });
    expect((await payOn('TERM001')).processor.account_id).toBe(anyFirst.id);

    // Disabled: no longer routed, the next account takes over.
    const disabled = await admin('DELETE', `${accounts()}/${anyFirst.id}`);
    expect(disabled.status).toBe(200);
    expect(disabled.json).toMatchObject({ id: anyFirst.id, status: 'disabled' });
    expect((await paidV1()).processor.account_id).toBe(eurLater.id);
    // Listing still shows it, disabled.
    const listed = (await admin('GET', accounts())).json.data;
    expect(listed.find((a: { id: string }) => a.id === anyFirst.id).status).toBe('disabled');
  });

  it('a Stripe account added before its webhook secret exists takes payments; the secret can be added later', async () => {
    const key = secretKey();
    secrets.push(key);
    const created = await admin('POST', accounts(), {
      connector: 'stripe',
      mode: 'test',
      credentials: { secret_key: key },
      api_base: stripe.url,
    });
    expect(created.status).toBe(201);
    expect(created.json.credentials_set).toEqual(['secret_key']);
    const payment = await paidV1();
    expect(payment).toMatchObject({ status: 'SUCCEEDED', processor: { account_id: created.json.id } });

    // Its webhooks are refused until the secret is added; then they verify with it.
    const whsec = webhookSecret();
    secrets.push(whsec);
    const event = stripe.paymentIntentEvent('payment_intent.succeeded', payment.processor.reference);
    const deliver = (secret: string) => {
      const signed = stripe.signEvent(event, secret);
      return request(app.url, 'POST', `/connectors/stripe/${created.json.id}/webhook`, {
        rawBody: signed.payload,
        headers: { 'content-type': 'application/json', 'stripe-signature': signed.header },
      });
    };
    const early = await deliver(whsec);
    expect(early.status).toBe(400);
    expect(early.json.error).toMatchObject({ param: 'signature' });
    const updated = await admin('POST', `${accounts()}/${created.json.id}`, {
      credentials: { webhook_secret: whsec },
    });
    expect(updated.json.credentials_set).toEqual(['secret_key', 'webhook_secret']);
    const later = await deliver(whsec);
    expect(later.status).toBe(200);
    expect(later.json).toEqual({ received: true });
    expect((await deliver(webhookSecret())).status).toBe(400);
    expect(await v1(`/payments/${payment.id}`)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it("a merchant's own sandbox account is routed like any other, by its id", async () => {
    const stripeLater = await addStripe({ priority: 2 });
    const own = await admin('POST', accounts(), { connector: 'sandbox', mode: 'test', priority: 1 });
    expect(own.status).toBe(201);
    expect((await paidV1()).processor).toMatchObject({ connector: 'sandbox', account_id: own.json.id });
    await admin('DELETE', `${accounts()}/${own.json.id}`);
    expect((await paidV1()).processor).toMatchObject({ connector: 'stripe', account_id: stripeLater.id });
  });

  it('a disabled account still refunds the payment it holds', async () => {
    const account = await addStripe();
    const payment = await paidV1();
    expect(payment).toMatchObject({
      status: 'SUCCEEDED',
      processor: { connector: 'stripe', account_id: account.id },
    });
    expect((await admin('DELETE', `${accounts()}/${account.id}`)).json.status).toBe('disabled');
    // Disabling twice is the same answer, audited once.
    expect((await admin('DELETE', `${accounts()}/${account.id}`)).json.status).toBe('disabled');

    const refundsBefore = stripe.requests.filter(
      (r) => r.endpoint === 'refunds.create' && r.status === 200,
    ).length;
    const refund = await request(app.url, 'POST', `/v1/payments/${payment.id}/refunds`, {
      key: merchant.test_secret_key,
      body: { amount: 500 },
    });
    expect(refund.status).toBe(200);
    expect(refund.json).toMatchObject({ amount: 500, status: 'succeeded' });
    expect(stripe.requests.filter((r) => r.endpoint === 'refunds.create' && r.status === 200).length).toBe(
      refundsBefore + 1,
    );
    expect(await v1(`/payments/${payment.id}`)).toMatchObject({ amount_refunded: 500 });
    // New payments go elsewhere (here: the built-in sandbox, no enabled account being left).
    expect((await paidV1()).processor).toMatchObject({ connector: 'sandbox', account_id: null });
  });

  it('a pinned terminal routes only to its accounts, in the pinned order', async () => {
    const a = await addStripe({ priority: 1, label: 'A' });
    const b = await addStripe({ priority: 2, label: 'B' });
    const c = await addStripe({ priority: 3, label: 'C' });
    const pinPath = `/merchants/${merchant.merchant_id}/terminals/DEV02/connector_accounts`;
    const pinned = await admin('PUT', pinPath, { connector_account_ids: [c.id, b.id] });
    expect(pinned.status).toBe(200);
    expect(pinned.json).toEqual({ terminal_id: 'DEV02', connector_account_ids: [c.id, b.id] });
    expect((await admin('PUT', pinPath, { connector_account_ids: [c.id, c.id] })).json.error.param).toBe(
      'connector_account_ids',
    );
    expect((await admin('PUT', pinPath, { connector_account_ids: [] })).status).toBe(400);
    expect(
      (
        await admin('PUT', `/merchants/${merchant.merchant_id}/terminals/NOPE99/connector_accounts`, {
          connector_account_ids: [a.id],
        })
      ).status,
    ).toBe(404);

    // The first pinned account fails technically (500, and 500 again on the replay): the second takes it.
    stripe.script('payment_intents.create', { kind: 'server_error_before' }, { kind: 'server_error_before' });
    const failedOver = await payOn('DEV02');
    expect(failedOver).toMatchObject({
      status: 'SUCCEEDED',
      processor: { connector: 'stripe', account_id: b.id },
    });
    expect(
      failedOver.attempts.map((x: { account_id: string; status: string }) => [x.account_id, x.status]),
    ).toEqual([
      [c.id, 'technical_failure'],
      [b.id, 'approved'],
    ]);
    expect((await payOn('DEV02')).processor.account_id).toBe(c.id);
    // Another terminal is not pinned: routing by priority.
    expect((await payOn('TERM001')).processor.account_id).toBe(a.id);
    // A disabled pinned account is skipped; unpinning returns to priority order.
    await admin('DELETE', `${accounts()}/${c.id}`);
    expect((await payOn('DEV02')).processor.account_id).toBe(b.id);
    expect(
      (await admin('PUT', pinPath, { connector_account_ids: null })).json.connector_account_ids,
    ).toBeNull();
    expect((await payOn('DEV02')).processor.account_id).toBe(a.id);
  });

  it('test payments never route to live accounts, and live payments never to test accounts', async () => {
    const liveKey = secretKey('live');
    secrets.push(liveKey);
    const live = await admin('POST', accounts(), {
      connector: 'stripe',
      mode: 'live',
      priority: 1,
      credentials: { secret_key: liveKey, webhook_secret: webhookSecret() },
      // Unreachable: a test payment sent there would fail, not succeed on the sandbox.
      api_base: 'https://127.0.0.1:9',
    });
    expect(live.status).toBe(201);
    expect((await paidV1()).processor).toMatchObject({ connector: 'sandbox', account_id: null });

    // A merchant with test accounts only takes no live payment; the message says how to add one.
    const testOnly = await newMerchant(app, 'Test only');
    await addStripe({}, testOnly);
    const refused = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: testOnly.live_secret_key,
      body: { amount: 1500, currency: 'EUR', return_url: 'https://shop.example.com/r' },
    });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({ code: 'livemode_unavailable' });
    expect(refused.json.error.message).toContain(
      `POST /admin/v1/merchants/${testOnly.merchant_id}/connector_accounts`,
    );
    // Disabling the only live account takes live payments away again.
    const liveOk = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: merchant.live_secret_key,
      body: { amount: 1500, currency: 'EUR', return_url: 'https://shop.example.com/r' },
    });
    expect(liveOk.status).toBe(200);
    expect(liveOk.json.livemode).toBe(true);
    await admin('DELETE', `${accounts()}/${live.json.id}`);
    const afterDisable = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: merchant.live_secret_key,
      body: { amount: 1500, currency: 'EUR', return_url: 'https://shop.example.com/r' },
    });
    expect(afterDisable.json.error).toMatchObject({ code: 'livemode_unavailable' });
  });

  it('audits create, update, disable and pin, without secrets', async () => {
    const account = await addStripe();
    const newSecret = webhookSecret();
    secrets.push(newSecret);
    await admin('POST', `${accounts()}/${account.id}`, {
      label: 'Renamed',
      credentials: { webhook_secret: newSecret },
    });
    await admin('PUT', `/merchants/${merchant.merchant_id}/terminals/DEV02/connector_accounts`, {
      connector_account_ids: [account.id],
    });
    await admin('DELETE', `${accounts()}/${account.id}`);
    await admin('DELETE', `${accounts()}/${account.id}`);
    const log = await admin('GET', `/merchants/${merchant.merchant_id}/audit_log`);
    expect(log.status).toBe(200);
    const mine = log.json.data
      .filter((e: { object_id: string }) => e.object_id === account.id || e.object_id === 'DEV02')
      .map((e: { action: string; actor: { type: string } }) => [e.action, e.actor.type]);
    expect(mine.sort()).toEqual(
      [
        ['connector_account.created', 'admin'],
        ['connector_account.updated', 'admin'],
        ['connector_account.disabled', 'admin'],
        ['terminal.connectors_pinned', 'admin'],
      ].sort(),
    );
    const updated = log.json.data.find((e: { action: string }) => e.action === 'connector_account.updated');
    expect(updated.details).toMatchObject({ label: 'Renamed', credentials_replaced: ['webhook_secret'] });
    expectNoSecret(log.text);
  });

  it('keeps credentials sealed at rest: no value in any table, the column sealed with v1:', async () => {
    const account = await addStripe();
    const adyenKey = `AQE${randomBytes(20).toString('hex')}`;
    const hmac = randomBytes(32).toString('hex').toUpperCase();
    secrets.push(adyenKey, hmac);
    const adyen = await admin('POST', accounts(), {
      connector: 'adyen',
      mode: 'test',
      credentials: { api_key: adyenKey, merchant_account: 'ShopECOM', hmac_key: hmac },
      api_base: 'http://127.0.0.1:9',
    });
    expect(adyen.status).toBe(201);
    expect(adyen.json.credentials_set).toEqual(['api_key', 'hmac_key', 'merchant_account']);
    expect(adyen.json.webhook_url).toMatch(new RegExp(`/connectors/adyen/${adyen.json.id}/notifications$`));
    // A payment proves the sealed credentials open.
    expect((await paidV1()).processor.account_id).toBe(account.id);

    const dump = await dumpAllTables(app.till.db);
    expect(dump).toContain(account.id); // the search looked in the right place
    expectNoSecret(dump);
    expectNoSecret(app.logs.join('\n'));
    const rows = await app.till.db.em
      .fork()
      .execute<{ id: string; credentials: string }[]>(
        'select id, credentials from connector_account where merchant_id = ?',
        [merchant.merchant_id],
      );
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.credentials.startsWith('v1:')).toBe(true);
    expect(await storedCredentials(adyen.json.id)).toMatchObject({ api_key: adyenKey, hmac_key: hmac });
    // Each is bound to its own account: one account's sealed credentials do not open as another's.
    const adyenSealed = rows.find((r) => r.id === adyen.json.id)!.credentials;
    expect(() => app.till.sealer.open(adyenSealed, sealedFor.connectorAccount(account.id))).toThrow();
  });
});
