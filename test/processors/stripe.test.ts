import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import {
  ConnectorUnavailable,
  InvalidNotification,
  type AuthorizeRequest,
  type ConnectorAccount,
} from '../../src/processors/connector.js';
import { DECLINE_MESSAGES } from '../../src/processors/processor.js';
import { StripeConnector } from '../../src/processors/stripe.js';
import { startFakeStripe, type FakeStripe } from '../support/fake-stripe.js';

const SECRET_KEY = 'sk_test_till_connector_0123456789';
const WEBHOOK_SECRET = 'whsec_till_connector_test';
const CVC = '737';
const CARDS = {
  visa: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  expired: '4000000000000069',
  incorrectCvc: '4000000000000127',
  processingError: '4000000000000119',
  threeDS: '4000000000003220',
};

let fake: FakeStripe;

beforeEach(async () => {
  fake = await startFakeStripe({ secretKey: SECRET_KEY });
});

afterEach(async () => {
  try {
    expect(fake.violations).toEqual([]);
    const stored = fake.stored();
    for (const number of Object.values(CARDS)) expect(stored).not.toContain(number);
    expect(stored).not.toMatch(/"cvc"/);
  } finally {
    await fake.close();
  }
});

function account(overrides: Partial<ConnectorAccount> = {}): ConnectorAccount {
  return {
    id: 'acct_till_stripe_1',
    merchantId: 'mer_1',
    connector: 'stripe',
    livemode: false,
    credentials: { secret_key: SECRET_KEY, webhook_secret: WEBHOOK_SECRET },
    apiBase: fake.url,
    ...overrides,
  };
}

function connector(timeoutMs = 5000, overrides: Partial<ConnectorAccount> = {}): StripeConnector {
  return new StripeConnector(account(overrides), { timeoutMs });
}

