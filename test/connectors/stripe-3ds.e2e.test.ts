import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { describeBrowser, launchBrowser, MerchantSite } from '../support/browser.js';
import { startFakeStripe, type FakeStripe } from '../support/fake-stripe.js';
import { request } from '../support/http.js';
import { freePort, newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

/** Stripe's test card that always asks for 3-D Secure. */
const THREE_DS_CARD = '4000000000003220';

describeBrowser('3-D Secure through a Stripe connector account in Chromium', () => {
  let app: RunningTill;
  let browser: Browser;
  let shop: MerchantSite;
  let fake: FakeStripe;
  let merchant: MerchantCredentials;
  let accountId: string;
  let page: Page;

  beforeAll(async () => {
    const port = await freePort();
    [app, browser, shop] = await Promise.all([
      startTill({
        backend: 'embedded',
        env: { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` },
      }),
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
    fake = await startFakeStripe();
    merchant = await newMerchant(app, 'Stripe shop');
    const res = await request(
      app.url,
      'POST',
      `/admin/v1/merchants/${merchant.merchant_id}/connector_accounts`,
      {
        key: 'test-admin-token-0123456789',
        body: {
          connector: 'stripe',
          mode: 'test',
          label: 'Stripe',
          currencies: ['EUR'],
          priority: 1,
          credentials: {
            secret_key: `sk_test_${randomBytes(16).toString('hex')}`,
            webhook_secret: `whsec_${randomBytes(24).toString('hex')}`,
          },
          api_base: fake.url,
        },
      },
    );
    expect(res.status).toBe(201);
    accountId = res.json.id;
    page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  });
  afterEach(async () => {
    await page.close();
    const violations = [...fake.violations];
    await fake.close();
    expect(violations).toEqual([]);
  });

  const v1 = async (id: string) =>
    (await request(app.url, 'GET', `/v1/payments/${id}`, { key: merchant.test_secret_key })).json;

  /** The customer opens the hosted page, pays with the 3-D Secure card and lands on Stripe's page. */
  async function payTo3DS(): Promise<string> {
    const created = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: merchant.test_secret_key,
      body: { amount: 2500, currency: 'EUR', return_url: `${shop.url}/return`, description: 'Order #3220' },
    });
    expect(created.status).toBe(200);
    const id = created.json.id as string;
    await page.goto(created.json.hosted_payment_url);
    await page.getByLabel('Card number').fill(THREE_DS_CARD);
    await page.getByLabel('Expiry date (MM/YY)').fill('12/34');
    await page.getByLabel('Security code').fill('123');
    await page.getByLabel('Name on card').fill('Jenny Rosen');
    await Promise.all([
      page.waitForURL(`${fake.url}/3ds/**`),
      page.getByRole('button', { name: /^Pay/ }).click(),
    ]);
    const [intent] = fake.paymentIntentsOf(id);
    expect(page.url()).toBe(`${fake.url}/3ds/${intent!.id}`);
    expect(await v1(id)).toMatchObject({
      status: 'REQUIRES_ACTION',
      next_action: { redirect_url: page.url() },
      processor: { connector: 'stripe', account_id: accountId, reference: intent!.id },
    });
    // The PaymentIntent sends the customer back to Till, which asks Stripe for the outcome.
    expect(fake.requests[0]!.params.return_url).toBe(`${app.url}/hpp/return/${id}`);
    return id;
  }

  it('Complete on Stripe’s page: back through Till to the merchant, SUCCEEDED', async () => {
    const id = await payTo3DS();
    const [intent] = fake.paymentIntentsOf(id);
    await Promise.all([
      page.waitForURL(`${shop.url}/return`),
      page.getByRole('button', { name: 'Complete' }).click(),
    ]);
    expect(shop.hits).toContain('/return');
    const payment = await v1(id);
    expect(payment).toMatchObject({
      status: 'SUCCEEDED',
      next_action: null,
      processor: { connector: 'stripe', account_id: accountId, reference: intent!.id },
      attempts: [
        { account_id: accountId, status: 'requires_action', reference: intent!.id },
        { account_id: accountId, status: 'approved', reference: intent!.id },
      ],
    });
    expect(payment.attempts).toHaveLength(2);
    expect(fake.charges()).toBe(1);
    // Till read the outcome; it never confirmed the PaymentIntent a second time. (The browser's own
    // requests to Stripe's page, such as its favicon, are not API calls.)
    const apiCalls = fake.requests.filter((r) => r.path.startsWith('/v1/'));
    expect(apiCalls.map((r) => r.endpoint)).toEqual(['payment_intents.create', 'payment_intents.retrieve']);
  });

  it('Fail on Stripe’s page: back to the merchant, FAILED authentication_failed, nothing charged', async () => {
    const id = await payTo3DS();
    await Promise.all([
      page.waitForURL(`${shop.url}/return`),
      page.getByRole('button', { name: 'Fail' }).click(),
    ]);
    expect(await v1(id)).toMatchObject({
      status: 'FAILED',
      decline_code: 'authentication_failed',
      decline_message: expect.stringMatching(/\S/),
      next_action: null,
    });
    expect(fake.charges()).toBe(0);
  });
});
