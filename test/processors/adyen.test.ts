import { randomUUID } from 'node:crypto';
import { AdyenConnector } from '../../src/processors/adyen.js';
import { authorizeOutcome } from '../../src/processors/adyen/outcomes.js';
import {
  ConnectorUnavailable,
  InvalidNotification,
  type AuthorizeRequest,
  type ChargeContext,
  type ConnectorAccount,
} from '../../src/processors/connector.js';
import { startFakeAdyen, type FakeAdyen } from '../support/fake-adyen.js';

const CVC = '737';

let fake: FakeAdyen;
let connector: AdyenConnector;

/** The charge a 3-D Secure return belongs to, as Till passes it along. */
const chargeOf = (request: AuthorizeRequest): ChargeContext => ({
  amount: request.amount,
  currency: request.currency,
  capture: request.capture,
  simulation: request.simulation,
  tokenize: request.tokenize,
});

function account(overrides: Partial<ConnectorAccount> = {}): ConnectorAccount {
  return {
    id: 'acct_adyen_1',
    merchantId: 'mer_1',
    connector: 'adyen',
    livemode: false,
    credentials: { api_key: fake.apiKey, merchant_account: fake.merchantAccount, hmac_key: fake.hmacKey },
    apiBase: fake.url,
    ...overrides,
  };
}

function authorizeRequest(
  overrides: Partial<AuthorizeRequest> & { number?: string; name?: string } = {},
): AuthorizeRequest {
  const { number = '4111111145551142', name = 'Jane Doe', ...rest } = overrides;
  return {
    idempotencyKey: randomUUID(),
    paymentId: `pay_${randomUUID().slice(0, 8)}`,
    amount: 2500,
    currency: 'eur',
    capture: true,
    card: { number, expMonth: 3, expYear: 2030, cvc: CVC, name },
    returnUrl: 'https://till.example/hpp/return/pay_1?x=1',
    description: 'Order 42',
    simulation: {},
    tokenize: false,
    shopper: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0', acceptHeader: 'text/html' },
    ...rest,
  };
}

beforeEach(async () => {
  fake = await startFakeAdyen();
  connector = new AdyenConnector(account(), { timeoutMs: 1500 });
});

afterEach(async () => {
  // Whatever a test did, nothing Till sent broke Adyen's schema or kept card data.
  expect(fake.violations).toEqual([]);
  const recorded = JSON.stringify(fake.requests) + JSON.stringify([...fake.payments.values()]);
  for (const number of ['4111111145551142', '4212345678901245', '4000000000000002', '4242424242424242']) {
    expect(recorded).not.toContain(number);
  }
  expect(recorded).not.toMatch(new RegExp(`"cvc":"${CVC}"`));
  await fake.close();
});

