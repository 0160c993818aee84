import { randomBytes } from 'node:crypto';
import { accessToken } from '../support/api-dialect.js';
import { backends } from '../support/backends.js';
import { createSession, openCheckout } from '../support/checkout.js';
import { startFakeAdyen, type FakeAdyen, type NotificationInput } from '../support/fake-adyen.js';
import { eventually, request, type Reply } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

const ADMIN = 'test-admin-token-0123456789';
/** Adyen's own test card (Authorised unless the holder name asks for a refusal). */
const CARD = '4111111145551142';
const CVC = '737';
/** Every call to Adyen that has not answered in this time is a timeout (the hang scenarios). */
const TIMEOUT_MS = 3000;

interface Account {
  id: string;
  webhook_url: string;
}

describe.each(backends)('Till end to end through the Adyen connector (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  let token: string;
  let fakes: FakeAdyen[] = [];
  /** Every secret handed to Till in this suite: none may be stored or logged in the clear. */
  const secrets: string[] = [];

  beforeAll(async () => {
    app = await startTill({ backend, env: { CONNECTOR_TIMEOUT_MS: String(TIMEOUT_MS) } });
  });
  afterAll(async () => {
    await app?.close();
  });
  beforeEach(async () => {
    merchant = await newMerchant(app, 'Adyen Shop');
    token = await accessToken(app.url, merchant);
  });
  afterEach(async () => {
    // Whatever a test did, everything Till sent fit Adyen's published API.
    for (const fake of fakes) expect(fake.violations).toEqual([]);
    await Promise.all(fakes.map((fake) => fake.close()));
    fakes = [];
  });

  /** A fake Adyen with its own credentials. */
  async function fakeAdyen(): Promise<FakeAdyen> {
    const fake = await startFakeAdyen({
      apiKey: `AQE_test_${randomBytes(12).toString('hex')}`,
      merchantAccount: `TillShop${randomBytes(3).toString('hex')}ECOM`,
    });
    fakes.push(fake);
    secrets.push(fake.apiKey, fake.hmacKey);
    return fake;
  }

  /** The operator adds an Adyen account pointing at a fake (lower priority is tried first). */
  async function addAccount(fake: FakeAdyen, priority: number): Promise<Account> {
    const res = await request(
      app.url,
      'POST',
      `/admin/v1/merchants/${merchant.merchant_id}/connector_accounts`,
      {
        key: ADMIN,
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
  }

  /** A hosted checkout the shop opened; `pay` is the customer submitting the card on the page. */
  async function checkout(extra: Record<string, unknown> = {}) {
    const created = await createSession(app.url, token, { amount: 4999, ...extra });
    const { init, hpp } = await openCheckout(created.redirect_url);
    const pay = (card: { name?: string; number?: string } = {}): Promise<Reply<any>> =>
      request(app.url, 'POST', `/hpp/api/sessions/${init.session_id}/pay`, {
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
  }

  const v1 = async (id: string) =>
    (await request(app.url, 'GET', `/v1/payments/${id}`, { key: merchant.test_secret_key })).json;
  const post = (path: string, body: unknown) =>
    request(app.url, 'POST', path, { key: merchant.test_secret_key, body });
  /** The merchant's events of one type for one payment. */
  const events = async (type: string, paymentId: string) => {
    const res = await request(app.url, 'GET', `/v1/events?limit=100&type=${type}`, {
      key: merchant.test_secret_key,
    });
    return (res.json.data as Array<{ data: { object: { id: string; payment_id?: string } } }>).filter(
      (e) => (e.data.object.payment_id ?? e.data.object.id) === paymentId,
    );
  };
  /** Adyen posting a notification to the account's URL. */
  const notify = (account: Account, body: string) =>
    request(app.url, 'POST', new URL(account.webhook_url).pathname, { rawBody: body });
  const authorisation = (paymentId: string, psp: string, extra: Partial<NotificationInput> = {}) =>
    ({
      eventCode: 'AUTHORISATION',
      pspReference: psp,
      merchantReference: paymentId,
      amount: { value: 4999, currency: 'EUR' },
      ...extra,
    }) as NotificationInput;
  const paymentCalls = (fake: FakeAdyen) => fake.requests.filter((r) => r.endpoint === 'payments');
  const onlyPayment = (fake: FakeAdyen) => {
    expect(fake.payments.size).toBe(1);
    return [...fake.payments.values()][0]!;
  };

  it('approves a PURCHASE: SUCCEEDED at the first account, one authorisation under a key derived from the payment', async () => {
    const adyen = await fakeAdyen();
    const spare = await fakeAdyen();
    const account = await addAccount(adyen, 1);
    await addAccount(spare, 2);
    const p = await checkout();

    const paid = await p.pay();
    expect(paid.status).toBe(200);
    expect(paid.json.state).toBe('paid');

    const psp = onlyPayment(adyen).pspReference;
    const payment = await v1(p.id);
    expect(payment).toMatchObject({
      status: 'SUCCEEDED',
      amount_captured: 4999,
      card: { last4: '1142', exp_month: 3, exp_year: 2030 },
      processor: { connector: 'adyen', account_id: account.id, reference: psp },
    });
    expect(payment.attempts).toEqual([
      {
        connector: 'adyen',
        account_id: account.id,
        reference: psp,
        status: 'approved',
        error: null,
        created_at: expect.any(Number),
      },
    ]);
    expect(adyen.authorisations).toBe(1);
    const calls = paymentCalls(adyen);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.idempotencyKey).toBe(`${p.id}:1:${account.id}`);
    expect(calls[0]!.body).toMatchObject({
      reference: p.id,
      merchantAccount: adyen.merchantAccount,
      amount: { value: 4999, currency: 'EUR' },
      captureDelayHours: 0,
      paymentMethod: { type: 'scheme', number: '****1142', expiryMonth: '03', expiryYear: '2030' },
    });
    expect(calls[0]!.body.returnUrl).toMatch(new RegExp(`/hpp/return/${p.id}$`));
    expect(spare.requests).toEqual([]);

    const graphql = await request(app.url, 'POST', '/graphql', {
      key: merchant.test_secret_key,
      body: {
        query:
          'query($id: ID!) { payment(id: $id) { status processor { connector accountId reference } attempts { connector accountId reference status error } } }',
        variables: { id: p.id },
      },
    });
    expect(graphql.json.data.payment).toEqual({
      status: 'SUCCEEDED',
      processor: { connector: 'adyen', accountId: account.id, reference: psp },
      attempts: [
        { connector: 'adyen', accountId: account.id, reference: psp, status: 'approved', error: null },
      ],
    });
    expect(await events('payment.succeeded', p.id)).toHaveLength(1);
  });

  it('AUTHORIZE → partial capture → two refunds that stay pending until Adyen’s signed notifications settle them, once', async () => {
    const adyen = await fakeAdyen();
    const account = await addAccount(adyen, 1);
    const p = await checkout({ transaction_type: 'AUTHORIZE' });
    expect((await p.pay()).status).toBe(200);
    const authorised = onlyPayment(adyen);
    expect(authorised.manualCapture).toBe(true);
    expect(await v1(p.id)).toMatchObject({ status: 'AUTHORIZED', amount_captured: null });

    const captured = await post(`/v1/payments/${p.id}/capture`, { amount: 3000 });
    expect(captured.status).toBe(200);
    expect(captured.json).toMatchObject({ status: 'SUCCEEDED', amount_captured: 3000 });
    expect(adyen.modifications).toEqual([
      expect.objectContaining({
        kind: 'capture',
        paymentPspReference: authorised.pspReference,
        amount: { value: 3000, currency: 'EUR' },
      }),
    ]);

    const first = await post(`/v1/payments/${p.id}/refunds`, { amount: 1000 });
    const second = await post(`/v1/payments/${p.id}/refunds`, { amount: 500 });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect([first.json.status, second.json.status]).toEqual(['pending', 'pending']);
    const refundsAt = adyen.modifications.filter((m) => m.kind === 'refund');
    expect(refundsAt.map((m) => [m.paymentPspReference, m.reference, m.amount?.value])).toEqual([
      [authorised.pspReference, first.json.id, 1000],
      [authorised.pspReference, second.json.id, 500],
    ]);
    // Adyen only said `received`: nothing is refunded yet.
    expect(await v1(p.id)).toMatchObject({ amount_refunded: 0 });

    const refunded = adyen.notification({
      eventCode: 'REFUND',
      pspReference: refundsAt[0]!.pspReference,
      originalReference: authorised.pspReference,
      merchantReference: first.json.id,
      amount: { value: 1000, currency: 'EUR' },
    });
    const accepted = await notify(account, refunded);
    expect(accepted.status).toBe(200);
    expect(accepted.text).toBe('[accepted]');
    const afterFirst = await v1(p.id);
    expect(afterFirst).toMatchObject({ amount_captured: 3000, amount_refunded: 1000 });
    expect(afterFirst.refunds.map((r: { status: string }) => r.status)).toEqual(['succeeded', 'pending']);

    // Adyen delivers at least once: the same notification again changes nothing.
    const again = await notify(account, refunded);
    expect([again.status, again.text]).toEqual([200, '[accepted]']);
    expect(await v1(p.id)).toEqual(afterFirst);
    expect(await events('refund.succeeded', p.id)).toHaveLength(1);

    const failed = await notify(
      account,
      adyen.notification({
        eventCode: 'REFUND_FAILED',
        pspReference: refundsAt[1]!.pspReference,
        originalReference: authorised.pspReference,
        merchantReference: second.json.id,
        amount: { value: 500, currency: 'EUR' },
        reason: 'Insufficient balance on payment',
      }),
    );
    expect([failed.status, failed.text]).toEqual([200, '[accepted]']);
    const settled = await v1(p.id);
    expect(settled).toMatchObject({ status: 'SUCCEEDED', amount_refunded: 1000 });
    expect(settled.refunds).toEqual([
      expect.objectContaining({ id: first.json.id, amount: 1000, status: 'succeeded' }),
      expect.objectContaining({
        id: second.json.id,
        amount: 500,
        status: 'failed',
        failure_reason: 'Insufficient balance on payment',
      }),
    ]);
    expect(await events('refund.failed', p.id)).toHaveLength(1);
    expect(await events('refund.succeeded', p.id)).toHaveLength(1);
    // The failed 500 is refundable again.
    expect((await post(`/v1/payments/${p.id}/refunds`, { amount: 2000 })).json.status).toBe('pending');
  });

  it.each([
    ['NOT_ENOUGH_BALANCE', 'insufficient_funds'],
    ['CARD_EXPIRED', 'expired_card'],
    ['CVC_DECLINED', 'incorrect_cvc'],
    ['REFUSED', 'card_declined'],
  ])(
    'a refusal (holder %s) fails the payment with %s; the second account is never asked',
    async (name, code) => {
      const adyen = await fakeAdyen();
      const spare = await fakeAdyen();
      const account = await addAccount(adyen, 1);
      await addAccount(spare, 2);
      const p = await checkout();
      const paid = await p.pay({ name });
      expect(paid.status).toBe(200);
      expect(paid.json.state).toBe('failed');
      const psp = onlyPayment(adyen).pspReference;
      const payment = await v1(p.id);
      expect(payment).toMatchObject({
        status: 'FAILED',
        decline_code: code,
        decline_message: expect.any(String),
        processor: { connector: 'adyen', account_id: account.id, reference: psp },
      });
      expect(payment.attempts).toEqual([
        expect.objectContaining({ account_id: account.id, reference: psp, status: 'declined', error: code }),
      ]);
      expect(adyen.authorisations).toBe(0);
      expect(spare.requests).toEqual([]);
    },
  );

  it('fails over to the second account when the first times out: two attempts, one authorisation', async () => {
    const slow = await fakeAdyen();
    const second = await fakeAdyen();
    const first = await addAccount(slow, 1);
    const next = await addAccount(second, 2);
    slow.script('payments', 'hang');
    const p = await checkout();
    expect((await p.pay()).json.state).toBe('paid');

    const psp = onlyPayment(second).pspReference;
    const payment = await v1(p.id);
    expect(payment).toMatchObject({
      status: 'SUCCEEDED',
      processor: { connector: 'adyen', account_id: next.id, reference: psp },
    });
    expect(payment.attempts).toEqual([
      expect.objectContaining({
        account_id: first.id,
        reference: null,
        status: 'technical_failure',
        error: 'timeout',
      }),
      expect.objectContaining({ account_id: next.id, reference: psp, status: 'approved', error: null }),
    ]);
    expect(slow.authorisations + second.authorisations).toBe(1);
    expect(paymentCalls(slow).map((r) => r.idempotencyKey)).toEqual([`${p.id}:1:${first.id}`]);
    expect(paymentCalls(second).map((r) => r.idempotencyKey)).toEqual([`${p.id}:1:${next.id}`]);
  });

  it('a 500 after authorising is replayed under the same key and answered with the first result: no failover', async () => {
    const adyen = await fakeAdyen();
    const spare = await fakeAdyen();
    const account = await addAccount(adyen, 1);
    await addAccount(spare, 2);
    adyen.script('payments', 'error_after');
    const p = await checkout();
    expect((await p.pay()).json.state).toBe('paid');

    const psp = onlyPayment(adyen).pspReference;
    const calls = paymentCalls(adyen);
    expect(calls.map((r) => [r.status, r.idempotencyKey])).toEqual([
      [500, `${p.id}:1:${account.id}`],
      [200, `${p.id}:1:${account.id}`],
    ]);
    expect(adyen.authorisations).toBe(1);
    expect(spare.requests).toEqual([]);
    const payment = await v1(p.id);
    expect(payment).toMatchObject({
      status: 'SUCCEEDED',
      processor: { account_id: account.id, reference: psp },
    });
    expect(payment.attempts).toEqual([expect.objectContaining({ status: 'approved', reference: psp })]);
  });

  it('refuses notifications whose HMAC does not verify, and changes nothing', async () => {
    const adyen = await fakeAdyen();
    const account = await addAccount(adyen, 1);
    const p = await checkout();
    await p.pay();
    const psp = onlyPayment(adyen).pspReference;
    const refund = await post(`/v1/payments/${p.id}/refunds`, { amount: 1000 });
    expect(refund.json.status).toBe('pending');
    const before = await v1(p.id);
    const refunded: NotificationInput = {
      eventCode: 'REFUND',
      pspReference: adyen.modifications[0]!.pspReference,
      originalReference: psp,
      merchantReference: refund.json.id,
      amount: { value: 1000, currency: 'EUR' },
    };
    const otherKey = randomBytes(32).toString('hex').toUpperCase();
    // Signed with another key; a genuine one altered after signing; a forged item riding with a genuine one.
    const tampered = JSON.parse(adyen.notification(refunded));
    tampered.notificationItems[0].NotificationRequestItem.amount.value = 4999;
    const forged = [
      adyen.notification({ ...refunded, hmacKey: otherKey }),
      JSON.stringify(tampered),
      adyen.notification([refunded, { ...refunded, hmacKey: otherKey }]),
    ];
    for (const body of forged) {
      const res = await notify(account, body);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.text).not.toBe('[accepted]');
    }
    expect(await v1(p.id)).toEqual(before);
    expect(await events('refund.succeeded', p.id)).toHaveLength(0);

    // The genuine notification still works afterwards.
    expect((await notify(account, adyen.notification(refunded))).text).toBe('[accepted]');
    expect(await v1(p.id)).toMatchObject({ amount_refunded: 1000 });
  });

  it('an AUTHORISATION notification that arrives before the answer settles the payment; the late answer changes nothing', async () => {
    const adyen = await fakeAdyen();
    const account = await addAccount(adyen, 1);
    adyen.script('payments', 'hold');
    const p = await checkout();
    const paying = p.pay();
    await eventually(() => adyen.held === 1);
    expect((await v1(p.id)).status).toBe('PROCESSING');
    const psp = onlyPayment(adyen).pspReference;

    const accepted = await notify(account, adyen.notification(authorisation(p.id, psp)));
    expect([accepted.status, accepted.text]).toEqual([200, '[accepted]']);
    const settled = await v1(p.id);
    expect(settled).toMatchObject({
      status: 'SUCCEEDED',
      processor: { connector: 'adyen', account_id: account.id, reference: psp },
    });
    // The notification's word is an attempt like any answer: the history names the approval.
    expect(settled.attempts).toEqual([
      expect.objectContaining({ account_id: account.id, reference: psp, status: 'approved', error: null }),
    ]);

    expect(adyen.release()).toBe(1);
    const paid = await paying;
    expect(paid.status).toBe(200);
    expect(paid.json.state).toBe('paid');
    const after = await v1(p.id);
    expect(after).toEqual(settled);
    expect(await events('payment.succeeded', p.id)).toHaveLength(1);
    expect(adyen.authorisations).toBe(1);
    expect(paymentCalls(adyen)).toHaveLength(1);
  });

  it('while the only account’s /payments hangs, reconciliation cannot ask Adyen and leaves it PROCESSING; the notification settles it', async () => {
    const adyen = await fakeAdyen();
    const account = await addAccount(adyen, 1);
    adyen.script('payments', 'hold');
    const p = await checkout();
    const paying = p.pay();
    await eventually(() => adyen.held === 1);
    const psp = onlyPayment(adyen).pspReference;

    await app.till.services.checkout.recoverStuck(0);
    expect(await v1(p.id)).toMatchObject({ status: 'PROCESSING', decline_code: null });
    // Adyen has no "get payment": reconciliation sent nothing.
    expect(adyen.requests).toHaveLength(1);

    expect((await notify(account, adyen.notification(authorisation(p.id, psp)))).text).toBe('[accepted]');
    expect(await v1(p.id)).toMatchObject({
      status: 'SUCCEEDED',
      processor: { account_id: account.id, reference: psp },
    });

    // The hanging call times out afterwards: the payment keeps the acquirer's word.
    expect((await paying).json.state).toBe('paid');
    expect(await v1(p.id)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await events('payment.failed', p.id)).toHaveLength(0);
    expect(await events('payment.succeeded', p.id)).toHaveLength(1);
    expect(adyen.modifications).toEqual([]);
  });

  it('when the only account times out first, the payment fails and the late approval is refunded at Adyen, once', async () => {
    const adyen = await fakeAdyen();
    const account = await addAccount(adyen, 1);
    adyen.script('payments', 'hold');
    const p = await checkout();
    const paid = await p.pay();
    expect(paid.json.state).toBe('failed');
    const psp = onlyPayment(adyen).pspReference;
    const failed = await v1(p.id);
    expect(failed).toMatchObject({ status: 'FAILED', decline_code: 'processing_error' });
    expect(failed.attempts).toEqual([
      expect.objectContaining({ account_id: account.id, status: 'technical_failure', error: 'timeout' }),
    ]);
    await app.till.services.checkout.recoverStuck(0);
    expect(await v1(p.id)).toEqual(failed);

    const approved = adyen.notification(authorisation(p.id, psp));
    expect((await notify(account, approved)).text).toBe('[accepted]');
    expect((await notify(account, approved)).text).toBe('[accepted]');
    expect(await v1(p.id)).toMatchObject({ status: 'FAILED', decline_code: 'processing_error' });
    // The customer is not charged: the captured authorisation is refunded in full, under one key.
    expect(adyen.modifications).toEqual([
      expect.objectContaining({
        kind: 'refund',
        paymentPspReference: psp,
        amount: { value: 4999, currency: 'EUR' },
      }),
    ]);
    expect(await events('payment.succeeded', p.id)).toHaveLength(0);
  });

  it('keeps no card number or CVC in any table or log line after these flows', async () => {
    const tables = await app.till.db.em
      .fork()
      .execute<{ tablename: string }[]>("select tablename from pg_tables where schemaname = 'public'");
    let dump = '';
    for (const { tablename } of tables)
      dump += JSON.stringify(await app.till.db.em.fork().execute(`select * from "${tablename}"`));
    const logs = app.logs.join('\n');
    for (const text of [dump, logs]) {
      expect(text).not.toContain(CARD);
      expect(text).not.toContain(`${CARD.slice(0, 4)} ${CARD.slice(4, 8)}`);
      expect(text).not.toContain(`"${CVC}"`);
      // The acquirer credentials are sealed at rest and never logged.
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
    // The search looked in the right place: the masked card and the Adyen references are there.
    expect(dump).toContain('"last4":"1142"');
    expect(dump).toContain('"connector":"adyen"');
  });
});
