import type { Browser, BrowserContext, Page } from 'playwright-core';
import { accessToken } from '../support/api-dialect.js';
import { createSession } from '../support/checkout.js';
import { describeBrowser, launchBrowser, screenshot } from '../support/browser.js';
import { eventually, request } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

/** What Intl puts between the amount and the currency sign in German and Bosnian. */
const NBSP = '\u00a0';

describeBrowser('the hosted payment page in German and Bosnian (Chromium)', () => {
  let app: RunningTill;
  let browser: Browser;
  let merchant: MerchantCredentials;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startTill({ backend: 'embedded' }), launchBrowser()]);
    merchant = await newMerchant(app, 'Kaffeerösterei');
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });
  afterEach(async () => {
    await context.close();
  });

  /** A browser whose Accept-Language (and navigator.language) is `locale`. */
  async function open(url: string, locale: string, width = 390) {
    context = await browser.newContext({ locale, viewport: { width, height: width > 600 ? 900 : 844 } });
    page = await context.newPage();
    await page.goto(url);
  }

  it('German from Accept-Language: labels, "1.234,56 €", and a German error for an invalid card number', async () => {
    const created = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: merchant.test_secret_key,
      body: {
        amount: 123456,
        currency: 'EUR',
        description: 'Bohnen',
        return_url: 'https://shop.example.com/r',
      },
    });
    await open(created.json.hosted_payment_url, 'de-DE');
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    await expect(page.locator('#amount').textContent()).resolves.toBe(`1.234,56${NBSP}€`);
    await expect(page.locator('#pay').textContent()).resolves.toBe(`1.234,56${NBSP}€ bezahlen`);
    await expect(page.locator('.badge').textContent()).resolves.toBe('Testmodus');
    await screenshot(page, 'hpp-de-form');
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshot(page, 'hpp-de-form-desktop');
    await page.setViewportSize({ width: 390, height: 844 });

    await page.getByLabel('Kartennummer').fill('4242 4242 4242 4241');
    await page.getByLabel('Ablaufdatum (MM/JJ)').fill('12/34');
    await page.getByLabel('Sicherheitscode').fill('123');
    await page.getByLabel('Name auf der Karte').fill('Jana Muster');
    await page.getByRole('button', { name: /bezahlen/ }).click();
    await page.locator('#card-number-error', { hasText: 'Diese Kartennummer ist ungültig.' }).waitFor();
    await expect(page.locator('#form-status').textContent()).resolves.toBe(
      'Bitte korrigieren Sie die markierten Felder.',
    );
    expect(await page.getAttribute('#card-number', 'aria-invalid')).toBe('true');
    await screenshot(page, 'hpp-de-invalid-card');
    const payment = await request(app.url, 'GET', `/v1/payments/${created.json.id}`, {
      key: merchant.test_secret_key,
    });
    expect(payment.json.status).toBe('PENDING');
  });

  it('Bosnian from the payment’s locale (over an English browser): labels, "1.234,56 KM", a Bosnian expiry error', async () => {
    const token = await accessToken(app.url, merchant);
    const session = await createSession(app.url, token, {
      terminal_id: 'TERM001',
      currency: 'BAM',
      amount: 123456,
      locale: 'bs-BA',
      description: 'Kafa',
    });
    await open(session.redirect_url, 'en-US');
    expect(await page.getAttribute('html', 'lang')).toBe('bs');
    await expect(page.locator('#amount').textContent()).resolves.toBe(`1.234,56${NBSP}KM`);
    await expect(page.locator('#pay').textContent()).resolves.toBe(`Plati 1.234,56${NBSP}KM`);
    await expect(page.locator('.footer').textContent()).resolves.toBe('Zaštićeno uslugom Till');
    await screenshot(page, 'hpp-bs-form');
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshot(page, 'hpp-bs-form-desktop');
    await page.setViewportSize({ width: 390, height: 844 });

    await page.getByLabel('Broj kartice').fill('4242 4242 4242 4242');
    await page.getByLabel('Datum isteka (MM/GG)').fill('01/20');
    await page.getByLabel('Sigurnosni kod').fill('1');
    await page.getByLabel('Ime na kartici').fill('Amra Hodžić');
    await page.getByRole('button', { name: /Plati/ }).click();
    await page.locator('#card-expiry-error', { hasText: 'Ova kartica je istekla.' }).waitFor();
    await expect(page.locator('#card-cvc-error').textContent()).resolves.toBe(
      'Unesite sigurnosni kod od 3 cifre.',
    );
    await expect(page.locator('#form-status').textContent()).resolves.toBe('Ispravite označena polja.');
    await screenshot(page, 'hpp-bs-invalid-expiry');

    // The card passes the page but the sandbox declines it: the page that says so speaks Bosnian too.
    await page.getByLabel('Datum isteka (MM/GG)').fill('12/34');
    await page.getByLabel('Sigurnosni kod').fill('123');
    await page.getByLabel('Broj kartice').fill('4000 0000 0000 0002');
    await page.getByRole('button', { name: /Plati/ }).click();
    const sessionView = async () =>
      (await request(app.url, 'GET', `/api/sessions/${session.session_id}`, { key: token })).json.status;
    await eventually(async () => (await sessionView()) === 'FAILED');
    await page.goto(session.redirect_url);
    await expect(page.locator('#state h1').textContent()).resolves.toBe('Plaćanje odbijeno');
    await expect(page.locator('#message').textContent()).resolves.toBe('Plaćanje je odbijeno.');
    await screenshot(page, 'hpp-bs-declined');
  });
});
