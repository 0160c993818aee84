import { request } from '../support/http.js';
import { backends } from '../support/backends.js';
import { CARDS, stripeHarness } from './stripe-harness.js';

describe.each(backends)('Till end to end through Stripe connector accounts: charges (%s)', (backend) => {
  const h = stripeHarness(backend);
  const { stripeAccount, v1Checkout, sessionCheckout, pay, v1, postWebhook, creates, eventsOf } = h;

  it('a failure to record an approval never sends the card to the next account; reconciliation records it', async () => {
    const a = await stripeAccount(1);
    const b = await stripeAccount(2);
    const payments = h.app().till.services.payments;
    const advance = payments.advance.bind(payments);
    let broken = true;
    // The database refuses the one write that records the approval (Till's failure, not Stripe's).
    payments.advance = (async (...args: Parameters<typeof advance>) => {
      if (args[2] === 'SUCCEEDED' && broken) {
        broken = false;
        throw new Error('the database went away');
      }
      return advance(...args);
    }) as typeof payments.advance;
    const checkout = await v1Checkout();
    try {
      expect((await pay(checkout, CARDS.approved)).status).toBe(500);
    } finally {
      payments.advance = advance;
    }
    expect(b.fake.requests).toEqual([]);
    expect(a.fake.charges()).toBe(1);
    expect(await v1(checkout.id)).toMatchObject({ status: 'PROCESSING', attempts: [] });
    await h.app().till.services.checkout.recoverStuck(0);
    const [intent] = a.fake.paymentIntentsOf(checkout.id);
    expect(await v1(checkout.id)).toMatchObject({
      status: 'SUCCEEDED',
      processor: { connector: 'stripe', account_id: a.id, reference: intent!.id },
    });
    expect(a.fake.charges()).toBe(1);
  });

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

    // Stripe's webhook, arriving as usual after the answer, changes nothing and emits nothing again.
    const hook = await postWebhook(a, a.fake.paymentIntentEvent('payment_intent.succeeded', intent!.id));
    expect(hook.status).toBe(200);
    expect(await v1(checkout.id)).toEqual(payment);
    expect(await eventsOf('payment.succeeded', checkout.id)).toHaveLength(1);
    expect(a.fake.requests.filter((r) => r.endpoint !== 'payment_intents.create')).toEqual([]);
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

    const captured = await request(h.app().url, 'POST', `/v1/payments/${checkout.id}/capture`, {
      key: h.merchant().test_secret_key,
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
      const refund = await request(h.app().url, 'POST', `/v1/payments/${checkout.id}/refunds`, {
        key: h.merchant().test_secret_key,
        body: { amount },
      });
      expect(refund.status).toBe(200);
      expect(refund.json).toMatchObject({ amount, status: 'succeeded' });
    }
    // More than is left is refused by Till before Stripe is asked.
    const tooMuch = await request(h.app().url, 'POST', `/v1/payments/${checkout.id}/refunds`, {
      key: h.merchant().test_secret_key,
      body: { amount: 1501 },
    });
    expect(tooMuch.status).toBe(400);

    const atStripe = a.fake.refundsOf(intent!.id);
    expect(atStripe.map((r) => [r.amount, r.status])).toEqual([
      [1000, 'succeeded'],
      [500, 'succeeded'],
    ]);
    const refunds = await request(h.app().url, 'GET', `/v1/payments/${checkout.id}/refunds`, {
      key: h.merchant().test_secret_key,
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

    // Stripe's webhooks about the authorization and the capture arrive late: nothing changes, nothing is released.
    const settled = await v1(checkout.id);
    for (const type of ['payment_intent.amount_capturable_updated', 'payment_intent.succeeded'] as const)
      expect((await postWebhook(a, a.fake.paymentIntentEvent(type, intent!.id))).status).toBe(200);
    expect(await v1(checkout.id)).toEqual(settled);
    expect(a.fake.refundsOf(intent!.id)).toHaveLength(2);
    expect(a.fake.paymentIntent(intent!.id)!.status).toBe('succeeded');
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

  it('after a failover, capture and refund go to the account that holds the payment, and lost answers are recovered', async () => {
    const a = await stripeAccount(1);
    const b = await stripeAccount(2);
    a.fake.script('payment_intents.create', { kind: 'hang' });
    const checkout = await sessionCheckout({ transaction_type: 'AUTHORIZE', amount: 4999 });
    expect((await pay(checkout, CARDS.approved)).status).toBe(200);
    const [intent] = b.fake.paymentIntentsOf(checkout.id);
    expect(await v1(checkout.id)).toMatchObject({
      status: 'AUTHORIZED',
      processor: { account_id: b.id, reference: intent!.id },
    });

    // Stripe captures, but its answer never reaches Till: the capture stays claimed.
    b.fake.script('payment_intents.capture', { kind: 'hang_after' });
    const capture = await h.v1Post(`/v1/payments/${checkout.id}/capture`, { amount: 3000 });
    expect(capture.status).toBe(200);
    expect(capture.json.status).toBe('AUTHORIZED');
    expect(b.fake.paymentIntent(intent!.id)).toMatchObject({ status: 'succeeded', amount_received: 3000 });
    // A capture of another amount cannot replace the one in flight.
    const other = await h.v1Post(`/v1/payments/${checkout.id}/capture`, { amount: 2000 });
    expect(other.status).toBe(400);
    expect(other.json.error ?? other.json).toMatchObject({ message: expect.stringContaining('3000') });
    await h.app().till.services.authorizations.recover(0);
    expect(await v1(checkout.id)).toMatchObject({ status: 'SUCCEEDED', amount_captured: 3000 });
    const captures = b.fake.requests.filter((r) => r.endpoint === 'payment_intents.capture');
    expect(captures.map((r) => [r.status, r.replayed])).toEqual([
      [null, false],
      [200, true],
    ]);

    // The same for a refund: pending until recovery asks again under the refund's key.
    b.fake.script('refunds.create', { kind: 'hang_after' });
    const refund = await h.v1Post(`/v1/payments/${checkout.id}/refunds`, { amount: 1200 });
    expect(refund.status).toBe(200);
    expect(refund.json).toMatchObject({ amount: 1200, status: 'pending' });
    await h.app().till.services.refunds.recover(0);
    expect(await v1(checkout.id)).toMatchObject({ status: 'SUCCEEDED', amount_refunded: 1200 });
    expect(b.fake.refundsOf(intent!.id).map((r) => [r.amount, r.metadata!.till_refund_id])).toEqual([
      [1200, refund.json.id],
    ]);

    expect(creates(a.fake)).toHaveLength(1);
    expect(a.fake.requests.filter((r) => r.endpoint !== 'payment_intents.create')).toEqual([]);
    expect(a.fake.charges()).toBe(0);
  });

  it('voids an authorization at Stripe', async () => {
    const a = await stripeAccount(1);
    const checkout = await sessionCheckout({ transaction_type: 'AUTHORIZE', amount: 4999 });
    expect((await pay(checkout, CARDS.approved)).status).toBe(200);
    const [intent] = a.fake.paymentIntentsOf(checkout.id);
    const voided = await h.v1Post(`/v1/payments/${checkout.id}/cancel`);
    expect(voided.status).toBe(200);
    expect(voided.json.status).toBe('CANCELED');
    expect(a.fake.paymentIntent(intent!.id)).toMatchObject({ status: 'canceled', amount_capturable: 0 });
    // Nothing is left to capture.
    expect((await h.v1Post(`/v1/payments/${checkout.id}/capture`)).status).toBe(400);
    expect(a.fake.requests.filter((r) => r.endpoint === 'payment_intents.capture')).toEqual([]);
  });

  it.each([
    ['rate_limited', 'rate_limited'],
    ['server_error_before', 'server_error'],
  ] as const)(
    'fails over after %s twice (the same-key replay included) at the first account',
    async (kind, reason) => {
      const a = await stripeAccount(1);
      const b = await stripeAccount(2);
      a.fake.script('payment_intents.create', { kind }, { kind });
      const checkout = await v1Checkout();
      expect((await pay(checkout, CARDS.approved)).status).toBe(200);
      const [intent] = b.fake.paymentIntentsOf(checkout.id);
      const payment = await v1(checkout.id);
      expect(payment).toMatchObject({
        status: 'SUCCEEDED',
        processor: { account_id: b.id, reference: intent!.id },
        attempts: [
          { account_id: a.id, status: 'technical_failure', error: reason },
          { account_id: b.id, status: 'approved' },
        ],
      });
      expect(payment.attempts).toHaveLength(2);
      expect(creates(a.fake).map((r) => [r.status, r.idempotencyKey])).toEqual([
        [kind === 'rate_limited' ? 429 : 500, `${checkout.id}:1:${a.id}`],
        [kind === 'rate_limited' ? 429 : 500, `${checkout.id}:1:${a.id}`],
      ]);
      expect(a.fake.charges()).toBe(0);
      expect(b.fake.charges()).toBe(1);
    },
  );

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

  it('no card number or CVC in any table or log line after these flows', async () => {
    // Its own flows too, so the search never looks at nothing.
    const a = await stripeAccount(1);
    for (const number of [CARDS.approved, CARDS.insufficientFunds])
      expect((await pay(await v1Checkout(), number)).status).toBe(200);
    expect(a.fake.stored()).not.toContain(CARDS.approved);

    await h.expectNoCardData();
  });
});
