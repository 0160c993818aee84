import type { Browser, Page } from 'playwright-core';
import { accessToken } from '../support/api-dialect.js';
import { CVC, THREE_DS_CARD } from '../support/adyen-shop.js';
import { describeBrowser, launchBrowser, MerchantSite, screenshot } from '../support/browser.js';
import { createSession } from '../support/checkout.js';
import { startFakeAdyen, type FakeAdyen } from '../support/fake-adyen.js';
import { request } from '../support/http.js';
import { freePort, newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

describeBrowser('3-D Secure through the Adyen connector in Chromium', () => {
  let app: RunningTill;
  let publicUrl: string;
  let browser: Browser;
  let shop: MerchantSite;
  let merchant: MerchantCredentials;
  let adyen: FakeAdyen;
  let accountId: string;
  let page: Page;

  beforeAll(async () => {
    // The browser comes back to Till at PUBLIC_URL: it names the port Till listens on.
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    [app, browser, shop] = await Promise.all([
      startTill({ backend: 'embedded', env: { PORT: String(port), PUBLIC_URL: publicUrl } }),
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
    merchant = await newMerchant(app, 'Adyen Shop');
    adyen = await startFakeAdyen();
    const res = await request(
      app.url,
      'POST',
      `/admin/v1/merchants/${merchant.merchant_id}/connector_accounts`,
      {
        key: 'test-admin-token-0123456789',
        body: {
          connector: 'adyen',
          mode: 'test',
          label: 'Adyen',
          currencies: ['EUR'],
          priority: 1,
          credentials: {
            api_key: adyen.apiKey,
            merchant_account: adyen.merchantAccount,
            hmac_key: adyen.hmacKey,
          },
          api_base: adyen.url,
        },
      },
    );
    expect(res.status).toBe(201);
    accountId = res.json.id;
    page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  });
  afterEach(async () => {
    await page.close();
    expect(adyen.violations).toEqual([]);
    await adyen.close();
  });

  const v1 = async (id: string) =>
    (await request(app.url, 'GET', `/v1/payments/${id}`, { key: merchant.test_secret_key })).json;

  it.each([
    ['Complete', 'success', 'SUCCEEDED', null, 1],
    ['Fail', 'error', 'FAILED', 'authentication_failed', 0],
  ] as const)(
    'hosted page → Adyen’s 3-D Secure page (%s) → /hpp/return with redirectResult → the shop’s %s URL',
    async (button, landing, status, declineCode, authorisations) => {
      const created = await createSession(app.url, await accessToken(app.url, merchant), {
        description: 'Order #3DS',
        success_url: `${shop.url}/success`,
        cancel_url: `${shop.url}/cancel`,
        error_url: `${shop.url}/error`,
      });
      const session = await request(app.url, 'GET', `/api/sessions/${created.session_id}`, {
        key: await accessToken(app.url, merchant),
      });
      const id: string = session.json.payment_id;
      const navigations: string[] = [];
      page.on('request', (r) => {
        if (r.isNavigationRequest() && r.frame() === page.mainFrame()) navigations.push(r.url());
      });

      await page.goto(created.redirect_url);
      await page.getByLabel('Card number').fill(THREE_DS_CARD);
      await page.getByLabel('Expiry date (MM/YY)').fill('03/30');
      await page.getByLabel('Security code').fill(CVC);
      await page.getByLabel('Name on card').fill('Jane Doe');
      await Promise.all([
        page.waitForURL((url) => url.href.startsWith(`${adyen.url}/3ds/`)),
        page.getByRole('button', { name: /^Pay/ }).click(),
      ]);
      expect(adyen.payments.size).toBe(1);
      const psp = [...adyen.payments.values()][0]!.pspReference;
      expect(page.url()).toBe(`${adyen.url}/3ds/${psp}`);
      expect(await v1(id)).toMatchObject({
        status: 'REQUIRES_ACTION',
        next_action: { redirect_url: page.url() },
        processor: { connector: 'adyen', account_id: accountId, reference: psp },
      });
      await screenshot(page, `adyen-3ds-${button.toLowerCase()}`);

      await Promise.all([
        page.waitForURL(`${shop.url}/${landing}`),
        page.getByRole('button', { name: button }).click(),
      ]);
      expect(shop.hits).toContain(`/${landing}`);

      // The browser came back through Till's return URL with Adyen's redirectResult, which Till
      // handed to /payments/details under a key of its own.
      const back = navigations.map((u) => new URL(u)).find((u) => u.pathname === `/hpp/return/${id}`);
      expect(back?.origin).toBe(publicUrl);
      const redirectResult = back?.searchParams.get('redirectResult');
      expect(redirectResult).toEqual(expect.any(String));
      const details = adyen.requests.filter((r) => r.endpoint === 'payments/details');
      expect(details).toHaveLength(1);
      expect(details[0]!.body).toEqual({ details: { redirectResult } });
      expect(details[0]!.idempotencyKey).toBe(`${id}:1:${accountId}:return`);

      const payment = await v1(id);
      expect(payment).toMatchObject({
        status,
        decline_code: declineCode,
        next_action: null,
        processor: { connector: 'adyen', account_id: accountId, reference: psp },
      });
      expect(payment.attempts).toEqual([
        expect.objectContaining({ account_id: accountId, reference: psp, status: 'requires_action' }),
        expect.objectContaining({
          account_id: accountId,
          reference: psp,
          status: status === 'SUCCEEDED' ? 'approved' : 'declined',
          error: declineCode,
        }),
      ]);
      expect(adyen.authorisations).toBe(authorisations);
      const logs = app.logs.join('\n');
      expect(logs).not.toContain(THREE_DS_CARD);
    },
  );
});