describe('AdyenConnector against the fake Checkout API', () => {
  it('approves and captures a PURCHASE with the request Adyen expects', async () => {
    const request = authorizeRequest();
    const outcome = await connector.authorize(request);
    expect(outcome).toMatchObject({ status: 'approved', captured: true, approvalCode: '044925' });
    expect(fake.authorisations).toBe(1);
    const sent = fake.requests[0]!;
    expect(sent.path).toBe('/v71/payments');
    expect(sent.idempotencyKey).toBe(request.idempotencyKey);
    expect(sent.body).toMatchObject({
      amount: { value: 2500, currency: 'EUR' },
      reference: request.paymentId,
      merchantAccount: fake.merchantAccount,
      paymentMethod: { type: 'scheme', number: '****1142', expiryMonth: '03', expiryYear: '2030' },
      captureDelayHours: 0,
      shopperInteraction: 'Ecommerce',
      channel: 'Web',
      shopperIP: '203.0.113.7',
      authenticationData: { threeDSRequestData: { nativeThreeDS: 'disabled' } },
    });
    expect(outcome.status === 'approved' && fake.payments.get(outcome.reference)?.manualCapture).toBe(false);
  });

  it('AUTHORIZE, partial capture and two refunds are acknowledged (pending)', async () => {
    const request = authorizeRequest({ capture: false, number: '5555341244441115' });
    const outcome = await connector.authorize(request);
    expect(outcome).toMatchObject({ status: 'approved', captured: false });
    if (outcome.status !== 'approved') throw new Error('not approved');
    expect(fake.payments.get(outcome.reference)?.manualCapture).toBe(true);
    expect(fake.requests[0]!.body.additionalData).toEqual({ manualCapture: 'true' });

    const base = { reference: outcome.reference, currency: 'EUR', paymentId: request.paymentId };
    const capture = await connector.capture({ ...base, idempotencyKey: randomUUID(), amount: 2000 });
    expect(capture.status).toBe('pending');
    const refund1 = await connector.refund({
      ...base,
      idempotencyKey: randomUUID(),
      amount: 500,
      refundId: 're_1',
    });
    const refund2 = await connector.refund({
      ...base,
      idempotencyKey: randomUUID(),
      amount: 700,
      refundId: 're_2',
    });
    expect([refund1.status, refund2.status]).toEqual(['pending', 'pending']);
    expect(
      fake.modifications.map((m) => [m.kind, m.paymentPspReference, m.reference, m.amount?.value]),
    ).toEqual([
      ['capture', outcome.reference, request.paymentId, 2000],
      ['refund', outcome.reference, 're_1', 500],
      ['refund', outcome.reference, 're_2', 700],
    ]);
    expect(capture.reference).toBe(fake.modifications[0]!.pspReference);
    expect(fake.requests.map((r) => r.path)).toEqual([
      '/v71/payments',
      `/v71/payments/${outcome.reference}/captures`,
      `/v71/payments/${outcome.reference}/refunds`,
      `/v71/payments/${outcome.reference}/refunds`,
    ]);
  });

  it('cancels an authorization (pending)', async () => {
    const request = authorizeRequest({ capture: false });
    const outcome = await connector.authorize(request);
    if (outcome.status !== 'approved') throw new Error('not approved');
    const cancel = await connector.cancel({
      idempotencyKey: randomUUID(),
      reference: outcome.reference,
      paymentId: request.paymentId,
    });
    expect(cancel.status).toBe('pending');
    expect(fake.modifications[0]).toMatchObject({ kind: 'cancel', paymentPspReference: outcome.reference });
  });

  it.each([
    ['NOT_ENOUGH_BALANCE', '4111111145551142', 'insufficient_funds', 'Not enough balance'],
    ['CARD_EXPIRED', '4111111145551142', 'expired_card', 'Expired Card'],
    ['CVC_DECLINED', '4111111145551142', 'incorrect_cvc', 'CVC Declined'],
    ['REFUSED', '4111111145551142', 'card_declined', 'Refused'],
    ['ERROR', '4111111145551142', 'processing_error', 'Acquirer Error'],
    ['Jane Doe', '4000000000000002', 'card_declined', 'Refused'],
  ])('declines holder %s / card %s as %s', async (name, number, code, reason) => {
    const outcome = await connector.authorize(authorizeRequest({ name, number }));
    expect(outcome).toMatchObject({ status: 'declined', code, acquirerCode: reason });
    expect(outcome.status === 'declined' && outcome.message.length).toBeGreaterThan(5);
    expect(fake.authorisations).toBe(0);
  });

  it('a scripted refusal reason is mapped', async () => {
    fake.script('payments', { refuse: 'Not enough balance', code: '12' });
    const outcome = await connector.authorize(authorizeRequest({ number: '4242424242424242' }));
    expect(outcome).toMatchObject({
      status: 'declined',
      code: 'insufficient_funds',
      acquirerCode: 'Not enough balance',
    });
    expect(outcome.status === 'declined' && outcome.message).toBe('The card has insufficient funds.');
  });

  describe('3-D Secure (redirect)', () => {
    async function start(capture = true) {
      const request = authorizeRequest({ number: '4212345678901245', capture });
      const outcome = await connector.authorize(request);
      expect(outcome).toMatchObject({ status: 'action', action: { method: 'GET' } });
      if (outcome.status !== 'action') throw new Error('no action');
      expect(outcome.action.url).toBe(`${fake.url}/3ds/${outcome.reference}`);
      // The fake's page is a real HTML page with the two buttons.
      const page = await fetch(outcome.action.url);
      expect(await page.text()).toMatch(/Complete[\s\S]*Fail/);
      return { request, reference: outcome.reference };
    }

    it('completed: the details call authorises', async () => {
      const { request, reference } = await start(false);
      const redirectResult = await fake.completeThreeDs(reference, 'complete');
      const outcome = await connector.completeAction({
        reference,
        paymentId: request.paymentId,
        idempotencyKey: randomUUID(),
        params: { redirectResult, x: '1' },
        charge: chargeOf(request),
      });
      expect(outcome).toEqual({ status: 'approved', reference, captured: false, approvalCode: null });
      expect(fake.requests.at(-1)).toMatchObject({
        path: '/v71/payments/details',
        body: { details: { redirectResult } },
      });
      expect(fake.authorisations).toBe(1);
    });

    it('failed: declined authentication_failed', async () => {
      const { request, reference } = await start();
      const redirectResult = await fake.completeThreeDs(reference, 'fail');
      const outcome = await connector.completeAction({
        reference,
        paymentId: request.paymentId,
        idempotencyKey: randomUUID(),
        params: { redirectResult },
        charge: chargeOf(request),
      });
      expect(outcome).toMatchObject({ status: 'declined', code: 'authentication_failed', reference });
      expect(fake.authorisations).toBe(0);
    });

    it('a scripted 3-D Secure applies to any card, and a two-digit expiry year is sent as four', async () => {
      fake.script('payments', 'three_ds');
      const request = authorizeRequest({ number: '4242424242424242' });
      request.card.expYear = 31;
      const outcome = await connector.authorize(request);
      expect(outcome.status).toBe('action');
      expect(fake.requests[0]!.body.paymentMethod.expiryYear).toBe('2031');
      const second = await connector.authorize(authorizeRequest({ number: '4242424242424242' }));
      expect(second.status).toBe('approved');
    });

    it('a return without a redirect result is an authentication failure, not a call', async () => {
      const { request, reference } = await start();
      const before = fake.requests.length;
      const outcome = await connector.completeAction({
        reference,
        paymentId: request.paymentId,
        idempotencyKey: randomUUID(),
        params: {},
        charge: chargeOf(request),
      });
      expect(outcome).toMatchObject({ status: 'declined', code: 'authentication_failed' });
      expect(fake.requests.length).toBe(before);
    });
  });

  describe('technical failures', () => {
    it('a call that hangs is a timeout', async () => {
      fake.script('payments', 'hang');
      const fast = new AdyenConnector(account(), { timeoutMs: 300 });
      const started = Date.now();
      const error = await fast.authorize(authorizeRequest()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectorUnavailable);
      expect((error as ConnectorUnavailable).reason).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('500 before processing is server_error and nothing was charged', async () => {
      fake.script('payments', 'error_before');
      const error = await connector.authorize(authorizeRequest()).catch((e: unknown) => e);
      expect((error as ConnectorUnavailable).reason).toBe('server_error');
      expect(fake.authorisations).toBe(0);
    });

    it('500 after charging: the replay with the same key returns the first result, one charge', async () => {
      fake.script('payments', 'error_after');
      const request = authorizeRequest();
      const error = await connector.authorize(request).catch((e: unknown) => e);
      expect((error as ConnectorUnavailable).reason).toBe('server_error');
      expect(fake.authorisations).toBe(1);
      const replay = await connector.authorize(request);
      expect(replay).toMatchObject({ status: 'approved', reference: [...fake.payments.keys()][0] });
      expect(fake.authorisations).toBe(1);
      expect(fake.payments.size).toBe(1);
      expect(fake.requests.map((r) => r.idempotencyKey)).toEqual([
        request.idempotencyKey,
        request.idempotencyKey,
      ]);
    });

    it('429 is rate_limited', async () => {
      fake.script('captures', 'rate_limited');
      const error = await connector
        .capture({
          idempotencyKey: randomUUID(),
          reference: 'ABCDEF1234567890',
          amount: 100,
          currency: 'EUR',
          paymentId: 'pay_1',
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectorUnavailable);
      expect((error as ConnectorUnavailable).reason).toBe('rate_limited');
    });

    it('a refused connection is a connection failure', async () => {
      // A port that was just listening and is now closed: the connection is refused.
      const closed = await startFakeAdyen();
      const url = closed.url;
      await closed.close();
      const dead = new AdyenConnector(account({ apiBase: url }), { timeoutMs: 1000 });
      const error = await dead.authorize(authorizeRequest()).catch((e: unknown) => e);
      expect((error as ConnectorUnavailable).reason).toBe('connection');
    });

    it('a wrong API key is a plain error that names no secret', async () => {
      const wrong = new AdyenConnector(
        account({ credentials: { api_key: 'wrong_key_123', merchant_account: fake.merchantAccount } }),
        { timeoutMs: 1000 },
      );
      const error = await wrong.authorize(authorizeRequest()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(ConnectorUnavailable);
      expect((error as Error).message).toMatch(/API key was refused \(401\)/);
      expect((error as Error).message).not.toContain('wrong_key_123');
      expect((error as Error).message).not.toContain('4111111145551142');
    });
  });

  it('without apiBase it speaks v71 to Adyen: checkout-test for test accounts, the live prefix for live ones', () => {
    const baseOf = (c: AdyenConnector) =>
      (c as unknown as { payments: { baseUrl: string } }).payments.baseUrl;
    const test = new AdyenConnector(account({ apiBase: null }), { timeoutMs: 1000 });
    expect(baseOf(test)).toBe('https://checkout-test.adyen.com/v71');
    const credentials = { ...account().credentials, live_url_prefix: '1797a841fbb37ca7-AdyenDemo' };
    const live = new AdyenConnector(account({ apiBase: null, livemode: true, credentials }), {
      timeoutMs: 1000,
    });
    expect(baseOf(live)).toBe(
      'https://1797a841fbb37ca7-AdyenDemo-checkout-live.adyenpayments.com/checkout/v71',
    );
    expect(() => new AdyenConnector(account({ livemode: true }), { timeoutMs: 1000 })).toThrow(
      /live_url_prefix/,
    );
  });

  it('maps the result codes the fake does not produce', () => {
    const psp = 'PSP0000000000001';
    expect(authorizeOutcome({ resultCode: 'Received', pspReference: psp }, true)).toEqual({
      status: 'pending',
      reference: psp,
    });
    expect(authorizeOutcome({ resultCode: 'Pending', pspReference: psp }, true).status).toBe('pending');
    expect(authorizeOutcome({ resultCode: 'PresentToShopper', pspReference: psp }, true).status).toBe(
      'pending',
    );
    expect(authorizeOutcome({ resultCode: 'Cancelled', pspReference: psp }, true)).toMatchObject({
      status: 'declined',
      code: 'card_declined',
    });
    expect(
      authorizeOutcome(
        {
          resultCode: 'RedirectShopper',
          pspReference: psp,
          action: {
            type: 'redirect',
            method: 'POST',
            url: 'https://acs.example/3ds',
            data: { PaReq: 'abc', MD: 'md1' },
          },
        },
        true,
      ),
    ).toEqual({
      status: 'action',
      reference: psp,
      action: { url: 'https://acs.example/3ds', method: 'POST', data: { PaReq: 'abc', MD: 'md1' } },
    });
    // Native 3-D Secure 2 (fingerprint/challenge in Adyen's script) cannot run on Till's page.
    const native = authorizeOutcome(
      { resultCode: 'IdentifyShopper', pspReference: psp, action: { type: 'threeDS2', paymentData: 'x' } },
      true,
    );
    expect(native).toMatchObject({ status: 'declined', code: 'authentication_failed' });
    expect(native.status === 'declined' && native.message).toMatch(/native 3-D Secure 2/);
    expect(
      authorizeOutcome(
        {
          resultCode: 'ChallengeShopper',
          pspReference: psp,
          action: { type: 'threeDS2', url: 'https://acs.example/c' },
        },
        true,
      ),
    ).toMatchObject({ status: 'action', action: { url: 'https://acs.example/c', method: 'GET' } });
  });

  it('lookup cannot ask Adyen: null', async () => {
    await expect(connector.lookup({ reference: 'ABC', paymentId: 'pay_1' })).resolves.toBeNull();
    expect(fake.requests).toEqual([]);
  });

  describe('notifications', () => {
    it('reads signed notifications', async () => {
      const request = authorizeRequest({ capture: false });
      const outcome = await connector.authorize(request);
      if (outcome.status !== 'approved') throw new Error('not approved');
      const body = fake.notification([
        {
          eventCode: 'AUTHORISATION',
          pspReference: outcome.reference,
          merchantReference: request.paymentId,
          amount: { value: 2500, currency: 'EUR' },
        },
        {
          eventCode: 'CAPTURE',
          pspReference: 'CAPT000000000001',
          originalReference: outcome.reference,
          merchantReference: request.paymentId,
        },
        {
          eventCode: 'REFUND',
          pspReference: 'REFD000000000001',
          originalReference: outcome.reference,
          merchantReference: 're_1',
        },
        {
          eventCode: 'REFUND_FAILED',
          pspReference: 'REFD000000000002',
          originalReference: outcome.reference,
          merchantReference: 're_2',
          reason: 'Insufficient balance',
        },
        {
          eventCode: 'CANCELLATION',
          pspReference: 'CANC000000000001',
          originalReference: outcome.reference,
          merchantReference: request.paymentId,
          success: false,
        },
        {
          eventCode: 'AUTHORISATION',
          pspReference: 'AUTH000000000002',
          merchantReference: 'pay_other',
          success: false,
          reason: 'Not enough balance',
        },
      ]);
      expect(connector.parseNotification(body, { 'content-type': 'application/json' })).toEqual([
        {
          kind: 'authorization',
          paymentId: request.paymentId,
          reference: outcome.reference,
          outcome: { status: 'approved', captured: false },
        },
        { kind: 'capture', paymentId: request.paymentId, reference: outcome.reference, success: true },
        {
          kind: 'refund',
          paymentId: null,
          reference: outcome.reference,
          refundId: 're_1',
          success: true,
          message: null,
        },
        {
          kind: 'refund',
          paymentId: null,
          reference: outcome.reference,
          refundId: 're_2',
          success: false,
          message: 'Insufficient balance',
        },
        { kind: 'cancel', paymentId: request.paymentId, reference: outcome.reference, success: false },
        {
          kind: 'authorization',
          paymentId: 'pay_other',
          reference: 'AUTH000000000002',
          outcome: {
            status: 'declined',
            code: 'insufficient_funds',
            message: 'The card has insufficient funds.',
            acquirerCode: 'Not enough balance',
          },
        },
      ]);
    });

    it('refuses the whole batch when one signature is bad, or a field was changed', async () => {
      const good = {
        eventCode: 'CAPTURE' as const,
        pspReference: 'CAPT000000000001',
        originalReference: 'PAY0000000000001',
        merchantReference: 'pay_1',
      };
      const forged = fake.notification([
        good,
        { ...good, pspReference: 'CAPT000000000002', hmacKey: '00'.repeat(32) },
      ]);
      expect(() => connector.parseNotification(forged, {})).toThrow(InvalidNotification);
      const tampered = fake.notification(good).replace('"value":1000', '"value":1');
      expect(tampered).not.toBe(fake.notification(good));
      expect(() => connector.parseNotification(tampered, {})).toThrow(InvalidNotification);
      const unsigned = JSON.parse(fake.notification(good));
      delete unsigned.notificationItems[0].NotificationRequestItem.additionalData.hmacSignature;
      expect(() => connector.parseNotification(JSON.stringify(unsigned), {})).toThrow(InvalidNotification);
      expect(() => connector.parseNotification('not json', {})).toThrow(InvalidNotification);
      expect(() => connector.parseNotification(fake.notification({ ...good, live: true }), {})).toThrow(
        InvalidNotification,
      );
      expect(connector.parseNotification(fake.notification(good), {})).toHaveLength(1);
    });
  });

  describe('the fake itself', () => {
    it('rejects a body that breaks the schema (amount.value as a string) and a missing API key', async () => {
      const headers = { 'content-type': 'application/json', 'x-api-key': fake.apiKey };
      const body = {
        amount: { value: '2500', currency: 'EUR' },
        reference: 'pay_x',
        merchantAccount: fake.merchantAccount,
        paymentMethod: {
          type: 'scheme',
          number: '4111111145551142',
          expiryMonth: '03',
          expiryYear: '2030',
          cvc: CVC,
        },
        returnUrl: 'https://till.example/r',
      };
      const res = await fetch(`${fake.url}/v71/payments`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(422);
      expect(await res.json()).toMatchObject({
        status: 422,
        errorType: 'validation',
        message: expect.stringContaining('/amount/value'),
      });
      const noKey = await fetch(`${fake.url}/v71/payments/details`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ details: { redirectResult: 'x' } }),
      });
      expect(noKey.status).toBe(401);
      expect(fake.violations.map((v) => v.endpoint)).toEqual(['payments', 'payments/details']);
      expect(fake.authorisations).toBe(0);
      fake.violations.length = 0; // expected here; afterEach checks the rest
    });

    it('the connector surfaces a validation error as a plain error', async () => {
      const outcome = await connector
        .authorize(authorizeRequest({ currency: 'euro' }))
        .catch((e: unknown) => e);
      expect(outcome).toBeInstanceOf(Error);
      expect(outcome).not.toBeInstanceOf(ConnectorUnavailable);
      expect((outcome as Error).message).toMatch(/\(422\)/);
      expect(fake.violations).toHaveLength(1);
      fake.violations.length = 0;
    });
  });
});
