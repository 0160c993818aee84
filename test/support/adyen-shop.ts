import { randomBytes } from 'node:crypto';
import { accessToken } from './api-dialect.js';
import { createSession, openCheckout } from './checkout.js';
import { startFakeAdyen, type FakeAdyen, type NotificationInput } from './fake-adyen.js';
import { request, type Reply } from './http.js';
import { newMerchant, startTill, type Backend, type RunningTill } from './till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';
import { dumpAllTables } from './database.js';

/** Adyen's own test card (Authorised unless the holder name asks for a refusal). */
export const CARD = '4111111145551142';
/** A card Adyen sends through 3-D Secure. */
export const THREE_DS_CARD = '4212345678901245';
export const CVC = '737';

export interface AdyenAccount {
  id: string;
  webhook_url: string;
}

/**
 * A merchant of a real Till (one per suite) with Adyen accounts at local fakes, driven the way the
 * operator (admin API), the shop (REST v1), the customer (the hosted page's checkout API) and Adyen
 * (notifications) would. Registers its own hooks: a new merchant per test, and after each test the
 * fakes must have recorded no violation of Adyen's API.
 */
export function useAdyenShop(backend: Backend, env: Record<string, string> = {}) {
  let fakes: FakeAdyen[] = [];
  const shop = {
    app: undefined as unknown as RunningTill,
    merchant: undefined as unknown as MerchantCredentials,
    token: '',
    /** Every secret handed to Till in this suite: none may be stored or logged in the clear. */
    secrets: [] as string[],

    /** A fake Adyen with its own credentials. */
    async fakeAdyen(): Promise<FakeAdyen> {
      const fake = await startFakeAdyen({
        apiKey: `AQE_test_${randomBytes(12).toString('hex')}`,
        merchantAccount: `TillShop${randomBytes(3).toString('hex')}ECOM`,
      });
      fakes.push(fake);
      shop.secrets.push(fake.apiKey, fake.hmacKey);
      return fake;
    },

    /** The operator adds an Adyen account pointing at a fake (lower priority is tried first). */
    async addAccount(fake: FakeAdyen, priority: number): Promise<AdyenAccount> {
      const res = await request(
        shop.app.url,
        'POST',
        `/admin/v1/merchants/${shop.merchant.merchant_id}/connector_accounts`,
        {
          key: 'test-admin-token-0123456789',
          body: {
            connector: 'adyen',
            mode: 'test',
            label: `Adyen ${priority}`,
            currencies: ['EUR'],
            priority,
            credentials: {
              api_key: fake.apiKey,
              merchant_account: fake.merchantAccount,
              hmac_key: fake.hmacKey,
            },
            api_base: fake.url,
          },
        },
      );
      expect(res.status).toBe(201);
      expect(res.text).not.toContain(fake.apiKey);
      expect(res.text).not.toContain(fake.hmacKey);
      expect(res.json.webhook_url).toMatch(new RegExp(`/connectors/adyen/${res.json.id}/notifications$`));
      return res.json;
    },

    /** A hosted checkout the shop opened; `pay` is the customer submitting the card on the page. */
    async checkout(extra: Record<string, unknown> = {}) {
      const created = await createSession(shop.app.url, shop.token, { amount: 4999, ...extra });
      const { init, hpp } = await openCheckout(created.redirect_url);
      const pay = (card: { name?: string; number?: string } = {}): Promise<Reply<any>> =>
        request(shop.app.url, 'POST', `/hpp/api/sessions/${init.session_id}/pay`, {
          headers: { 'x-client-key': init.client_key, 'x-session-secret': hpp.session_secret },
          body: {
            number: card.number ?? CARD,
            exp_month: 3,
            exp_year: 2030,
            cvc: CVC,
            name: card.name ?? 'Jane Doe',
          },
        });
      return { id: hpp.payment_id, pay };
    },

    async v1(id: string) {
      return (
        await request(shop.app.url, 'GET', `/v1/payments/${id}`, { key: shop.merchant.test_secret_key })
      ).json;
    },

    post(path: string, body: unknown) {
      return request(shop.app.url, 'POST', path, { key: shop.merchant.test_secret_key, body });
    },

    /** The merchant's events of one type about one payment. */
    async events(type: string, paymentId: string) {
      const res = await request(shop.app.url, 'GET', `/v1/events?limit=100&type=${type}`, {
        key: shop.merchant.test_secret_key,
      });
      return (res.json.data as Array<{ data: { object: { id: string; payment_id?: string } } }>).filter(
        (e) => (e.data.object.payment_id ?? e.data.object.id) === paymentId,
      );
    },

    /** Adyen posting a notification body to the account's URL. */
    notify(account: AdyenAccount, body: string) {
      return request(shop.app.url, 'POST', new URL(account.webhook_url).pathname, { rawBody: body });
    },

    /** Everything in every table, each row as JSON, and every log line. */
    async everythingStored(): Promise<{ dump: string; logs: string }> {
      return { dump: await dumpAllTables(shop.app.till.db), logs: shop.app.logs.join('\n') };
    },
  };

  beforeAll(async () => {
    shop.app = await startTill({ backend, env });
  });
  afterAll(async () => {
    await shop.app?.close();
  });
  beforeEach(async () => {
    shop.merchant = await newMerchant(shop.app, 'Adyen Shop');
    shop.token = await accessToken(shop.app.url, shop.merchant);
  });
  afterEach(async () => {
    // Whatever a test did, everything Till sent fit Adyen's published API.
    for (const fake of fakes) expect(fake.violations).toEqual([]);
    await Promise.all(fakes.map((fake) => fake.close()));
    fakes = [];
  });
  return shop;
}

/** Adyen's AUTHORISATION notification for a payment of 49.99 EUR. */
export function authorisation(
  paymentId: string,
  psp: string,
  extra: Partial<NotificationInput> = {},
): NotificationInput {
  return {
    eventCode: 'AUTHORISATION',
    pspReference: psp,
    merchantReference: paymentId,
    amount: { value: 4999, currency: 'EUR' },
    ...extra,
  };
}

export const paymentCalls = (fake: FakeAdyen) => fake.requests.filter((r) => r.endpoint === 'payments');

/** The one payment a fake holds. */
export function onlyPayment(fake: FakeAdyen) {
  expect(fake.payments.size).toBe(1);
  return [...fake.payments.values()][0]!;
}

/** No card number (plain or spaced) or CVC in a text, nor any of the acquirer secrets. */
export function expectNoCardData(text: string, cards: string[], secrets: string[]) {
  for (const card of cards) {
    expect(text).not.toContain(card);
    expect(text).not.toContain(`${card.slice(0, 4)} ${card.slice(4, 8)}`);
  }
  expect(text).not.toContain(`"${CVC}"`);
  for (const secret of secrets) expect(text).not.toContain(secret);
}
