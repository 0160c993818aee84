import type { Browser, Page } from 'playwright-core';
import { describeBrowser, launchBrowser, screenshot } from '../support/browser.js';
import { request } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';

describeBrowser('the API reference and GraphiQL in Chromium', () => {
  let app: RunningTill;
  let browser: Browser;
  let page: Page;
  /** Every URL the page asked for. */
  let requested: string[];

  beforeAll(async () => {
    [app, browser] = await Promise.all([startTill({ backend: 'embedded', workers: false }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    requested = [];
    page.on('request', (r) => requested.push(r.url()));
  });
  afterEach(async () => {
    await page.close();
  });

  /** Nothing the page loaded or sent left the machine: every request went to Till's own origin. */
  function expectOnlyTill() {
    const origin = new URL(app.url).origin;
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((url) => new URL(url).origin !== origin && !url.startsWith('blob:'))).toEqual([]);
  }

  it('/docs renders the interactive reference with its operations, from Till alone', async () => {
    const res = await page.goto(`${app.url}/docs`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByText('Create a hosted payment page payment').first().waitFor({ timeout: 30000 });
    for (const tag of ['Payments', 'Webhook endpoints', 'Hosted payment page (api)', 'OAuth', 'Admin'])
      await expect(page.getByText(tag, { exact: true }).count()).resolves.toBeGreaterThan(0);
    await screenshot(page, 'api-reference');
    expectOnlyTill();
  });

  it('/graphql in a browser is GraphiQL, which runs a query with the key typed into its headers', async () => {
    const merchant = await newMerchant(app, 'GraphiQL shop');
    const created = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: merchant.test_secret_key,
      body: { amount: 1234, currency: 'EUR', return_url: 'https://shop.example/return' },
    });
    expect(created.status).toBe(200);

    const res = await page.goto(`${app.url}/graphql`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('.graphiql-execute-button').waitFor({ timeout: 30000 });
    await page.getByRole('button', { name: 'Headers', exact: true }).click();
    const headers = page.locator('.graphiql-editor-tool .monaco-editor').last();
    await headers.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${merchant.test_secret_key}` }));
    const answered = page.waitForResponse(
      (r) =>
        r.url() === `${app.url}/graphql` &&
        r.request().method() === 'POST' &&
        r.status() === 200 &&
        (r.request().postData() ?? '').includes('payments('),
    );
    await page.locator('.graphiql-execute-button').click();
    const body = (await (await answered).json()) as {
      data?: { payments: { edges: { node: { id: string } }[] } };
    };
    expect(body.data?.payments.edges.map((e) => e.node.id)).toEqual([created.json.id]);
    await page.getByText(created.json.id).first().waitFor({ timeout: 10000 });
    await screenshot(page, 'graphiql');
    expectOnlyTill();
  });
});
