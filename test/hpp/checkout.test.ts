import { accessToken } from '../support/api-dialect.js';
import { backends } from '../support/backends.js';
import { createSession, openCheckout } from '../support/checkout.js';
import { request } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';
import { SandboxConnector } from '../../src/processors/sandbox-connector.js';
import { SandboxProcessor } from '../../src/processors/sandbox.js';

const TEST_CARDS = [
  '4242424242424242',
  '5555555555554444',
  '4000000000000002',
  '4000000000009995',
  '4000000000000069',
  '4000000000000127',
  '4000000000000119',
  '4000000000003220',
  '4000008400001629',
];

describe.each(backends)('checkout API and sandbox processor (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;

  beforeAll(async () => {
    // Card-testing limits get their own instance below; here they stay out of the way.
    app = await startTill({ backend, env: { CHECKOUT_ATTEMPTS_PER_CLIENT: '10000' } });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    merchant = await newMerchant(app, 'Shop');
  });

  async function open(extra: Record<string, unknown> = {}) {
    const res = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: merchant.test_secret_key,
      body: { amount: 1000, currency: 'EUR', return_url: 'https://shop.example.com/r', ...extra },
    });
    return { id: res.json.id as string, ...(await openCheckout(res.json.hosted_payment_url)) };
  }

  const pay = (
    s: { init: { client_key: string; session_id: string }; hpp: { session_secret: string } },
    card: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) =>
    request(app.url, 'POST', `/hpp/api/sessions/${s.init.session_id}/pay`, {
      headers: { 'x-client-key': s.init.client_key, 'x-session-secret': s.hpp.session_secret, ...headers },
      body: {
        number: '4242424242424242',
        exp_month: 12,
        exp_year: 2034,
        cvc: '123',
        name: 'Jenny Rosen',
        ...card,
      },
    });
  const v1 = async (id: string) =>
    (await request(app.url, 'GET', `/v1/payments/${id}`, { key: merchant.test_secret_key })).json;
  const count = async (table: string) =>
    Number(
      (await app.till.db.em.fork().execute<{ n: string }[]>(`select count(*) as n from ${table}`))[0]!.n,
    );

  it('serves the page with a strict CSP, a nonce on every script, and InitData before the app script', async () => {
    const s = await open();
    const csp = s.headers.get('content-security-policy')!;
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(s.headers.get('x-content-type-options')).toBe('nosniff');
    expect(s.headers.get('referrer-policy')).toBe('no-referrer');
    const scripts = [...s.html.matchAll(/<script[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBe(2);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    expect(s.html.indexOf('window.InitData')).toBeLessThan(s.html.indexOf('/hpp/assets/checkout.js'));
    expect(s.html).not.toMatch(/https?:\/\/(?!shop\.example\.com)[^"']*\.js/); // no third-party scripts
    expect(s.init).toEqual({
      client_key: merchant.client_key,
      session_id: expect.stringMatching(/^[A-Za-z0-9]{20}$/),
    });
    const asset = await fetch(`${app.url}/hpp/assets/checkout.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('javascript');
  });

  it('refuses a wrong client key, a wrong secret and another merchant’s session, charging nothing', async () => {
    const s = await open();
    const chargesBefore = await count('sandbox_charge');
    const other = await newMerchant(app, 'Other');
    const wrongKey = await pay(s, {}, { 'x-client-key': other.client_key });
    expect(wrongKey.status).toBe(404);
    const wrongSecret = await pay(s, {}, { 'x-session-secret': 'pay_000000000000000000000000' });
    expect(wrongSecret.status).toBe(404);
    const noHeaders = await request(app.url, 'POST', `/hpp/api/sessions/${s.init.session_id}/pay`, {
      body: {},
    });
    expect(noHeaders.status).toBe(404);
    expect((await v1(s.id)).status).toBe('PENDING');
    expect(await count('sandbox_charge')).toBe(chargesBefore);
    const tampered = await fetch(`${app.url}/hpp/pay_000000000000000000000000`);
    expect(tampered.status).toBe(404);
  });

  describe('an api-dialect payment opens only through its token URL', () => {
    async function apiPayment() {
      const created = await createSession(app.url, await accessToken(app.url, merchant));
      return { redirectUrl: created.redirect_url, ...(await openCheckout(created.redirect_url)) };
    }
    const byIdHeaders = (s: Awaited<ReturnType<typeof apiPayment>>) => ({
      'x-client-key': s.init.client_key,
      'x-session-secret': s.hpp.payment_id,
    });

    it('its token URL opens the page; /hpp/<pay_id> answers 404', async () => {
      const s = await apiPayment();
      expect(s.hpp.session_secret).not.toBe(s.hpp.payment_id);
      const byId = await fetch(`${app.url}/hpp/${s.hpp.payment_id}`);
      expect(byId.status).toBe(404);
      expect(await byId.text()).not.toContain(s.init.session_id);
      const view = await request(app.url, 'GET', `/hpp/api/sessions/${s.init.session_id}`, {
        headers: { 'x-client-key': s.init.client_key, 'x-session-secret': s.hpp.session_secret },
      });
      expect(view.status).toBe(200);
    });

    it('the checkout API refuses its payment id as the secret: view, pay and cancel are 404 and nothing changes', async () => {
      const s = await apiPayment();
      const cardsBefore = await count('sandbox_card');
      const view = await request(app.url, 'GET', `/hpp/api/sessions/${s.init.session_id}`, {
        headers: byIdHeaders(s),
      });
      expect(view.status).toBe(404);
      expect(view.json).toMatchObject({ error: 'resource_missing' });
      const paid = await pay({ init: s.init, hpp: { session_secret: s.hpp.payment_id } }, {});
      expect(paid.status).toBe(404);
      const canceled = await request(app.url, 'POST', `/hpp/api/sessions/${s.init.session_id}/cancel`, {
        headers: byIdHeaders(s),
      });
      expect(canceled.status).toBe(404);
      expect(await v1(s.hpp.payment_id)).toMatchObject({ status: 'PENDING', version: 1 });
      expect(await count('sandbox_card')).toBe(cardsBefore);
      // The token still works: the refusals above changed nothing.
      const cancel = await request(app.url, 'POST', `/hpp/api/sessions/${s.init.session_id}/cancel`, {
        headers: { 'x-client-key': s.init.client_key, 'x-session-secret': s.hpp.session_secret },
      });
      expect(cancel.status).toBe(200);
      expect((await v1(s.hpp.payment_id)).status).toBe('CANCELED');
    });

    it('a v1 payment keeps opening at its hosted_payment_url, /hpp/<pay_id>, and cancels there', async () => {
      const s = await open();
      expect(s.hpp.session_secret).toBe(s.id);
      const cancel = await request(app.url, 'POST', `/hpp/api/sessions/${s.init.session_id}/cancel`, {
        headers: { 'x-client-key': s.init.client_key, 'x-session-secret': s.id },
      });
      expect(cancel.status).toBe(200);
      expect((await v1(s.id)).status).toBe('CANCELED');
    });
  });

  it.each([
    ['a number failing Luhn', { number: '4242424242424241' }, 'number'],
    ['an expired card', { exp_month: 1, exp_year: 2020 }, 'expiry'],
    ['a bad month', { exp_month: 13 }, 'expiry'],
    ['a short CVC', { cvc: '12' }, 'cvc'],
    ['no name', { name: '' }, 'name'],
    ['a number of the wrong type', { number: 4242424242424242 }, 'number'],
  ])(
    'refuses %s with a 400 naming the field, and the processor never sees it',
    async (_name, card, field) => {
      const s = await open();
      const before = await count('sandbox_card');
      const res = await pay(s, card);
      expect(res.status).toBe(400);
      expect(res.json.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await count('sandbox_card')).toBe(before);
      expect((await v1(s.id)).status).toBe('PENDING');
    },
  );

  it('a double submission charges once: the second gets 409', async () => {
    const s = await open();
    const chargesBefore = await count('sandbox_charge');
    const [a, b] = await Promise.all([pay(s, {}), pay(s, {})]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect(await count('sandbox_charge')).toBe(chargesBefore + 1);
    expect((await v1(s.id)).status).toBe('SUCCEEDED');
    const again = await pay(s, {});
    expect(again.status).toBe(409);
    expect(again.json.message).toContain('already been completed');
  });

  it('saves a card token when asked and supported, kept with the customer', async () => {
    const token = await accessToken(app.url, merchant);
    const created = await createSession(app.url, token, {
      reference: 'R',
      terminal_id: 'TERM001',
      amount: 500,
      customer_id: 'CUST-1',
      tokenization: { save_card_for_future_payments: true },
    });
    const { init, hpp } = await openCheckout(created.redirect_url);
    expect((await pay({ init, hpp }, {})).status).toBe(200);
    const session = await request(app.url, 'GET', `/api/sessions/${created.session_id}`, { key: token });
    const payment = await v1(session.json.payment_id);
    expect(payment).toMatchObject({
      status: 'SUCCEEDED',
      card_token: expect.stringMatching(/^tok_[A-Za-z0-9]{24}$/),
    });
    const [saved] = await app.till.db.em
      .fork()
      .execute<{ customer_id: string; last4: string }[]>(
        'select customer_id, last4 from card_token where id = ?',
        [payment.card_token],
      );
    expect(saved).toEqual({ customer_id: 'CUST-1', last4: '4242' });
  });

  /** The sandbox acquirer as Till reaches it, to act out what it received before a crash. */
  const sandboxAcquirer = () =>
    new SandboxConnector('sandbox', new SandboxProcessor(app.till.db, app.url), app.till.db);
  const card = (number: string) => ({ number, expMonth: 12, expYear: 2034, cvc: '123', name: 'J' });
  /** The state a crash leaves: PROCESSING, the card sent (or not) to the acquirer under the claim's key. */
  const claimed = (id: string) =>
    app.till.services.payments.advance(id, ['PENDING'], 'PROCESSING', {
      processorRoute: { connector: 'sandbox', accountId: null, reference: null },
      processorChargeKey: `${id}:1:sandbox`,
      attempts: 1,
      card: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2034, country: null },
    });
  const chargeRequest = (id: string, number: string) => ({
    idempotencyKey: `${id}:1:sandbox`,
    paymentId: id,
    amount: 1000,
    currency: 'EUR',
    capture: true,
    card: card(number),
    returnUrl: `${app.url}/hpp/return/${id}`,
    description: null,
    simulation: {},
    tokenize: false,
    shopper: { ip: null, userAgent: null, acceptHeader: null },
  });

  it('finishes a charge a crash cut off, without charging twice', async () => {
    const s = await open();
    await claimed(s.id);
    // The acquirer charged; Till crashed before recording the answer.
    await sandboxAcquirer().authorize(chargeRequest(s.id, '4242424242424242'));
    expect(await app.till.services.checkout.recoverStuck(0)).toBeGreaterThanOrEqual(1);
    expect(await v1(s.id)).toMatchObject({
      status: 'SUCCEEDED',
      processor: { connector: 'sandbox', account_id: null, reference: expect.stringMatching(/^sbch_/) },
    });
    const [row] = await app.till.db.em
      .fork()
      .execute<{ n: string }[]>('select count(*) as n from sandbox_charge where idempotency_key = ?', [
        `${s.id}:1:sandbox`,
      ]);
    expect(Number(row!.n)).toBe(1);
  });

  it('records a processor decline as FAILED, never SUCCEEDED, even when finished by recovery', async () => {
    const s = await open();
    await claimed(s.id);
    // The acquirer received the request but had not answered when Till crashed.
    const processor = new SandboxProcessor(app.till.db, app.url);
    const prepared = await processor.prepareCard(card('4000000000000002'), {});
    await app.till.db.em.fork().execute(
      `insert into sandbox_charge_request (idempotency_key, card_ref, amount, currency, capture, tokenize, simulation)
       values (?, ?, 1000, 'EUR', true, false, '{}'::jsonb)`,
      [`${s.id}:1:sandbox`, prepared.ref],
    );
    await app.till.services.checkout.recoverStuck(0);
    expect(await v1(s.id)).toMatchObject({ status: 'FAILED', decline_code: 'card_declined' });
  });

  it('fails a charge the acquirer never received, so the customer is not left waiting', async () => {
    const s = await open();
    await claimed(s.id);
    await app.till.services.checkout.recoverStuck(0);
    expect(await v1(s.id)).toMatchObject({ status: 'FAILED', decline_code: 'processing_error' });
    expect(await count(`sandbox_charge where idempotency_key = '${s.id}:1:sandbox'`)).toBe(0);
  });

  it('never stores, logs or emits a card number or CVC', async () => {
    for (const number of TEST_CARDS) {
      const s = await open();
      const res = await pay(s, { number, cvc: '737' });
      expect(res.status).toBe(200); // reached the processor
    }
    // Everything in every table, as text, and every log line.
    const tables = await app.till.db.em
      .fork()
      .execute<{ tablename: string }[]>("select tablename from pg_tables where schemaname = 'public'");
    let dump = '';
    for (const { tablename } of tables)
      dump += JSON.stringify(await app.till.db.em.fork().execute(`select * from "${tablename}"`));
    const logs = app.logs.join('\n');
    for (const number of TEST_CARDS) {
      expect(dump).not.toContain(number);
      expect(logs).not.toContain(number);
      expect(dump).not.toContain(`${number.slice(0, 4)} ${number.slice(4, 8)}`);
    }
    expect(dump).not.toContain('"737"');
    expect(dump).toContain('"last4":"4242"'); // the masked card is there, so the search looked in the right place
  });

  it('rate-limits card submissions per client address', async () => {
    const limited = await startTill({ backend: 'embedded', env: { CHECKOUT_ATTEMPTS_PER_CLIENT: '3' } });
    try {
      const m = await newMerchant(limited, 'Limited');
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await request(limited.url, 'POST', '/v1/payments/hpp', {
          key: m.test_secret_key,
          body: { amount: 1000, currency: 'EUR', return_url: 'https://shop.example.com/r' },
        });
        const { init, hpp } = await openCheckout(res.json.hosted_payment_url);
        const paid = await request(limited.url, 'POST', `/hpp/api/sessions/${init.session_id}/pay`, {
          headers: { 'x-client-key': init.client_key, 'x-session-secret': hpp.session_secret },
          body: {
            number: '4000000000000002',
            exp_month: 12,
            exp_year: 2034,
            cvc: '123',
            name: 'Card Tester',
          },
        });
        statuses.push(paid.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});
