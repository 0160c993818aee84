import { randomUUID } from 'node:crypto';
import { CreateHostedPaymentDocument } from '../__generated__/graphql.js';
import { accessToken } from '../support/api-dialect.js';
import { backends } from '../support/backends.js';
import { createSession, openCheckout } from '../support/checkout.js';
import { gql } from '../support/graphql.js';
import { request } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

const NBSP = '\u00a0';
/** French groups thousands with a narrow no-break space. */
const NNBSP = '\u202f';

describe.each(backends)('the hosted page in the customer’s language (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;

  beforeAll(async () => {
    app = await startTill({ backend, env: { CHECKOUT_ATTEMPTS_PER_CLIENT: '10000' } });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    merchant = await newMerchant(app, 'Mugs & Co');
  });

  const createV1 = (extra: Record<string, unknown> = {}, idempotencyKey?: string) =>
    request(app.url, 'POST', '/v1/payments/hpp', {
      key: merchant.test_secret_key,
      idempotencyKey,
      body: { amount: 123456, currency: 'EUR', return_url: 'https://shop.example.com/r', ...extra },
    });
  const page = async (url: string, acceptLanguage?: string) => {
    const res = await fetch(url, { headers: acceptLanguage ? { 'accept-language': acceptLanguage } : {} });
    const html = await res.text();
    const hpp = JSON.parse(/window\.HppData = (\{.*?\});/.exec(html)?.[1] ?? 'null') as {
      locale: string;
      messages: Record<string, string>;
      amount: number;
      currency: string;
    } | null;
    return { status: res.status, headers: res.headers, html, hpp };
  };
  const payments = async () =>
    Number((await app.till.db.em.fork().execute<{ n: string }[]>('select count(*) as n from payment'))[0]!.n);

  it('follows Accept-Language: German labels, lang="de", German money, and the script gets its text', async () => {
    const created = await createV1();
    const de = await page(created.json.hosted_payment_url, 'de-AT,de;q=0.9,en;q=0.5');
    expect(de.status).toBe(200);
    expect(de.html).toContain('<html lang="de">');
    expect(de.headers.get('content-language')).toBe('de');
    for (const text of [
      'Kartennummer',
      'Ablaufdatum (MM/JJ)',
      'Sicherheitscode',
      'Name auf der Karte',
      'Testmodus',
      'Gesichert durch Till',
    ])
      expect(de.html).toContain(text);
    expect(de.html).toContain(`1.234,56${NBSP}€ bezahlen`);
    expect(de.html).toContain('Abbrechen und zurück zu Mugs &amp; Co');
    expect(de.html).toContain('placeholder="MM/JJ"');
    expect(de.html).not.toContain('Card number');
    expect(de.hpp).toMatchObject({ locale: 'de', amount: 123456, currency: 'EUR' });
    expect(de.hpp!.messages['card.number.invalid']).toBe('Diese Kartennummer ist ungültig.');

    const none = await page(created.json.hosted_payment_url);
    expect(none.html).toContain('<html lang="en">');
    expect(none.html).toContain('Pay €1,234.56');
    const unknown = await page(created.json.hosted_payment_url, 'sr-Latn, ja;q=0.8');
    expect(unknown.html).toContain('<html lang="en">');
  });

  it("the payment's locale beats Accept-Language and comes back in REST, GraphQL and events", async () => {
    const created = await createV1({ locale: 'bs-latn-ba' });
    expect(created.status).toBe(200);
    expect(created.json.locale).toBe('bs-Latn-BA');
    const bs = await page(created.json.hosted_payment_url, 'de');
    expect(bs.html).toContain('<html lang="bs">');
    expect(bs.html).toContain('Broj kartice');
    expect(bs.html).toContain(`Plati 1.234,56${NBSP}€`);
    const fetched = await request(app.url, 'GET', `/v1/payments/${created.json.id}`, {
      key: merchant.test_secret_key,
    });
    expect(fetched.json.locale).toBe('bs-Latn-BA');
    const events = await request(app.url, 'GET', '/v1/events', { key: merchant.test_secret_key });
    expect(events.json.data[0].data.object).toMatchObject({ id: created.json.id, locale: 'bs-Latn-BA' });

    // A language Till does not speak is kept as asked, and the browser chooses.
    const pt = await createV1({ locale: 'pt-BR' });
    expect(pt.json.locale).toBe('pt-BR');
    expect((await page(pt.json.hosted_payment_url, 'it')).html).toContain('<html lang="it">');
  });

  it('words card-form errors on the server in the page language', async () => {
    const created = await createV1({ locale: 'de' });
    const s = await openCheckout(created.json.hosted_payment_url);
    const pay = (headers: Record<string, string>) =>
      request(app.url, 'POST', `/hpp/api/sessions/${s.init.session_id}/pay`, {
        headers: { 'x-client-key': s.init.client_key, 'x-session-secret': s.hpp.session_secret, ...headers },
        body: { number: '4242424242424241', exp_month: 12, exp_year: 2001, cvc: '12', name: '' },
      });
    const de = await pay({ 'accept-language': 'fr' });
    expect(de.status).toBe(400);
    expect(
      Object.fromEntries(de.json.errors.map((e: { field: string; message: string }) => [e.field, e.message])),
    ).toEqual({
      number: 'Diese Kartennummer ist ungültig.',
      expiry: 'Diese Karte ist abgelaufen.',
      cvc: 'Geben Sie den 3-stelligen Sicherheitscode ein.',
      name: 'Geben Sie den Namen auf der Karte ein.',
    });

    const plain = await createV1();
    const p = await openCheckout(plain.json.hosted_payment_url);
    const hr = await request(app.url, 'POST', `/hpp/api/sessions/${p.init.session_id}/pay`, {
      headers: {
        'x-client-key': p.init.client_key,
        'x-session-secret': p.hpp.session_secret,
        'accept-language': 'hr',
      },
      body: { number: '', exp_month: 12, exp_year: 2034, cvc: '123', name: 'Ana' },
    });
    expect(hr.json.errors).toEqual([{ field: 'number', message: 'Unesite broj kartice.' }]);
    expect(hr.headers.get('content-language')).toBeNull(); // an error carries no view
  });

  it('translates the state pages and the page for an unknown link', async () => {
    const created = await createV1({ locale: 'fr' });
    const s = await openCheckout(created.json.hosted_payment_url);
    const view = await request(app.url, 'POST', `/hpp/api/sessions/${s.init.session_id}/cancel`, {
      headers: { 'x-client-key': s.init.client_key, 'x-session-secret': s.hpp.session_secret },
      body: {},
    });
    expect(view.json).toMatchObject({
      state: 'canceled',
      message: 'Ce paiement a été annulé.',
      amountFormatted: `1${NNBSP}234,56${NBSP}€`,
    });
    expect(view.headers.get('content-language')).toBe('fr');
    const canceled = await page(created.json.hosted_payment_url, 'de');
    expect(canceled.html).toContain('<html lang="fr">');
    expect(canceled.html).toContain('<h1>Paiement annulé</h1>');
    expect(canceled.html).toContain('Ce paiement a été annulé.');
    expect(canceled.html).toContain('Retourner chez le marchand');

    const missing = await page(`${app.url}/hpp/pay_${'X'.repeat(24)}`, 'nl-BE');
    expect(missing.status).toBe(404);
    expect(missing.html).toContain('<html lang="nl">');
    expect(missing.html).toContain('Betaling niet gevonden');
  });

  it("the sandbox's 3-D Secure page speaks the payment's language", async () => {
    const created = await createV1({ locale: 'it' });
    const s = await openCheckout(created.json.hosted_payment_url);
    const paid = await request(app.url, 'POST', `/hpp/api/sessions/${s.init.session_id}/pay`, {
      headers: { 'x-client-key': s.init.client_key, 'x-session-secret': s.hpp.session_secret },
      body: { number: '4000000000003220', exp_month: 12, exp_year: 2034, cvc: '123', name: 'Lucia' },
    });
    expect(paid.json.state).toBe('requires_action');
    const challenge = await page(new URL(paid.json.redirectUrl, app.url).href, 'en');
    expect(challenge.html).toContain('<html lang="it">');
    expect(challenge.html).toContain('Conferma questo pagamento');
    expect(challenge.html).toContain(
      `La tua banca ti chiede di confermare un pagamento di <strong>1234,56${NBSP}€</strong> a <strong>Mugs &amp; Co</strong> con la carta che termina con 3220.`,
    );
    expect(challenge.html).toContain('>Approva</button>');
  });

  it.each(['en_US', 'not a language', '', 'x'.repeat(36), 'de-', '<b>'])(
    'REST v1 refuses locale %j with 400 and creates nothing',
    async (locale) => {
      const before = await payments();
      const res = await createV1({ locale });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ type: 'invalid_request_error', param: 'locale' });
      expect(await payments()).toBe(before);
    },
  );

  it('REST v1 refuses a locale that is not a string, and counts locale in the idempotency fingerprint', async () => {
    const number = await createV1({ locale: 7 });
    expect(number.status).toBe(400);
    expect(number.json.error).toMatchObject({ param: 'locale' });
    const key = randomUUID();
    const first = await createV1({ locale: 'de' }, key);
    expect(first.status).toBe(200);
    const replay = await createV1({ locale: 'de' }, key);
    expect(replay.json.id).toBe(first.json.id);
    const other = await createV1({ locale: 'fr' }, key);
    expect(other.status).toBe(422);
    expect(other.json.error).toMatchObject({ code: 'idempotency_key_reused' });
  });

  it('GraphQL takes locale on create and returns it; a bad tag is a userError and creates nothing', async () => {
    const input = { amount: 2500, currency: 'EUR', returnUrl: 'https://shop.example.com/r' };
    const ok = await gql(
      app.url,
      CreateHostedPaymentDocument,
      { input: { ...input, locale: 'hr-hr' } },
      { key: merchant.test_secret_key },
    );
    expect(ok.data!.createHostedPayment.userErrors).toEqual([]);
    expect(ok.data!.createHostedPayment.payment!.locale).toBe('hr-HR');
    expect((await page(ok.data!.createHostedPayment.hostedPaymentUrl!, 'en')).html).toContain(
      '<html lang="hr">',
    );

    const before = await payments();
    const bad = await gql(
      app.url,
      CreateHostedPaymentDocument,
      { input: { ...input, locale: 'hr_HR' } },
      { key: merchant.test_secret_key },
    );
    expect(bad.data!.createHostedPayment.payment).toBeNull();
    expect(bad.data!.createHostedPayment.userErrors).toEqual([
      expect.objectContaining({ field: ['input', 'locale'], message: expect.stringMatching(/BCP 47/) }),
    ]);
    expect(await payments()).toBe(before);
  });

  it('the api dialect takes locale on create; a bad tag is its INVALID answer', async () => {
    const token = await accessToken(app.url, merchant);
    const session = await createSession(app.url, token, {
      locale: 'bs',
      terminal_id: 'TERM001',
      currency: 'BAM',
      amount: 123456,
    });
    const bs = await page(session.redirect_url, 'en');
    expect(bs.html).toContain('<html lang="bs">');
    expect(bs.html).toContain(`Plati 1.234,56${NBSP}KM`);
    expect(bs.html).toContain('Sigurnosni kod');

    const before = await payments();
    const bad = await request(app.url, 'POST', '/api/hosted-payment-page', {
      key: token,
      body: {
        reference: 'ORDER-2',
        terminal_id: 'DEV02',
        currency: 'EUR',
        amount: 100,
        transaction_type: 'PURCHASE',
        success_url: 'https://shop.example.com/s',
        cancel_url: 'https://shop.example.com/c',
        error_url: 'https://shop.example.com/e',
        locale: 'bs BA',
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ status: 'INVALID', errors: [{ property: 'locale' }] });
    expect(await payments()).toBe(before);
  });
});
