import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describeBrowser, launchBrowser } from '../support/browser.js';
import { paidPayment } from '../support/checkout.js';
import {
  bulkPayments,
  cspViolations,
  ForgerySite,
  screenshotBothWidths,
  seriousViolations,
  signInThroughUi,
  subscriptionsAbove,
} from '../support/dashboard-browser.js';
import { request } from '../support/http.js';
import { seedPayments } from '../support/seed-payments.js';
import { Receiver } from '../support/receiver.js';
import { freePort, newMerchant, startTill, type RunningTill } from '../support/till.js';
import { OPERATOR } from '../../src/services/principal.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

/** What a merchant's backend sees of a payment (its secret key over GraphQL). */
async function paymentAsMerchant(app: RunningTill, key: string, id: string) {
  const res = await request(app.url, 'POST', '/graphql', {
    key,
    body: {
      query: `query($id: ID!) { payment(id: $id) { amountRefunded refunds { id amount } } }`,
      variables: { id },
    },
  });
  return res.json.data.payment as { amountRefunded: number; refunds: { id: string; amount: number }[] };
}

const refundMutation = (id: string) =>
  `mutation { refundPayment(paymentId: "${id}", amount: 100) { refund { id } userErrors { code } } }`;

describeBrowser('the dashboard in Chromium', () => {
  let app: RunningTill;
  let browser: Browser;
  let receiver: Receiver;
  let sameSite: ForgerySite;
  let crossSite: ForgerySite;
  let merchant: MerchantCredentials;
  let owner: { context: BrowserContext; page: Page; csp: string[] };
  const ownerLogin = { email: 'owner@acme.example', password: 'correct horse battery staple' };
  let paid: string;

  const url = (hash: string) => `${app.url}/dashboard/#${hash}`;
  const newPage = async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    const page = await context.newPage();
    return { context, page, csp: cspViolations(page) };
  };
  const expectAccessible = async (page: Page) => expect(await seriousViolations(page)).toEqual([]);

  beforeAll(async () => {
    const port = await freePort();
    [app, browser, receiver, sameSite, crossSite] = await Promise.all([
      startTill({
        backend: 'embedded',
        env: {
          PORT: String(port),
          PUBLIC_URL: `http://127.0.0.1:${port}`,
          WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
        },
      }),
      launchBrowser(),
      new Receiver().start(),
      new ForgerySite().start('127.0.0.1'),
      new ForgerySite().start('localhost'),
    ]);
    merchant = await newMerchant(app, 'Acme Shop');
    const endpoint = await request(app.url, 'POST', '/graphql', {
      key: merchant.test_secret_key,
      body: {
        query: `mutation($url: String!) { createWebhookEndpoint(input: { url: $url }) { webhookEndpoint { id } } }`,
        variables: { url: receiver.url },
      },
    });
    expect(endpoint.json.data.createWebhookEndpoint.webhookEndpoint.id).toEqual(expect.any(String));
    // A month of history for the home screen: most payments succeed, some are declined.
    const DECLINES = ['insufficient_funds', 'card_declined', 'expired_card'];
    await seedPayments(
      app,
      merchant.test_secret_key,
      Array.from({ length: 45 }, (_, i) => ({
        status: i % 6 === 5 ? 'FAILED' : 'SUCCEEDED',
        decline_code: i % 6 === 5 ? DECLINES[Math.floor(i / 6) % 3]! : null,
        amount: 1500 + ((i * 1337) % 9000),
        created_at: new Date(Date.now() - (1 + (i % 29)) * 86_400_000 - i * 60_000),
        merchant_reference: `order-${1000 + i}`,
      })),
    );
    paid = await paidPayment(app, merchant, { amount: 4999 });
    owner = await newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([receiver?.stop(), sameSite?.stop(), crossSite?.stop()]);
    await app?.close();
  });

  it('an invited owner chooses a password on the invitation screen, signs out, and signs back in', async () => {
    const { url: link } = await app.till.services.dashboardUsers.invite(
      merchant.merchant_id,
      { email: ownerLogin.email, role: 'owner' },
      OPERATOR,
      true,
    );
    expect(link).toMatch(new RegExp(`^${app.url}/dashboard/#/invite/[A-Za-z0-9_-]+$`));
    const { page } = owner;
    await page.goto(link);
    await page.getByLabel('New password').fill(ownerLogin.password);
    await page.getByLabel('Repeat the password').fill(ownerLogin.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: /Overview/ }).waitFor();
    const [cookie] = (await owner.context.cookies()).filter((c) => c.name === 'till_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in to Till' }).waitFor();
    await expectAccessible(page);
    await screenshotBothWidths(page, 'sign-in', () => page.getByLabel('Email').waitFor());

    // A wrong password is refused in words, and nothing is signed in.
    await page.getByLabel('Email').fill(ownerLogin.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Wrong email or password.');

    await signInThroughUi(page, app.url, ownerLogin.email, ownerLogin.password);
    await expect(page.getByText(`Signed in as ${ownerLogin.email} (Owner)`).count()).resolves.toBe(1);
  });

  it('home shows the last 30 days from paymentStats', async () => {
    const { page } = owner;
    await page.goto(url('/'));
    await page.locator('.chart canvas').first().waitFor();
    expect(Number(await page.getByTestId('count').textContent())).toBe(46);
    await expect(page.getByTestId('volume').textContent()).resolves.toMatch(/^€[\d,]+\.\d{2}$/);
    await expect(page.getByTestId('success-rate').textContent()).resolves.toMatch(/^\d+(\.\d)?%$/);
    await expect(page.getByRole('cell', { name: 'insufficient_funds' }).count()).resolves.toBe(1);
    await expectAccessible(page);
    await screenshotBothWidths(page, 'home', () => page.locator('.chart canvas').first().waitFor());
  });

  it('a payment created over REST appears live at the top of the payments table, without a reload', async () => {
    const { page } = owner;
    const listening = app.liveSubscriptions();
    await page.goto(url('/payments'));
    await page.locator(`tr[data-payment-id="${paid}"]`).waitFor();
    await subscriptionsAbove(app, listening);
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));

    const created = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: merchant.test_secret_key,
      body: {
        amount: 1234,
        currency: 'EUR',
        merchant_reference: 'live-1',
        return_url: 'https://shop.example.com/r',
      },
    });
    expect(created.status).toBe(200);
    const first = page.locator(`tbody tr:first-child[data-payment-id="${created.json.id}"]`);
    await first.waitFor({ timeout: 5000 });
    await expect(first.textContent()).resolves.toContain('live-1');
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(
      true,
    );
    await expectAccessible(page);
    await screenshotBothWidths(page, 'payments', () => first.waitFor());
  });

  it('filters the table and exports the filtered set as CSV', async () => {
    const { page } = owner;
    await page.goto(url('/payments'));
    await page.locator(`tr[data-payment-id="${paid}"]`).waitFor();
    await page.getByLabel('Payment ID or reference').fill('live-1');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^payments-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = await (await download.createReadStream()).toArray();
    const lines = Buffer.concat(csv).toString('utf8').trim().split(/\r?\n/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('live-1');
  });

  it('is usable from the keyboard: the navigation, then a payment row opened with Enter', async () => {
    const { page } = owner;
    await page.goto(url('/'));
    await page.getByRole('heading', { name: /Overview/ }).waitFor();
    const tabTo = async (predicate: string) => {
      for (let i = 0; i < 80; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate(predicate)) return;
      }
      throw new Error(`never reached ${predicate} with Tab`);
    };
    await tabTo(
      `document.activeElement?.textContent === 'Payments' && document.activeElement.closest('nav') !== null`,
    );
    await page.keyboard.press('Enter');
    await page.locator(`tr[data-payment-id="${paid}"]`).waitFor();
    await tabTo(`document.activeElement?.getAttribute('href') === '#/payments/${paid}'`);
    await page.keyboard.press('Enter');
    await page.getByTestId('amount').waitFor();
    expect(page.url()).toBe(url(`/payments/${paid}`));
  });

  it('a partial refund from the detail page updates the amounts and its webhook delivery shows in the log', async () => {
    const { page } = owner;
    await page.goto(url(`/payments/${paid}`));
    await expect(page.getByTestId('amount').textContent()).resolves.toBe('€49.99');
    await expectAccessible(page);
    await screenshotBothWidths(page, 'payment-detail', () => page.getByTestId('amount').waitFor());

    await page.getByRole('button', { name: 'Refund' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/Amount to refund/).fill('10.00');
    await dialog.getByText('Refund €10.00 to the customer?').waitFor();
    await expectAccessible(page);
    await dialog.getByRole('button', { name: 'Refund' }).click();
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid=refunded]')?.textContent === '€10.00' &&
        document.querySelector('[data-testid=refundable]')?.textContent === '€39.99',
    );
    expect(await paymentAsMerchant(app, merchant.test_secret_key, paid)).toMatchObject({
      amountRefunded: 1000,
    });

    // The merchant's receiver gets the refund event; the page shows its delivery and answer.
    await receiver.until((r) => r.some((x) => x.body.includes('"refund.')));
    const delivery = page.locator('tr[data-event-type^="refund."]').first();
    await expect(delivery.getByTestId('response-status').textContent({ timeout: 10_000 })).resolves.toBe(
      '200',
    );

    await page.goto(url('/webhooks'));
    await page.locator('tr[data-event-type^="refund."]').first().waitFor();
    await expectAccessible(page);
    await screenshotBothWidths(page, 'webhooks', () => page.locator('tr[data-event-type]').first().waitFor());
  });

  it('developers: keys masked to their last four, the events log and the audit log', async () => {
    const { page } = owner;
    await page.goto(url('/developers'));
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.locator('tr[data-key-id]').first().waitFor();
    const shown = await page.locator('tr[data-key-id] td.mono').allTextContents();
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.join(' ')).not.toContain(merchant.test_secret_key);
    await page.getByRole('cell', { name: 'refund.created' }).first().waitFor();
    await expectAccessible(page);
    await screenshotBothWidths(page, 'developers', () => page.locator('tr[data-key-id]').first().waitFor());

    // A new key is shown once, in full; the table then shows it masked to its last four.
    const before = await page.locator('tr[data-key-id]').count();
    await page.getByRole('button', { name: 'Create secret key' }).click();
    const secret = await page.getByTestId('secret-value').inputValue();
    expect(secret).toMatch(/^api_test_sk_/);
    await page.getByRole('button', { name: 'Close' }).click();
    await page.waitForFunction((n) => document.querySelectorAll('tr[data-key-id]').length === n + 1, before);
    await expect(page.getByTestId('secret-value').count()).resolves.toBe(0);
    const masked = (await page.locator('tr[data-key-id] td.mono').allTextContents()).join(' ');
    expect(masked).toContain(`…${secret.slice(-4)}`);
    expect(masked).not.toContain(secret);
  });

  it('webhooks: an endpoint added on the screen shows its secret once and gets a test event', async () => {
    const { page } = owner;
    await page.goto(url('/webhooks'));
    await page.locator('li[data-endpoint-id]').first().waitFor();
    const form = page.getByRole('form', { name: 'Add endpoint' });
    await form.getByLabel('URL').fill(`${receiver.url}?from=screen`);
    await form.getByLabel('Description').fill('Added from the dashboard');
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await expect(page.getByTestId('secret-value').inputValue()).resolves.toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'Close' }).click();
    const added = page.locator('li[data-endpoint-id]', { hasText: 'Added from the dashboard' });
    await added.waitFor();

    const pings = receiver.received.length;
    await added.getByRole('button', { name: 'Send test event' }).click();
    await page.getByText('Test event sent.').waitFor();
    await receiver.until((r) => r.length > pings && r.slice(pings).some((x) => x.body.includes('"ping"')));
    await page.getByRole('button', { name: /Delivery log/ }).click();
    await page.locator('tr[data-event-type="ping"]').first().waitFor();

    await added.getByRole('button', { name: 'Disable' }).click();
    await added.getByText('disabled', { exact: true }).waitFor();
  });

  it('capture and void of authorized payments, each after a confirmation', async () => {
    const { page } = owner;
    for (const [action, after] of [
      ['Capture', 'Succeeded'],
      ['Void', 'Canceled'],
    ] as const) {
      const id = await paidPayment(app, merchant, { transactionType: 'AUTHORIZE', amount: 2000 });
      await page.goto(url(`/payments/${id}`));
      const status = page.getByTestId('payment-status');
      await status.getByText('Authorized', { exact: true }).waitFor();
      await page.getByRole('button', { name: action }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await page.getByRole('button', { name: action }).click();
      await dialog.getByRole('button', { name: action }).click();
      await status.getByText(after, { exact: true }).waitFor();
    }

    // Part of the authorized amount: the rest is released.
    const id = await paidPayment(app, merchant, { transactionType: 'AUTHORIZE', amount: 2000 });
    await page.goto(url(`/payments/${id}`));
    const status = page.getByTestId('payment-status');
    await status.getByText('Authorized', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Capture' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/Amount to capture/).fill('25');
    await dialog.getByRole('button', { name: 'Capture' }).click();
    // More than was authorized: refused on the screen (the field is out of range), the dialog stays
    // open, nothing is captured.
    const field = dialog.getByLabel(/Amount to capture/);
    await expect(field.evaluate((el) => (el as HTMLInputElement).validity.rangeOverflow)).resolves.toBe(true);
    await expect(dialog.isVisible()).resolves.toBe(true);
    await expect(status.getByText('Authorized', { exact: true }).count()).resolves.toBe(1);
    await dialog.getByLabel(/Amount to capture/).fill('12.50');
    await dialog.getByText(/Capture .*12\.50/).waitFor();
    await dialog.getByRole('button', { name: 'Capture' }).click();
    await status.getByText('Succeeded', { exact: true }).waitFor();
    await expect(page.getByTestId('captured').textContent()).resolves.toContain('12.50');
    const captured = await request(app.url, 'GET', `/v1/payments/${id}`, { key: merchant.test_secret_key });
    expect(captured.json).toMatchObject({ status: 'SUCCEEDED', amount: 2000, amount_captured: 1250 });
  });

  let analyst: { context: BrowserContext; page: Page; csp: string[] };

  it('the owner invites an analyst from the team screen; the analyst joins through the link', async () => {
    const { page } = owner;
    await page.goto(url('/team'));
    await page.locator(`tr[data-member-email="${ownerLogin.email}"]`).waitFor();
    const form = page.getByRole('form', { name: 'Invite a member' });
    await form.getByLabel('Email').fill('analyst@acme.example');
    await form.getByRole('combobox').selectOption('ANALYST');
    await form.getByRole('button', { name: 'Invite', exact: true }).click();
    const link = await page.getByTestId('secret-value').inputValue();
    expect(link).toMatch(new RegExp(`^${app.url}/dashboard/#/invite/`));
    await page.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('cell', { name: 'analyst@acme.example' }).waitFor();
    await expectAccessible(page);
    await screenshotBothWidths(page, 'team', () =>
      page.getByRole('cell', { name: 'analyst@acme.example' }).waitFor(),
    );

    analyst = await newPage();
    await analyst.page.goto(link);
    await expectAccessible(analyst.page);
    await screenshotBothWidths(analyst.page, 'invite', () =>
      analyst.page.getByLabel('New password').waitFor(),
    );
    await analyst.page.getByLabel('New password').fill('analyst password 123');
    await analyst.page.getByLabel('Repeat the password').fill('analyst password 123');
    await analyst.page.getByRole('button', { name: 'Create account' }).click();
    await analyst.page.getByRole('heading', { name: /Overview/ }).waitFor();
  });

  it('an analyst sees no refund button, and a forged refund with their session is FORBIDDEN', async () => {
    const { page } = analyst;
    await page.goto(url(`/payments/${paid}`));
    await expect(page.getByTestId('refunded').textContent()).resolves.toBe('€10.00');
    await expect(page.getByRole('button', { name: 'Refund' }).count()).resolves.toBe(0);
    await expect(page.getByRole('link', { name: 'Developers' }).count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: 'Invite', exact: true }).count()).resolves.toBe(0);

    const answer = await page.evaluate(async (query) => {
      const res = await fetch('/graphql', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'Till-Mode': 'test' },
        body: JSON.stringify({ query }),
      });
      return (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
    }, refundMutation(paid));
    expect(answer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await paymentAsMerchant(app, merchant.test_secret_key, paid)).toMatchObject({
      amountRefunded: 1000,
    });
  });

  it('a cross-site or cross-origin form posted to /graphql with the owner signed in changes nothing', async () => {
    const before = await paymentAsMerchant(app, merchant.test_secret_key, paid);
    for (const site of [sameSite, crossSite]) {
      site.forgeGraphQL(`${app.url}/graphql`, refundMutation(paid));
      const page = await owner.context.newPage();
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${app.url}/graphql`),
        page.goto(site.url),
      ]);
      expect(answer.status()).toBeGreaterThanOrEqual(400);
      expect(answer.status()).toBeLessThan(500);
      await page.close();
    }
    // The owner's own session still works, and no refund was made.
    expect(await paymentAsMerchant(app, merchant.test_secret_key, paid)).toEqual(before);
  });

  it('the Test/Live switch re-queries in the other mode: live never shows test data', async () => {
    const { page } = owner;
    await page.goto(url('/payments'));
    await page.locator(`tr[data-payment-id="${paid}"]`).waitFor();
    await page.getByRole('button', { name: 'Live' }).click();
    await page.locator('button[data-mode="live"][aria-pressed="true"]').waitFor();
    await page.getByText('No payments match.').waitFor();
    expect(await page.locator('tbody tr').count()).toBe(0);
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    await page.locator(`tr[data-payment-id="${paid}"]`).waitFor();
  });

  it('speaks German when picked: labels and money follow the language', async () => {
    const { page } = owner;
    await page.goto(url(`/payments/${paid}`));
    await page.getByTestId('amount').waitFor();
    await page.getByLabel('Language').selectOption('de');
    await page.getByRole('link', { name: 'Zahlungen', exact: true }).waitFor();
    await expect(page.getByTestId('amount').textContent()).resolves.toMatch(/^49,99\s€$/);
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('de');
    await page.getByLabel('Sprache').selectOption('en');
    await page.getByRole('link', { name: 'Payments', exact: true }).waitFor();
  });

  it('signing out everywhere sends the same user in another browser back to the sign-in screen, live', async () => {
    const other = await newPage();
    await signInThroughUi(other.page, app.url, ownerLogin.email, ownerLogin.password);
    const listening = app.liveSubscriptions();
    await other.page.getByRole('link', { name: 'Payments', exact: true }).click();
    await other.page.locator(`tr[data-payment-id="${paid}"]`).waitFor();
    await subscriptionsAbove(app, listening);

    await owner.page.goto(url('/'));
    await owner.page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await owner.page.getByRole('heading', { name: 'Sign in to Till' }).waitFor();
    // The other browser's socket is closed by the revocation; the app notices without a click.
    await other.page.getByRole('heading', { name: 'Sign in to Till' }).waitFor({ timeout: 5000 });
    await other.context.close();

    await signInThroughUi(owner.page, app.url, ownerLogin.email, ownerLogin.password);
  });

  it('with 10,000 payments the payments screen shows its first 50 rows quickly', async () => {
    const big = await newMerchant(app, 'Big Shop');
    const template = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: big.test_secret_key,
      body: { amount: 500, currency: 'EUR', return_url: 'https://shop.example.com/r' },
    });
    await bulkPayments(app, template.json.id, 9_999);
    const login = { email: 'owner@big.example', password: 'a big shop password' };
    await app.till.services.dashboardUsers.create(big.merchant_id, { ...login, role: 'owner' }, OPERATOR);
    const { context, page } = await newPage();
    await signInThroughUi(page, app.url, login.email, login.password);

    const started = Date.now();
    await page.getByRole('link', { name: 'Payments' }).click();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length >= 50);
    const elapsed = Date.now() - started;
    console.log(`dashboard: first 50 of 10,000 payments on screen ${elapsed} ms after navigation`);
    expect(elapsed).toBeLessThan(5000);
    expect(await page.locator('tbody tr').count()).toBe(50);
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 100);
    await context.close();
  });

  it('ran every screen under its Content-Security-Policy without a refusal', () => {
    expect([...owner.csp, ...analyst.csp]).toEqual([]);
  });

  it('serves the shell with a nonce policy and the bundle with long-lived caching', async () => {
    const shell = await fetch(`${app.url}/dashboard/`);
    const csp = shell.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(shell.headers.get('cache-control')).toBe('no-store');
    const html = await shell.text();
    const script = /src="(\/dashboard\/assets\/main-[A-Za-z0-9]+\.js)"/.exec(html)![1]!;
    const asset = await fetch(`${app.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${app.url}/dashboard/assets/..%2Fmanifest.json`)).status).toBe(404);
    expect((await fetch(`${app.url}/dashboard/assets/nope.js`)).status).toBe(404);
  });
});
