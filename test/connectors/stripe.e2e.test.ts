import { randomBytes } from 'node:crypto';
import { accessToken } from '../support/api-dialect.js';
import { backends } from '../support/backends.js';
import { createSession, openCheckout } from '../support/checkout.js';
import { startFakeStripe, type FakeStripe } from '../support/fake-stripe.js';
import { eventually, request } from '../support/http.js';
import { freePort, newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789';
/** Every card here is paid with this CVC, so the dump at the end can look for it. */
const CVC = '737';
const CARDS = {
  approved: '4242424242424242',
  insufficientFunds: '4000000000009995',
};
/** How long Till waits for an acquirer before it gives up on the call (a technical failure). */
const TIMEOUT_MS = 3000;

interface Account {
  id: string;
  webhookSecret: string;
  fake: FakeStripe;
}

interface Checkout {
  id: string;
  init: { client_key: string; session_id: string };
  hpp: { session_secret: string };
}

describe.each(backends)('Till end to end through Stripe connector accounts (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  let fakes: FakeStripe[] = [];
  /** Every card number a test sent, for the dump at the end. */
  const sentCards = new Set<string>();

  beforeAll(async () => {
    const port = await freePort();
    app = await startTill({
      backend,
      env: {
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        CONNECTOR_TIMEOUT_MS: String(TIMEOUT_MS),
        CHECKOUT_ATTEMPTS_PER_CLIENT: '10000',
      },
    });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    merchant = await newMerchant(app, 'Stripe shop');
  });
  afterEach(async () => {
    const violations = fakes.flatMap((fake) => fake.violations);
    await Promise.all(fakes.map((fake) => fake.close()));
    fakes = [];
    // Every request Till sent was one Stripe's API describes.
    expect(violations).toEqual([]);
  });

  /** A Stripe account of the merchant, added by the operator, at its own fake Stripe. */
  async function stripeAccount(priority: number): Promise<Account> {
    const fake = await startFakeStripe();
    fakes.push(fake);
    const secretKey = `sk_test_${randomBytes(16).toString('hex')}`;
    const webhookSecret = `whsec_${randomBytes(24).toString('hex')}`;
    const res = await request(
      app.url,
      'POST',
      `/admin/v1/merchants/${merchant.merchant_id}/connector_accounts`,
      {
        key: ADMIN_TOKEN,
        body: {
          connector: 'stripe',
          mode: 'test',
          label: `Stripe ${priority}`,
          currencies: ['EUR'],
          priority,
          credentials: { secret_key: secretKey, webhook_secret: webhookSecret },
          api_base: fake.url,
        },
      },
    );
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ connector: 'stripe', priority, api_base: fake.url });
    expect(res.text).not.toContain(secretKey);
    expect(res.text).not.toContain(webhookSecret);
    return { id: res.json.id as string, webhookSecret, fake };
  }

  /** A seed-004 payment and its hosted page, opened the way the page's script sees it. */
  async function v1Checkout(amount = 2500): Promise<Checkout> {
    const res = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: merchant.test_secret_key,
      body: { amount, currency: 'EUR', return_url: 'https://shop.example.com/r' },
    });
    expect(res.status).toBe(200);
    return { id: res.json.id as string, ...(await openCheckout(res.json.hosted_payment_url)) };
  }

  /** A seed-000 session (which may authorize only) and its hosted page. */
  async function sessionCheckout(extra: Record<string, unknown>): Promise<Checkout> {
    const created = await createSession(app.url, await accessToken(app.url, merchant), extra);
    const opened = await openCheckout(created.redirect_url);
    return { id: opened.hpp.payment_id, ...opened };
  }

  /** The customer submits the card on the hosted page. */
  function pay(checkout: Checkout, number: string) {
    sentCards.add(number);
    return request(app.url, 'POST', `/hpp/api/sessions/${checkout.init.session_id}/pay`, {
      headers: {
        'x-client-key': checkout.init.client_key,
        'x-session-secret': checkout.hpp.session_secret,
      },
      body: { number, exp_month: 12, exp_year: 2034, cvc: CVC, name: 'Jenny Rosen' },
    });
  }

  const v1 = async (id: string) =>
    (await request(app.url, 'GET', `/v1/payments/${id}`, { key: merchant.test_secret_key })).json;

  /** A Stripe webhook for an account, signed with `secret` (the account's own unless a test says). */
  function postWebhook(account: Account, event: object, secret = account.webhookSecret) {
    const signed = account.fake.signEvent(event, secret);
    return request(app.url, 'POST', `/connectors/stripe/${account.id}/webhook`, {
      rawBody: signed.payload,
      headers: { 'stripe-signature': signed.header },
    });
  }

  const creates = (fake: FakeStripe) => fake.requests.filter((r) => r.endpoint === 'payment_intents.create');

  async function eventsOf(type: string, paymentId: string) {
    const res = await request(app.url, 'GET', `/v1/events?type=${type}&limit=100`, {
      key: merchant.test_secret_key,
    });
    expect(res.status).toBe(200);
    return (res.json.data as { data: { object: { id: string } } }[]).filter(
      (event) => event.data.object.id === paymentId,
    );
  }

  it('approves a PURCHASE at the first account: SUCCEEDED, one PaymentIntent, keyed by the payment', async () => {
    const a = await stripeAccount(1);
    const b = await stripeAccount(2);
    const checkout = await v1Checkout();
    const paid = await pay(checkout, CARDS.approved);
    expect(paid.status).toBe(200);

    const [intent, ...others] = a.fake.paymentIntentsOf(checkout.id);
    expect(others).toEqual([]);
    expect(intent).toMatchObject({
      status: 'succeeded',
      amount: 2500,
      currency: 'eur',
      capture_method: 'automatic',
      amount_received: 2500,
    });
    const payment = await v1(checkout.id);
    expect(payment).toMatchObject({
      status: 'SUCCEEDED',
      card: { brand: 'visa', last4: '4242' },
      processor: { connector: 'stripe', account_id: a.id, reference: intent!.id },
      attempts: [
        { connector: 'stripe', account_id: a.id, reference: intent!.id, status: 'approved', error: null },
      ],
    });
    expect(payment.attempts).toHaveLength(1);

    const [create, ...moreCreates] = creates(a.fake);
    expect(moreCreates).toEqual([]);
    expect(create!.status).toBe(200);
    expect(create!.params).toMatchObject({ confirm: 'true', metadata: { till_payment_id: checkout.id } });
    // The key is the payment's charge claim at this account: a repeat can never charge twice.
    expect(create!.idempotencyKey).toBe(`${checkout.id}:1:${a.id}`);
    expect(a.fake.charges()).toBe(1);
    expect(b.fake.requests).toEqual([]);
  });

  it('authorizes, captures part, refunds part twice: the amounts agree on Till and at Stripe', async () => {
    const a = await stripeAccount(1);
    const checkout = await sessionCheckout({ transaction_type: 'AUTHORIZE', amount: 4999 });
    expect((await pay(checkout, CARDS.approved)).status).toBe(200);
    const [intent] = a.fake.paymentIntentsOf(checkout.id);
    expect(intent).toMatchObject({
      status: 'requires_capture',
      capture_method: 'manual',
      amount_capturable: 4999,
      amount_received: 0,
    });
    expect(await v1(checkout.id)).toMatchObject({
      status: 'AUTHORIZED',
      processor: { connector: 'stripe', account_id: a.id, reference: intent!.id },
    });

    const captured = await request(app.url, 'POST', `/v1/payments/${checkout.id}/capture`, {
      key: merchant.test_secret_key,
      body: { amount: 3000 },
    });
    expect(captured.status).toBe(200);
    expect(captured.json).toMatchObject({ status: 'SUCCEEDED', amount: 4999, amount_captured: 3000 });
    expect(a.fake.paymentIntent(intent!.id)).toMatchObject({
      status: 'succeeded',
      amount_received: 3000,
      amount_capturable: 0,
    });

    for (const amount of [1000, 500]) {
      const refund = await request(app.url, 'POST', `/v1/payments/${checkout.id}/refunds`, {
        key: merchant.test_secret_key,
        body: { amount },
      });
      expect(refund.status).toBe(200);
      expect(refund.json).toMatchObject({ amount, status: 'succeeded' });
    }
    // More than is left is refused by Till before Stripe is asked.
    const tooMuch = await request(app.url, 'POST', `/v1/payments/${checkout.id}/refunds`, {
      key: merchant.test_secret_key,
      body: { amount: 1501 },
    });
    expect(tooMuch.status).toBe(400);

    const atStripe = a.fake.refundsOf(intent!.id);
    expect(atStripe.map((r) => [r.amount, r.status])).toEqual([
      [1000, 'succeeded'],
      [500, 'succeeded'],
    ]);
    const refunds = await request(app.url, 'GET', `/v1/payments/${checkout.id}/refunds`, {
      key: merchant.test_secret_key,
    });
    expect(
      (refunds.json.data as { amount: number; status: string }[]).map((r) => [r.amount, r.status]).sort(),
    ).toEqual([
      [1000, 'succeeded'],
      [500, 'succeeded'],
    ]);
    expect(await v1(checkout.id)).toMatchObject({
      status: 'SUCCEEDED',
      amount_captured: 3000,
      amount_refunded: 1500,
    });
    // Each Stripe refund carries Till's refund id.
    const tillRefundIds = (refunds.json.data as { id: string }[]).map((r) => r.id).sort();
    expect(atStripe.map((r) => r.metadata!.till_refund_id).sort()).toEqual(tillRefundIds);
  });

  it('a decline is FAILED with its reason and never fails over to the next account', async () => {
    const a = await stripeAccount(1);
    const b = await stripeAccount(2);
    const checkout = await v1Checkout();
    expect((await pay(checkout, CARDS.insufficientFunds)).status).toBe(200);
    const [intent] = a.fake.paymentIntentsOf(checkout.id);
    const payment = await v1(checkout.id);
    expect(payment).toMatchObject({
      status: 'FAILED',
      decline_code: 'insufficient_funds',
      decline_message: expect.stringMatching(/\S/),
      processor: { connector: 'stripe', account_id: a.id, reference: intent!.id },
      attempts: [{ account_id: a.id, status: 'declined', error: 'insufficient_funds' }],
    });
    expect(payment.attempts).toHaveLength(1);
    expect(a.fake.charges()).toBe(0);
    expect(b.fake.requests).toEqual([]);
  });

  it('fails over to the second account when the first does not answer in time', async () => {
    const a = await stripeAccount(1);
    const b = await stripeAccount(2);
    a.fake.script('payment_intents.create', { kind: 'hang' });
    const checkout = await v1Checkout();
    expect((await pay(checkout, CARDS.approved)).status).toBe(200);

    const [intent] = b.fake.paymentIntentsOf(checkout.id);
    const payment = await v1(checkout.id);
    expect(payment).toMatchObject({
      status: 'SUCCEEDED',
      processor: { connector: 'stripe', account_id: b.id, reference: intent!.id },
      attempts: [
        { account_id: a.id, status: 'technical_failure', error: 'timeout', reference: null },
        { account_id: b.id, status: 'approved', reference: intent!.id },
      ],
    });
    expect(payment.attempts).toHaveLength(2);
    expect(a.fake.charges()).toBe(0);
    expect(b.fake.charges()).toBe(1);
    // Each account is asked under its own key.
    expect(creates(a.fake).map((r) => r.idempotencyKey)).toEqual([`${checkout.id}:1:${a.id}`]);
    expect(creates(b.fake).map((r) => r.idempotencyKey)).toEqual([`${checkout.id}:1:${b.id}`]);
  });

  it('a 500 after Stripe charged: the same-key replay gets the first answer, one charge, no failover', async () => {
    const a = await stripeAccount(1);
    const b = await stripeAccount(2);
    a.fake.script('payment_intents.create', { kind: 'server_error_after' });
    const checkout = await v1Checkout();
    expect((await pay(checkout, CARDS.approved)).status).toBe(200);

    const [intent, ...others] = a.fake.paymentIntentsOf(checkout.id);
    expect(others).toEqual([]);
    const payment = await v1(checkout.id);
    expect(payment).toMatchObject({
      status: 'SUCCEEDED',
      processor: { connector: 'stripe', account_id: a.id, reference: intent!.id },
      attempts: [{ account_id: a.id, status: 'approved', reference: intent!.id }],
    });
    expect(payment.attempts).toHaveLength(1);
    const sent = creates(a.fake);
    expect(sent.map((r) => [r.status, r.replayed])).toEqual([
      [500, false],
      [200, true],
    ]);
    expect(new Set(sent.map((r) => r.idempotencyKey))).toEqual(new Set([`${checkout.id}:1:${a.id}`]));
    expect(a.fake.charges()).toBe(1);
    expect(b.fake.requests).toEqual([]);
  });

  it('refuses a webhook with a bad signature with 400 and changes nothing', async () => {
    const a = await stripeAccount(1);
    a.fake.script('payment_intents.create', { kind: 'pending' });
    const checkout = await v1Checkout();
    expect((await pay(checkout, CARDS.approved)).status).toBe(200);
    const before = await v1(checkout.id);
    expect(before.status).toBe('PROCESSING');
    const [intent] = a.fake.paymentIntentsOf(checkout.id);

    const forged = a.fake.paymentIntentEvent('payment_intent.succeeded', intent!.id);
    const wrongSecret = await postWebhook(a, forged, `whsec_${randomBytes(24).toString('hex')}`);
    expect(wrongSecret.status).toBe(400);
    const unsigned = await request(app.url, 'POST', `/connectors/stripe/${a.id}/webhook`, {
      rawBody: JSON.stringify(forged),
    });
    expect(unsigned.status).toBe(400);
    // A correctly signed body that was changed afterwards.
    const signed = a.fake.signEvent(forged, a.webhookSecret);
    const tampered = await request(app.url, 'POST', `/connectors/stripe/${a.id}/webhook`, {
      rawBody: signed.payload.replace('"amount": 2500', '"amount": 1'),
      headers: { 'stripe-signature': signed.header },
    });
    expect(signed.payload).toContain('"amount": 2500');
    expect(tampered.status).toBe(400);

    expect(await v1(checkout.id)).toEqual(before);
    expect(await eventsOf('payment.succeeded', checkout.id)).toEqual([]);
    // The same event, signed with the account's secret, is what moves it.
    expect((await postWebhook(a, forged)).status).toBe(200);
    expect((await v1(checkout.id)).status).toBe('SUCCEEDED');
  });

  it('a webhook that overtakes the synchronous answer settles the payment; the late answer changes nothing', async () => {
    const a = await stripeAccount(1);
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    a.fake.script('payment_intents.create', { kind: 'answer_after', until: held });
    const checkout = await v1Checkout();
    const paying = pay(checkout, CARDS.approved);

    // Stripe has charged; its answer to Till is still on the way.
    await eventually(() => a.fake.paymentIntentsOf(checkout.id)[0]?.status === 'succeeded');
    const [intent] = a.fake.paymentIntentsOf(checkout.id);
    expect((await v1(checkout.id)).status).toBe('PROCESSING');
    const hook = await postWebhook(a, a.fake.paymentIntentEvent('payment_intent.succeeded', intent!.id));
    expect(hook.status).toBe(200);
    const settled = await v1(checkout.id);
    expect(settled).toMatchObject({
      status: 'SUCCEEDED',
      processor: { connector: 'stripe', account_id: a.id, reference: intent!.id },
    });

    answer();
    expect((await paying).status).toBe(200);
    // The late answer reached Till (it had not given up on the call) …
    expect(creates(a.fake).map((r) => r.status)).toEqual([200]);
    // … and found the payment already settled.
    expect(await v1(checkout.id)).toEqual(settled);
    expect(await eventsOf('payment.succeeded', checkout.id)).toHaveLength(1);
    expect(a.fake.charges()).toBe(1);
    expect(a.fake.requests.filter((r) => r.endpoint === 'refunds.create')).toEqual([]);
  });

  it('a charge Stripe made after Till gave up on it is released when Stripe reports it', async () => {
    const a = await stripeAccount(1);
    // Stripe charges but its answer never arrives: Till times out on the only account.
    a.fake.script('payment_intents.create', { kind: 'hang_after' });
    const checkout = await v1Checkout();
    expect((await pay(checkout, CARDS.approved)).status).toBe(200);
    const failed = await v1(checkout.id);
    expect(failed).toMatchObject({
      status: 'FAILED',
      decline_code: 'processing_error',
      attempts: [{ account_id: a.id, status: 'technical_failure', error: 'timeout' }],
    });
    const [intent] = a.fake.paymentIntentsOf(checkout.id);
    expect(intent).toMatchObject({ status: 'succeeded', amount_received: 2500 });

    // Stripe's approval arrives for a payment Till failed: the customer's money goes back.
    const approval = a.fake.paymentIntentEvent('payment_intent.succeeded', intent!.id);
    expect((await postWebhook(a, approval)).status).toBe(200);
    expect(a.fake.refundsOf(intent!.id).map((r) => [r.amount, r.status])).toEqual([[2500, 'succeeded']]);
    // Stripe delivers at least once: a repeat releases nothing more.
    expect((await postWebhook(a, approval)).status).toBe(200);
    expect(a.fake.refundsOf(intent!.id)).toHaveLength(1);
    expect(await v1(checkout.id)).toMatchObject({ status: 'FAILED', decline_code: 'processing_error' });
    expect(await eventsOf('payment.succeeded', checkout.id)).toEqual([]);
  });

  it('a manual capture charge Stripe made after Till gave up on it is voided when Stripe reports it', async () => {
    const a = await stripeAccount(1);
    a.fake.script('payment_intents.create', { kind: 'hang_after' });
    const checkout = await sessionCheckout({ transaction_type: 'AUTHORIZE', amount: 4999 });
    expect((await pay(checkout, CARDS.approved)).status).toBe(200);
    expect((await v1(checkout.id)).status).toBe('FAILED');
    const [intent] = a.fake.paymentIntentsOf(checkout.id);
    expect(intent!.status).toBe('requires_capture');

    const approval = a.fake.paymentIntentEvent('payment_intent.amount_capturable_updated', intent!.id);
    expect((await postWebhook(a, approval)).status).toBe(200);
    expect(a.fake.paymentIntent(intent!.id)).toMatchObject({ status: 'canceled', amount_capturable: 0 });
    expect((await v1(checkout.id)).status).toBe('FAILED');
  });

  it('no card number or CVC in any table or log line after these flows', async () => {
    // Its own flows too, so the search never looks at nothing.
    const a = await stripeAccount(1);
    for (const number of [CARDS.approved, CARDS.insufficientFunds])
      expect((await pay(await v1Checkout(), number)).status).toBe(200);
    expect(a.fake.stored()).not.toContain(CARDS.approved);

    const em = app.till.db.em.fork();
    const tables = await em.execute<{ tablename: string }[]>(
      "select tablename from pg_tables where schemaname = 'public'",
    );
    let dump = '';
    for (const { tablename } of tables)
      dump += JSON.stringify(await em.execute(`select * from "${tablename}"`));
    const logs = app.logs.join('\n');
    expect(sentCards.size).toBeGreaterThanOrEqual(2);
    for (const number of sentCards) {
      for (const text of [dump, logs]) {
        expect(text).not.toContain(number);
        expect(text).not.toContain(`${number.slice(0, 4)} ${number.slice(4, 8)}`);
      }
    }
    expect(dump).not.toContain(`"${CVC}"`);
    expect(logs).not.toContain(`"${CVC}"`);
    expect(dump).toContain('"last4":"4242"'); // the masked card is there: the search looked in the right place
  });
});
