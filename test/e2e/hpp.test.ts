import type { Browser, Page } from 'playwright-core';
import {
  PaymentDocument,
  PaymentStatusChangedDocument,
  type PaymentStatusChangedSubscription,
} from '../__generated__/graphql.js';
import { accessToken } from '../support/api-dialect.js';
import { createSession } from '../support/checkout.js';
import { describeBrowser, launchBrowser, MerchantSite, screenshot } from '../support/browser.js';
import { Collector, gql, wsClient } from '../support/graphql.js';
import { request } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

describeBrowser('the hosted payment page in Chromium', () => {
  let app: RunningTill;
  let browser: Browser;
  let shop: MerchantSite;
  let merchant: MerchantCredentials;
  let token: string;
  let page: Page;

  beforeAll(async () => {
    [app, browser, shop] = await Promise.all([
      startTill({ backend: 'embedded' }),
      launchBrowser(),
      new MerchantSite().start(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await shop?.stop();
    await app?.close();
  });
  beforeEach(async () => {
    merchant = await newMerchant(app, 'Acme Shop');
    token = await accessToken(app.url, merchant);
    page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  });
  afterEach(async () => {
    await page.close();
  });

  /** A seed 004 payment: one return_url. */
  async function v1Payment(extra: Record<string, unknown> = {}) {
    const res = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: merchant.test_secret_key,
      body: {
        amount: 2500,
        currency: 'EUR',
        description: 'Order #5678',
        return_url: `${shop.url}/return`,
        ...extra,
      },
    });
    expect(res.status).toBe(200);
    return res.json as { id: string; hosted_payment_url: string };
  }

  /** A seed 000 session: success, cancel and error URLs. */
  async function apiPayment(extra: Record<string, unknown> = {}) {
    const created = await createSession(app.url, token, {
      description: 'Order #1',
      success_url: `${shop.url}/success`,
      cancel_url: `${shop.url}/cancel`,
      error_url: `${shop.url}/error`,
      ...extra,
    });
    const session = await request(app.url, 'GET', `/api/sessions/${created.session_id}`, { key: token });
    return { redirectUrl: created.redirect_url, id: session.json.payment_id as string };
  }

  async function fillCard(card: string, expiry = '12/34', cvc = '123', name = 'Jenny Rosen') {
    await page.getByLabel('Card number').fill(card);
    await page.getByLabel('Expiry date (MM/YY)').fill(expiry);
    await page.getByLabel('Security code').fill(cvc);
    await page.getByLabel('Name on card').fill(name);
  }

  const v1 = async (id: string) =>
    (await request(app.url, 'GET', `/v1/payments/${id}`, { key: merchant.test_secret_key })).json;

  it('pays with 4242 4242 4242 4242, lands on the return_url, and the merchant sees SUCCEEDED in GraphQL, v1 and live', async () => {
    const payment = await v1Payment();
    const client = wsClient(app.url, merchant.test_secret_key);
    const live = new Collector<PaymentStatusChangedSubscription>(client, PaymentStatusChangedDocument, {
      paymentId: payment.id,
    });
    await live.until((c) => c.items.length === 1);

    await page.goto(payment.hosted_payment_url);
    await expect(page.locator('#merchant').textContent()).resolves.toBe('Acme Shop');
    await expect(page.locator('#amount').textContent()).resolves.toBe('€25.00');
    await expect(page.locator('#description').textContent()).resolves.toBe('Order #5678');
    const init = await page.evaluate(() => ({ init: window.InitData, hpp: window.HppData }));
    expect(init.init).toEqual({
      client_key: merchant.client_key,
      session_id: expect.stringMatching(/^[A-Za-z0-9]{20}$/),
    });
    await screenshot(page, '01-form');
    await page.getByLabel('Card number').pressSequentially('4242424242424242');
    await expect(page.getByLabel('Card number').inputValue()).resolves.toBe('4242 4242 4242 4242');
    await expect(page.locator('#card-brand').textContent()).resolves.toBe('visa');
    await page.getByLabel('Expiry date (MM/YY)').pressSequentially('1234');
    await page.getByLabel('Security code').fill('123');
    await page.getByLabel('Name on card').fill('Jenny Rosen');
    await screenshot(page, '02-form-filled');
    await Promise.all([
      page.waitForURL(`${shop.url}/return`),
      page.getByRole('button', { name: 'Pay €25.00' }).click(),
    ]);

    const viaV1 = await v1(payment.id);
    expect(viaV1).toMatchObject({
      status: 'SUCCEEDED',
      card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2034 },
    });
    expect(viaV1.status_transitions.processing_at).toEqual(expect.any(Number));
    expect(viaV1.status_transitions.succeeded_at).toEqual(expect.any(Number));
    const viaGraphQL = await gql(
      app.url,
      PaymentDocument,
      { id: payment.id },
      { key: merchant.test_secret_key },
    );
    expect(viaGraphQL.data!.payment.status).toBe('SUCCEEDED');
    await live.until((c) => c.items.some((i) => i.paymentStatusChanged.status === 'SUCCEEDED'));
    expect(live.items.map((i) => i.paymentStatusChanged.status)).toEqual([
      'PENDING',
      'PROCESSING',
      'SUCCEEDED',
    ]);
    live.dispose();
    await client.dispose();

    // Opening the link again shows that it is paid, with no form.
    await page.goto(payment.hosted_payment_url);
    await expect(page.locator('#state').getAttribute('data-state')).resolves.toBe('paid');
    expect(await page.locator('form#checkout').count()).toBe(0);
    await screenshot(page, '03-already-paid');
  });

  it.each([
    ['4000000000000002', 'card_declined'],
    ['4000000000009995', 'insufficient_funds'],
    ['4000000000000069', 'expired_card'],
    ['4000000000000127', 'incorrect_cvc'],
    ['4000000000000119', 'processing_error'],
  ])('%s ends FAILED with %s on the error_url', async (card, code) => {
    const payment = await apiPayment();
    await page.goto(payment.redirectUrl);
    await fillCard(card);
    await Promise.all([
      page.waitForURL(`${shop.url}/error`),
      page.getByRole('button', { name: 'Pay €49.99' }).click(),
    ]);
    expect(await v1(payment.id)).toMatchObject({
      status: 'FAILED',
      decline_code: code,
      decline_message: expect.any(String),
    });
    if (code === 'card_declined') {
      await page.goto(payment.redirectUrl);
      await expect(page.locator('#state').getAttribute('data-state')).resolves.toBe('failed');
      await screenshot(page, '04-declined');
    }
  });

  it('4000 0000 0000 3220: 3-D Secure challenge passed → SUCCEEDED; the dashboard sees REQUIRES_ACTION live', async () => {
    const payment = await apiPayment();
    const client = wsClient(app.url, token);
    const live = new Collector<PaymentStatusChangedSubscription>(client, PaymentStatusChangedDocument, {
      paymentId: payment.id,
    });
    await live.until((c) => c.items.length === 1);
    await page.goto(payment.redirectUrl);
    await fillCard('4000000000003220');
    await Promise.all([
      page.waitForURL(/\/hpp\/sandbox\/3ds\//),
      page.getByRole('button', { name: /^Pay/ }).click(),
    ]);
    await live.until((c) => c.items.some((i) => i.paymentStatusChanged.status === 'REQUIRES_ACTION'));
    expect((await v1(payment.id)).next_action.redirect_url).toBe(page.url());
    await screenshot(page, '05-3ds-challenge');
    await Promise.all([
      page.waitForURL(`${shop.url}/success`),
      page.getByRole('button', { name: 'Approve' }).click(),
    ]);
    expect(await v1(payment.id)).toMatchObject({ status: 'SUCCEEDED', next_action: null });
    await live.until((c) => c.items.some((i) => i.paymentStatusChanged.status === 'SUCCEEDED'));
    expect(live.items.map((i) => i.paymentStatusChanged.status)).toEqual([
      'PENDING',
      'REQUIRES_ACTION',
      'PROCESSING',
      'SUCCEEDED',
    ]);
    live.dispose();
    await client.dispose();
  });

  it('4000 0000 0000 3220: failing the challenge ends FAILED with authentication_failed', async () => {
    const payment = await apiPayment();
    await page.goto(payment.redirectUrl);
    await fillCard('4000000000003220');
    await Promise.all([
      page.waitForURL(/\/hpp\/sandbox\/3ds\//),
      page.getByRole('button', { name: /^Pay/ }).click(),
    ]);
    await Promise.all([
      page.waitForURL(`${shop.url}/error`),
      page.getByRole('button', { name: 'Fail authentication' }).click(),
    ]);
    expect(await v1(payment.id)).toMatchObject({ status: 'FAILED', decline_code: 'authentication_failed' });
  });

  it('4000 0084 0000 1629: challenge, then card_declined', async () => {
    const payment = await apiPayment();
    await page.goto(payment.redirectUrl);
    await fillCard('4000008400001629');
    await Promise.all([
      page.waitForURL(/\/hpp\/sandbox\/3ds\//),
      page.getByRole('button', { name: /^Pay/ }).click(),
    ]);
    await Promise.all([
      page.waitForURL(`${shop.url}/error`),
      page.getByRole('button', { name: 'Approve' }).click(),
    ]);
    expect(await v1(payment.id)).toMatchObject({ status: 'FAILED', decline_code: 'card_declined' });
  });

  it("seed 000's VERSIONING_FINGERPRINT_Y_CHALLENGE: version check, fingerprint, challenge → AUTHORIZED", async () => {
    const payment = await apiPayment({
      transaction_type: 'AUTHORIZE',
      metadata: {
        simulated_flow: 'VERSIONING_FINGERPRINT_Y_CHALLENGE',
        response_code: 'APPROVED',
        approval_code: 'N/A',
      },
    });
    await page.goto(payment.redirectUrl);
    await fillCard('4242424242424242');
    // The access control server's pages the browser loaded: the first two submit themselves at once.
    let acsPages = 0;
    page.on('request', (r) => {
      if (r.isNavigationRequest() && r.method() === 'GET' && /\/hpp\/sandbox\/3ds\//.test(r.url()))
        acsPages++;
    });
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.getByRole('button', { name: 'Approve' }).waitFor();
    await Promise.all([
      page.waitForURL(`${shop.url}/success`),
      page.getByRole('button', { name: 'Approve' }).click(),
    ]);
    expect(acsPages).toBe(3);
    const [challenge] = await app.till.db.em
      .fork()
      .execute<{ steps: string[] | string; step: number; result: string }[]>(
        'select steps, step, result from sandbox_challenge where payment_id = ?',
        [payment.id],
      );
    expect(challenge).toMatchObject({ step: 2, result: 'passed' });
    expect(String(challenge!.steps)).toMatch(/versioning,fingerprint,challenge/);
    expect(await v1(payment.id)).toMatchObject({ status: 'AUTHORIZED', transaction_type: 'AUTHORIZE' });
  });

  it('cancel → CANCELED and the cancel_url', async () => {
    const payment = await apiPayment();
    await page.goto(payment.redirectUrl);
    await Promise.all([
      page.waitForURL(`${shop.url}/cancel`),
      page.getByRole('button', { name: /^Cancel and return/ }).click(),
    ]);
    expect((await v1(payment.id)).status).toBe('CANCELED');
    await page.goto(payment.redirectUrl);
    await expect(page.locator('#state').getAttribute('data-state')).resolves.toBe('canceled');
    await screenshot(page, '06-canceled');
  });

  it("the browser's back button cancels and goes to window.HppData.cancel_url", async () => {
    await page.goto(`${shop.url}/cart`);
    const payment = await apiPayment();
    await page.goto(payment.redirectUrl);
    await page.getByLabel('Card number').waitFor();
    await Promise.all([page.waitForURL(`${shop.url}/cancel`), page.goBack()]);
    expect((await v1(payment.id)).status).toBe('CANCELED');
  });

  it('an expired session shows a clear page instead of a form', async () => {
    const payment = await v1Payment();
    await app.till.services.payments.expireDuePayments(new Date(Date.now() + 2 * 3600 * 1000));
    await page.goto(payment.hosted_payment_url);
    await expect(page.locator('#state').getAttribute('data-state')).resolves.toBe('expired');
    await expect(page.locator('#message').textContent()).resolves.toContain('expired');
    expect(await page.locator('form#checkout').count()).toBe(0);
    await screenshot(page, '07-expired');
  });

  it('a terminal without payment methods shows seed 000\'s "currently unavailable" sentence', async () => {
    const payment = await apiPayment({ terminal_id: 'NOMETHODS' });
    await page.goto(payment.redirectUrl);
    await expect(page.locator('#message').textContent()).resolves.toBe(
      'This payment is currently unavailable. Please contact the merchant.',
    );
    expect(await page.locator('form#checkout').count()).toBe(0);
    await screenshot(page, '08-unavailable');
  });

  it('checks the card in the browser before anything is sent, with errors read by screen readers', async () => {
    const payment = await v1Payment();
    await page.goto(payment.hosted_payment_url);
    let posted = 0;
    page.on('request', (r) => r.method() === 'POST' && r.url().includes('/pay') && posted++);
    await fillCard('4242424242424241', '01/20', '12', ' ');
    await page.getByRole('button', { name: /^Pay/ }).click();
    await expect(page.locator('#card-number-error').textContent()).resolves.toBe(
      'This card number is not valid.',
    );
    await expect(page.locator('#card-expiry-error').textContent()).resolves.toBe('This card has expired.');
    await expect(page.locator('#card-cvc-error').textContent()).resolves.toBe(
      'Enter the 3-digit security code.',
    );
    await expect(page.locator('#card-number').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.locator('#card-number-error').getAttribute('role')).resolves.toBe('alert');
    await screenshot(page, '09-validation');
    expect(posted).toBe(0);
    expect((await v1(payment.id)).status).toBe('PENDING');
  });

  it('a tampered link shows "not found"', async () => {
    const payment = await apiPayment();
    const tampered = payment.redirectUrl.replace(
      /\/payment\/([A-Za-z0-9])/,
      (_m, c: string) => `/payment/${c === 'A' ? 'B' : 'A'}`,
    );
    const res = await page.goto(tampered);
    expect(res!.status()).toBe(404);
    await expect(page.locator('#state').getAttribute('data-state')).resolves.toBe('not_found');
    await screenshot(page, '10-not-found');
  });
});
