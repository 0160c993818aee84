import { randomBytes } from 'node:crypto';
import { accessToken } from '../support/api-dialect.js';
import { createSession, openCheckout } from '../support/checkout.js';
import { dumpAllTables } from '../support/database.js';
import { startFakeStripe, type FakeStripe } from '../support/fake-stripe.js';
import { request } from '../support/http.js';
import { freePort, newMerchant, startTill, type Backend, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789';
/** Every card here is paid with this CVC, so a dump can look for it. */
export const CVC = '737';
export const CARDS = {
  approved: '4242424242424242',
  insufficientFunds: '4000000000009995',
};
/** How long Till waits for an acquirer before it gives up on the call (a technical failure). */
export const TIMEOUT_MS = 3000;

export interface StripeAccount {
  id: string;
  secretKey: string;
  webhookSecret: string;
  fake: FakeStripe;
}

export interface Checkout {
  id: string;
  init: { client_key: string; session_id: string };
  hpp: { session_secret: string };
}

/**
 * A real Till on `backend` whose merchants pay through Stripe connector accounts at local fake
 * Stripes: registers the suite's hooks (one Till per suite, a new merchant per test, every fake
 * closed after its test with no request outside Stripe's published API) and gives the tests a
 * merchant's and a customer's ways in.
 */
export function stripeHarness(backend: Backend) {
  let app!: RunningTill;
  let merchant!: MerchantCredentials;
  let fakes: FakeStripe[] = [];
  /** Every card number a test sent, for the dump. */
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

  /** A Stripe account of the test's merchant (or another), added by the operator, at its own fake Stripe. */
  async function stripeAccount(priority: number, merchantId = merchant.merchant_id): Promise<StripeAccount> {
    const fake = await startFakeStripe();
    fakes.push(fake);
    const secretKey = `sk_test_${randomBytes(16).toString('hex')}`;
    const webhookSecret = `whsec_${randomBytes(24).toString('hex')}`;
    const res = await request(app.url, 'POST', `/admin/v1/merchants/${merchantId}/connector_accounts`, {
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
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ connector: 'stripe', priority, api_base: fake.url });
    expect(res.text).not.toContain(secretKey);
    expect(res.text).not.toContain(webhookSecret);
    return { id: res.json.id as string, secretKey, webhookSecret, fake };
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

  /** A merchant's POST to the v1 API. */
  const v1Post = (path: string, body: unknown = {}) =>
    request(app.url, 'POST', path, { key: merchant.test_secret_key, body });

  /** A Stripe webhook for an account, signed with `secret` (the account's own unless a test says). */
  function postWebhook(account: StripeAccount, event: object, secret = account.webhookSecret) {
    const signed = account.fake.signEvent(event, secret);
    return request(app.url, 'POST', `/connectors/stripe/${account.id}/webhook`, {
      rawBody: signed.payload,
      headers: { 'stripe-signature': signed.header },
    });
  }

  const creates = (fake: FakeStripe) => fake.requests.filter((r) => r.endpoint === 'payment_intents.create');

  /** The merchant's events of `type` about one payment. */
  async function eventsOf(type: string, paymentId: string) {
    const res = await request(app.url, 'GET', `/v1/events?type=${type}&limit=100`, {
      key: merchant.test_secret_key,
    });
    expect(res.status).toBe(200);
    return (res.json.data as { data: { object: { id: string } } }[]).filter(
      (event) => event.data.object.id === paymentId,
    );
  }

  /** No card number (plain or grouped) or CVC in any table or log line; the masked card is there. */
  async function expectNoCardData(): Promise<void> {
    const dump = await dumpAllTables(app.till.db);
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
  }

  return {
    expectNoCardData,
    app: () => app,
    merchant: () => merchant,
    sentCards,
    stripeAccount,
    v1Checkout,
    sessionCheckout,
    pay,
    v1,
    v1Post,
    postWebhook,
    creates,
    eventsOf,
  };
}