function charge(number: string, overrides: Partial<AuthorizeRequest> = {}): AuthorizeRequest {
  return {
    idempotencyKey: `charge-${randomUUID()}`,
    paymentId: `pay_${randomUUID().replace(/-/g, '')}`,
    amount: 2500,
    currency: 'EUR',
    capture: true,
    card: { number, expMonth: 12, expYear: 2034, cvc: CVC, name: 'Ada Lovelace' },
    returnUrl: 'http://127.0.0.1:9/checkout/return',
    description: 'Order 1001',
    simulation: {},
    tokenize: false,
    shopper: { ip: null, userAgent: null, acceptHeader: null },
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('StripeConnector against the fake Stripe', () => {
  it('approves and captures a PURCHASE with one PaymentIntent', async () => {
    const request = charge(CARDS.visa);
    const outcome = await connector().authorize(request);

    expect(outcome).toEqual({
      status: 'approved',
      reference: expect.stringMatching(/^pi_/),
      captured: true,
      approvalCode: null,
    });
    expect(fake.charges()).toBe(1);
    const [sent] = fake.requests;
    expect(sent).toMatchObject({
      method: 'POST',
      path: '/v1/payment_intents',
      idempotencyKey: request.idempotencyKey,
      status: 200,
      params: {
        amount: '2500',
        currency: 'eur',
        capture_method: 'automatic',
        confirm: 'true',
        return_url: request.returnUrl,
        description: 'Order 1001',
        metadata: { till_payment_id: request.paymentId },
        payment_method_data: { type: 'card', card: { number: '…4242', exp_month: '12', exp_year: '2034' } },
      },
    });
    if (outcome.status !== 'approved') throw new Error('not approved');
    expect(fake.paymentIntent(outcome.reference)).toMatchObject({
      status: 'succeeded',
      amount_received: 2500,
    });
  });

  it('authorizes, captures part, and refunds it in two parts, never above what was captured', async () => {
    const stripe = connector();
    const request = charge(CARDS.visa, { capture: false });
    const outcome = await stripe.authorize(request);
    expect(outcome).toMatchObject({ status: 'approved', captured: false });
    if (outcome.status !== 'approved') throw new Error('not approved');
    const reference = outcome.reference;
    expect(fake.requests[0]!.params.capture_method).toBe('manual');

    const ids = { paymentId: request.paymentId, reference, currency: 'EUR' };
    await expect(stripe.capture({ ...ids, idempotencyKey: 'cap-1', amount: 1500 })).resolves.toEqual({
      status: 'succeeded',
      reference,
    });
    expect(fake.paymentIntent(reference)).toMatchObject({ status: 'succeeded', amount_received: 1500 });

    const first = await stripe.refund({ ...ids, idempotencyKey: 'ref-1', amount: 1000, refundId: 'rfd_1' });
    const second = await stripe.refund({ ...ids, idempotencyKey: 'ref-2', amount: 500, refundId: 'rfd_2' });
    expect(first).toEqual({ status: 'succeeded', reference: expect.stringMatching(/^re_/) });
    expect(second).toEqual({ status: 'succeeded', reference: expect.stringMatching(/^re_/) });
    expect(first.reference).not.toBe(second.reference);
    const refundCalls = fake.requests.filter((r) => r.endpoint === 'refunds.create');
    expect(refundCalls.map((r) => r.params)).toEqual([
      {
        payment_intent: reference,
        amount: '1000',
        metadata: { till_refund_id: 'rfd_1', till_payment_id: request.paymentId },
      },
      {
        payment_intent: reference,
        amount: '500',
        metadata: { till_refund_id: 'rfd_2', till_payment_id: request.paymentId },
      },
    ]);

    const third = await stripe.refund({ ...ids, idempotencyKey: 'ref-3', amount: 1, refundId: 'rfd_3' });
    expect(third).toMatchObject({ status: 'failed', message: expect.stringContaining('greater than') });
    expect(fake.charges()).toBe(1);
  });

  it('cannot capture more than was authorized, and cancels an authorization once', async () => {
    const stripe = connector();
    const request = charge(CARDS.visa, { capture: false, amount: 1000 });
    const outcome = await stripe.authorize(request);
    if (outcome.status !== 'approved') throw new Error('not approved');
    const ids = { paymentId: request.paymentId, reference: outcome.reference };

    await expect(
      stripe.capture({ ...ids, idempotencyKey: 'cap-x', amount: 1001, currency: 'EUR' }),
    ).resolves.toMatchObject({
      status: 'failed',
    });
    await expect(stripe.cancel({ ...ids, idempotencyKey: 'cancel-1' })).resolves.toEqual({
      status: 'succeeded',
      reference: outcome.reference,
    });
    await expect(stripe.cancel({ ...ids, idempotencyKey: 'cancel-2' })).resolves.toMatchObject({
      status: 'failed',
    });
    expect(fake.paymentIntent(outcome.reference)?.status).toBe('canceled');
  });

  it.each([
    [CARDS.declined, 'card_declined', 'generic_decline'],
    [CARDS.insufficientFunds, 'insufficient_funds', 'insufficient_funds'],
    [CARDS.expired, 'expired_card', 'expired_card'],
    [CARDS.incorrectCvc, 'incorrect_cvc', 'incorrect_cvc'],
    [CARDS.processingError, 'processing_error', 'processing_error'],
  ])('declines test card %s as %s (Stripe: %s)', async (number, code, acquirerCode) => {
    const outcome = await connector().authorize(charge(number));
    expect(outcome).toEqual({
      status: 'declined',
      reference: expect.stringMatching(/^pi_/),
      code,
      message: DECLINE_MESSAGES[code],
      acquirerCode,
    });
    expect(JSON.stringify(outcome)).not.toContain(number);
    expect(fake.charges()).toBe(0);
  });

  it('declines as scripted, whatever the card', async () => {
    fake.script('payment_intents.create', { kind: 'decline', declineCode: 'insufficient_funds' });
    const stripe = connector();
    await expect(stripe.authorize(charge(CARDS.visa))).resolves.toMatchObject({
      status: 'declined',
      code: 'insufficient_funds',
    });
    // The script covered one call only.
    await expect(stripe.authorize(charge(CARDS.visa))).resolves.toMatchObject({ status: 'approved' });
  });

  /** Follows the redirect to the fake's 3-D Secure page and presses one of its buttons. */
  async function authenticate(url: string, button: 'complete' | 'fail'): Promise<URL> {
    const page = await fetch(url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Complete');
    expect(html).toContain('Fail');
    const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!;
    const answer = await fetch(new URL(action, url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ result: button }).toString(),
      redirect: 'manual',
    });
    expect(answer.status).toBe(302);
    return new URL(answer.headers.get('location')!);
  }

  it('asks for 3-D Secure, and approves after the customer completes it', async () => {
    const stripe = connector();
    const request = charge(CARDS.threeDS);
    const outcome = await stripe.authorize(request);
    expect(outcome).toEqual({
      status: 'action',
      reference: expect.stringMatching(/^pi_/),
      action: { method: 'GET', url: expect.stringMatching(new RegExp(`^${fake.url}/3ds/pi_`)) },
    });
    if (outcome.status !== 'action') throw new Error('no action');
    expect(fake.charges()).toBe(0);

    const back = await authenticate(outcome.action.url, 'complete');
    expect(`${back.origin}${back.pathname}`).toBe(request.returnUrl);
    expect(back.searchParams.get('payment_intent')).toBe(outcome.reference);
    expect(back.searchParams.get('payment_intent_client_secret')).toMatch(
      new RegExp(`^${outcome.reference}_secret_`),
    );

    const done = await stripe.completeAction({
      reference: outcome.reference,
      paymentId: request.paymentId,
      idempotencyKey: 'complete-1',
      params: Object.fromEntries(back.searchParams),
    });
    expect(done).toEqual({
      status: 'approved',
      reference: outcome.reference,
      captured: true,
      approvalCode: null,
    });
    expect(fake.charges()).toBe(1);

    // A return naming another PaymentIntent is not this payment's.
    await expect(
      stripe.completeAction({
        reference: outcome.reference,
        paymentId: request.paymentId,
        idempotencyKey: 'complete-1',
        params: { payment_intent: 'pi_someone_else' },
      }),
    ).rejects.toThrow(/pi_someone_else/);
  });

  it('declines as authentication_failed when the customer fails 3-D Secure', async () => {
    fake.script('payment_intents.create', { kind: 'require_3ds' });
    const stripe = connector();
    const request = charge(CARDS.visa, { capture: false });
    const outcome = await stripe.authorize(request);
    if (outcome.status !== 'action') throw new Error('no action');

    const back = await authenticate(outcome.action.url, 'fail');
    const done = await stripe.completeAction({
      reference: outcome.reference,
      paymentId: request.paymentId,
      idempotencyKey: 'complete-2',
      params: Object.fromEntries(back.searchParams),
    });
    expect(done).toEqual({
      status: 'declined',
      reference: outcome.reference,
      code: 'authentication_failed',
      message: DECLINE_MESSAGES.authentication_failed,
      acquirerCode: 'payment_intent_authentication_failure',
    });
    expect(fake.charges()).toBe(0);
  });

  it('gives up on a Stripe that does not answer within the timeout', async () => {
    fake.script('payment_intents.create', { kind: 'hang' });
    const started = Date.now();
    const error = await rejection(connector(300).authorize(charge(CARDS.visa)));
    expect(error).toBeInstanceOf(ConnectorUnavailable);
    expect((error as ConnectorUnavailable).reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('reports a 500 before the charge as server_error; the same key then charges once', async () => {
    fake.script('payment_intents.create', { kind: 'server_error_before' });
    const stripe = connector();
    const request = charge(CARDS.visa);
    const error = await rejection(stripe.authorize(request));
    expect(error).toBeInstanceOf(ConnectorUnavailable);
    expect((error as ConnectorUnavailable).reason).toBe('server_error');
    expect(fake.charges()).toBe(0);

    await expect(stripe.authorize(request)).resolves.toMatchObject({ status: 'approved' });
    expect(fake.charges()).toBe(1);
  });

  it('after a 500 that followed the charge, a replay with the same key returns the first charge', async () => {
    fake.script('payment_intents.create', { kind: 'server_error_after' });
    const stripe = connector();
    const request = charge(CARDS.visa);
    const error = await rejection(stripe.authorize(request));
    expect((error as ConnectorUnavailable).reason).toBe('server_error');
    expect(fake.charges()).toBe(1);

    const replay = await stripe.authorize(request);
    expect(replay).toMatchObject({ status: 'approved', captured: true });
    if (replay.status !== 'approved') throw new Error('not approved');
    const found = await stripe.lookup({ reference: null, paymentId: request.paymentId });
    expect(found).toMatchObject({ status: 'approved', reference: replay.reference });
    expect(fake.charges()).toBe(1);
    expect(
      fake.requests.filter((r) => r.endpoint === 'payment_intents.create').map((r) => r.replayed),
    ).toEqual([false, true]);
  });

  it('reports a 429 as rate_limited', async () => {
    fake.script('payment_intents.create', { kind: 'rate_limited' });
    const error = await rejection(connector().authorize(charge(CARDS.visa)));
    expect(error).toBeInstanceOf(ConnectorUnavailable);
    expect((error as ConnectorUnavailable).reason).toBe('rate_limited');
  });

  it('reports an unreachable Stripe as a connection failure', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await rejection(
      connector(2000, { apiBase: `http://127.0.0.1:${port}` }).authorize(charge(CARDS.visa)),
    );
    expect(error).toBeInstanceOf(ConnectorUnavailable);
    expect((error as ConnectorUnavailable).reason).toBe('connection');
  });

  it('treats a refused key and a reused idempotency key as errors, not outages, without repeating the key', async () => {
    const wrongKey = 'sk_test_not_the_right_one_987654321';
    const refused = await rejection(
      connector(5000, { credentials: { secret_key: wrongKey, webhook_secret: WEBHOOK_SECRET } }).authorize(
        charge(CARDS.visa),
      ),
    );
    expect(refused).toBeInstanceOf(Error);
    expect(refused).not.toBeInstanceOf(ConnectorUnavailable);
    expect((refused as Error).message).not.toContain(wrongKey);

    const stripe = connector();
    const request = charge(CARDS.visa);
    await stripe.authorize(request);
    const reused = await rejection(stripe.authorize({ ...request, amount: 9999 }));
    expect(reused).toBeInstanceOf(Error);
    expect(reused).not.toBeInstanceOf(ConnectorUnavailable);
    expect((reused as Error).message).toMatch(/idempotent/i);
    expect(fake.charges()).toBe(1);
  });

  it('looks a charge up by its reference and by Till payment id', async () => {
    const stripe = connector();
    const request = charge(CARDS.visa, { capture: false });
    const outcome = await stripe.authorize(request);
    if (outcome.status !== 'approved') throw new Error('not approved');

    await expect(
      stripe.lookup({ reference: outcome.reference, paymentId: request.paymentId }),
    ).resolves.toEqual(outcome);
    await expect(stripe.lookup({ reference: null, paymentId: request.paymentId })).resolves.toEqual(outcome);
    const search = fake.requests.find((r) => r.endpoint === 'payment_intents.search');
    expect(search?.params.query).toBe(`metadata['till_payment_id']:'${request.paymentId}'`);

    await expect(stripe.lookup({ reference: null, paymentId: 'pay_unknown' })).resolves.toBeNull();
    await expect(stripe.lookup({ reference: 'pi_unknown', paymentId: 'pay_unknown' })).resolves.toBeNull();
  });

  it('leaves a charge Stripe is still processing, and a refund it has not settled, pending', async () => {
    fake.script('payment_intents.create', { kind: 'pending' });
    const stripe = connector();
    const request = charge(CARDS.visa);
    const outcome = await stripe.authorize(request);
    expect(outcome).toEqual({ status: 'pending', reference: expect.stringMatching(/^pi_/) });
    await expect(stripe.lookup({ reference: null, paymentId: request.paymentId })).resolves.toEqual(outcome);
    expect(fake.charges()).toBe(0);

    const approved = charge(CARDS.visa);
    const bought = await stripe.authorize(approved);
    if (bought.status !== 'approved') throw new Error('not approved');
    fake.script('refunds.create', { kind: 'pending' });
    const refund = await stripe.refund({
      idempotencyKey: 'ref-p',
      reference: bought.reference,
      amount: 2500,
      currency: 'EUR',
      paymentId: approved.paymentId,
      refundId: 'rfd_p',
    });
    expect(refund).toEqual({ status: 'pending', reference: expect.stringMatching(/^re_/) });
  });

  describe('notifications', () => {
    it('reads signed payment_intent and charge.refunded events', async () => {
      const stripe = connector();
      const purchase = charge(CARDS.visa);
      const bought = await stripe.authorize(purchase);
      const auth = charge(CARDS.visa, { capture: false });
      const held = await stripe.authorize(auth);
      const failedRequest = charge(CARDS.insufficientFunds);
      const failed = await stripe.authorize(failedRequest);
      if (bought.status !== 'approved' || held.status !== 'approved' || failed.status !== 'declined') {
        throw new Error('unexpected outcomes');
      }
      const read = (event: Stripe.Event) => {
        const { payload, header } = fake.signEvent(event, WEBHOOK_SECRET);
        return stripe.parseNotification(payload, { 'stripe-signature': header });
      };

      expect(read(fake.paymentIntentEvent('payment_intent.succeeded', bought.reference))).toEqual([
        {
          kind: 'authorization',
          paymentId: purchase.paymentId,
          reference: bought.reference,
          outcome: { status: 'approved', captured: true },
        },
      ]);
      expect(
        read(fake.paymentIntentEvent('payment_intent.amount_capturable_updated', held.reference)),
      ).toEqual([
        {
          kind: 'authorization',
          paymentId: auth.paymentId,
          reference: held.reference,
          outcome: { status: 'approved', captured: false },
        },
      ]);
      expect(read(fake.paymentIntentEvent('payment_intent.payment_failed', failed.reference!))).toEqual([
        {
          kind: 'authorization',
          paymentId: failedRequest.paymentId,
          reference: failed.reference,
          outcome: {
            status: 'declined',
            code: 'insufficient_funds',
            message: DECLINE_MESSAGES.insufficient_funds,
            acquirerCode: 'insufficient_funds',
          },
        },
      ]);

      // A manual-capture PaymentIntent succeeds when it is captured.
      const captured = charge(CARDS.visa, { capture: false });
      const toCapture = await stripe.authorize(captured);
      if (toCapture.status !== 'approved') throw new Error('not approved');
      await stripe.capture({
        idempotencyKey: 'cap-n',
        reference: toCapture.reference,
        amount: 2500,
        currency: 'EUR',
        paymentId: captured.paymentId,
      });
      expect(read(fake.paymentIntentEvent('payment_intent.succeeded', toCapture.reference))).toEqual([
        {
          kind: 'authorization',
          paymentId: captured.paymentId,
          reference: toCapture.reference,
          outcome: { status: 'approved', captured: true },
        },
        { kind: 'capture', paymentId: captured.paymentId, reference: toCapture.reference, success: true },
      ]);

      await stripe.cancel({ idempotencyKey: 'c-1', reference: held.reference, paymentId: auth.paymentId });
      expect(read(fake.paymentIntentEvent('payment_intent.canceled', held.reference))).toEqual([
        { kind: 'cancel', paymentId: auth.paymentId, reference: held.reference, success: true },
      ]);

      const ids = { reference: bought.reference, paymentId: purchase.paymentId, currency: 'EUR' };
      await stripe.refund({ ...ids, idempotencyKey: 'r-1', amount: 700, refundId: 'rfd_a' });
      await stripe.refund({ ...ids, idempotencyKey: 'r-2', amount: 300, refundId: 'rfd_b' });
      const refunded = fake.chargeRefundedEvent(bought.reference);
      expect(read(refunded)).toEqual(
        ['rfd_a', 'rfd_b'].map((refundId) => ({
          kind: 'refund',
          paymentId: purchase.paymentId,
          reference: bought.reference,
          refundId,
          success: true,
          message: null,
        })),
      );
      // An event type Till does not act on.
      expect(read({ ...refunded, type: 'charge.updated' } as Stripe.Event)).toEqual([]);
    });

    it('reads refund updates: a pending refund that succeeded, one that failed', async () => {
      const stripe = connector();
      const request = charge(CARDS.visa);
      const bought = await stripe.authorize(request);
      if (bought.status !== 'approved') throw new Error('not approved');
      const ids = { reference: bought.reference, paymentId: request.paymentId, currency: 'EUR' };
      fake.script('refunds.create', { kind: 'pending' }, { kind: 'pending' });
      const first = await stripe.refund({ ...ids, idempotencyKey: 'rp-1', amount: 1000, refundId: 'rfd_ok' });
      const second = await stripe.refund({
        ...ids,
        idempotencyKey: 'rp-2',
        amount: 1500,
        refundId: 'rfd_ko',
      });
      const read = (event: Stripe.Event) => {
        const { payload, header } = fake.signEvent(event, WEBHOOK_SECRET);
        return stripe.parseNotification(payload, { 'stripe-signature': header });
      };

      // Still pending: nothing to say yet.
      expect(read(fake.refundEvent('refund.updated', first.reference!))).toEqual([]);
      expect(read(fake.refundEvent('refund.updated', first.reference!, 'succeeded'))).toEqual([
        {
          kind: 'refund',
          paymentId: request.paymentId,
          reference: bought.reference,
          refundId: 'rfd_ok',
          success: true,
          message: null,
        },
      ]);
      expect(read(fake.refundEvent('charge.refund.updated', second.reference!, 'failed'))).toEqual([
        {
          kind: 'refund',
          paymentId: request.paymentId,
          reference: bought.reference,
          refundId: 'rfd_ko',
          success: false,
          message: expect.stringContaining('expired_or_canceled_card'),
        },
      ]);
      // The failed refund gave nothing back: its amount can be refunded again.
      await expect(
        stripe.refund({ ...ids, idempotencyKey: 'rp-3', amount: 1500, refundId: 'rfd_again' }),
      ).resolves.toMatchObject({ status: 'succeeded' });
    });

    it('refuses an event signed with another secret, altered, or unsigned', async () => {
      const stripe = connector();
      const request = charge(CARDS.visa);
      const outcome = await stripe.authorize(request);
      if (outcome.status !== 'approved') throw new Error('not approved');
      const event = fake.paymentIntentEvent('payment_intent.succeeded', outcome.reference);

      const forged = fake.signEvent(event, 'whsec_someone_else');
      expect(() => stripe.parseNotification(forged.payload, { 'stripe-signature': forged.header })).toThrow(
        InvalidNotification,
      );
      const signed = fake.signEvent(event, WEBHOOK_SECRET);
      const altered = signed.payload.replace('"succeeded"', '"canceled"');
      expect(altered).not.toBe(signed.payload);
      expect(() => stripe.parseNotification(altered, { 'stripe-signature': signed.header })).toThrow(
        InvalidNotification,
      );
      expect(() => stripe.parseNotification(signed.payload, {})).toThrow(InvalidNotification);
      // The genuine one reads.
      expect(stripe.parseNotification(signed.payload, { 'stripe-signature': [signed.header] })).toHaveLength(
        1,
      );
    });
  });

  describe('the fake itself', () => {
    it('refuses a parameter Stripe objects do not have, or of the wrong type, like Stripe', async () => {
      const { port } = new URL(fake.url);
      const client = new Stripe(SECRET_KEY, {
        host: '127.0.0.1',
        port,
        protocol: 'http',
        maxNetworkRetries: 0,
      });
      const unknown = await rejection(
        client.paymentIntents.create({
          amount: 100,
          currency: 'usd',
          loyalty_points: '7',
        } as Stripe.PaymentIntentCreateParams),
      );
      expect(unknown).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect((unknown as Stripe.errors.StripeError).type).toBe('StripeInvalidRequestError');
      const wrongType = await rejection(
        client.refunds.create({
          payment_intent: 'pi_x',
          amount: 'ten',
        } as unknown as Stripe.RefundCreateParams),
      );
      expect(wrongType).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);

      expect(fake.violations).toEqual([
        'payment_intents.create: loyalty_points: unknown parameter',
        'refunds.create: amount: expected an integer',
      ]);
      expect(fake.charges()).toBe(0);
      fake.violations.length = 0;
    });
  });
});
