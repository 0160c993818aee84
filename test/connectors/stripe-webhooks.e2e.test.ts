import { randomBytes } from 'node:crypto';
import { eventually, request } from '../support/http.js';
import { backends } from '../support/backends.js';
import { newMerchant } from '../support/till.js';
import { StripeConnector } from '../../src/processors/stripe.js';
import { CARDS, CVC, TIMEOUT_MS, stripeHarness } from './stripe-harness.js';

describe.each(backends)(
  'Till end to end through Stripe connector accounts: webhooks and recovery (%s)',
  (backend) => {
    const h = stripeHarness(backend);
    const { stripeAccount, v1Checkout, sessionCheckout, pay, v1, postWebhook, creates, eventsOf } = h;

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
      const unsigned = await request(h.app().url, 'POST', `/connectors/stripe/${a.id}/webhook`, {
        rawBody: JSON.stringify(forged),
      });
      expect(unsigned.status).toBe(400);
      // A correctly signed body that was changed afterwards.
      const signed = a.fake.signEvent(forged, a.webhookSecret);
      const tampered = await request(h.app().url, 'POST', `/connectors/stripe/${a.id}/webhook`, {
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

    it('an account’s webhook cannot touch another merchant’s payment; an unknown account is 404', async () => {
      const a = await stripeAccount(1);
      a.fake.script('payment_intents.create', { kind: 'pending' });
      const checkout = await v1Checkout();
      expect((await pay(checkout, CARDS.approved)).status).toBe(200);
      const before = await v1(checkout.id);
      expect(before.status).toBe('PROCESSING');
      const [intent] = a.fake.paymentIntentsOf(checkout.id);

      // Another merchant's account, signing with its own secret, names this payment and its PaymentIntent.
      const other = await newMerchant(h.app(), 'Other shop');
      const c = await stripeAccount(1, other.merchant_id);
      const event = a.fake.paymentIntentEvent('payment_intent.succeeded', intent!.id);
      expect((await postWebhook(c, event)).status).toBe(200);
      expect(await v1(checkout.id)).toEqual(before);
      expect(c.fake.requests).toEqual([]);
      expect(a.fake.requests.filter((r) => r.endpoint !== 'payment_intents.create')).toEqual([]);

      // A well-formed id of no account: nothing to verify the signature with.
      const noSuchAccount = a.id.replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'));
      const signed = a.fake.signEvent(event, a.webhookSecret);
      const unknown = await request(h.app().url, 'POST', `/connectors/stripe/${noSuchAccount}/webhook`, {
        rawBody: signed.payload,
        headers: { 'stripe-signature': signed.header },
      });
      expect(unknown.status).toBe(404);
      expect(await v1(checkout.id)).toEqual(before);
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

    it('a charge the first account made without answering is released when it reports it; the second keeps the payment', async () => {
      const a = await stripeAccount(1);
      const b = await stripeAccount(2);
      a.fake.script('payment_intents.create', { kind: 'hang_after' });
      const checkout = await v1Checkout();
      expect((await pay(checkout, CARDS.approved)).status).toBe(200);
      const [stray] = a.fake.paymentIntentsOf(checkout.id);
      const [kept] = b.fake.paymentIntentsOf(checkout.id);
      expect(stray).toMatchObject({ status: 'succeeded', amount_received: 2500 });
      expect(await v1(checkout.id)).toMatchObject({
        status: 'SUCCEEDED',
        processor: { account_id: b.id, reference: kept!.id },
      });

      const approval = a.fake.paymentIntentEvent('payment_intent.succeeded', stray!.id);
      expect((await postWebhook(a, approval)).status).toBe(200);
      expect(a.fake.refundsOf(stray!.id).map((r) => [r.amount, r.status])).toEqual([[2500, 'succeeded']]);
      expect(b.fake.refundsOf(kept!.id)).toEqual([]);
      expect(await v1(checkout.id)).toMatchObject({
        status: 'SUCCEEDED',
        amount_refunded: 0,
        processor: { account_id: b.id, reference: kept!.id },
      });
    });

    it('without any webhook, the stray-charge sweep asks Stripe and releases a charge Till gave up on, once', async () => {
      const a = await stripeAccount(1);
      a.fake.script('payment_intents.create', { kind: 'hang_after' });
      const checkout = await v1Checkout();
      expect((await pay(checkout, CARDS.approved)).status).toBe(200);
      expect(await v1(checkout.id)).toMatchObject({ status: 'FAILED', decline_code: 'processing_error' });
      const [intent] = a.fake.paymentIntentsOf(checkout.id);
      expect(intent).toMatchObject({ status: 'succeeded', amount_received: 2500 });

      // Found by Till's payment id (the timed-out answer never named the PaymentIntent), refunded.
      expect(await h.app().till.services.strayCharges.sweep(0)).toBe(1);
      expect(a.fake.refundsOf(intent!.id).map((r) => [r.amount, r.status])).toEqual([[2500, 'succeeded']]);
      // Checked once: later sweeps ask nothing more.
      const asked = a.fake.requests.length;
      expect(await h.app().till.services.strayCharges.sweep(0)).toBe(0);
      expect(a.fake.requests.length).toBe(asked);
      expect(await v1(checkout.id)).toMatchObject({ status: 'FAILED', amount_refunded: 0 });
    });

    it('without any webhook, the sweep releases the first account’s charge after a failover; the second keeps the payment', async () => {
      const a = await stripeAccount(1);
      const b = await stripeAccount(2);
      a.fake.script('payment_intents.create', { kind: 'hang_after' });
      const checkout = await sessionCheckout({ transaction_type: 'AUTHORIZE', amount: 4999 });
      expect((await pay(checkout, CARDS.approved)).status).toBe(200);
      const [stray] = a.fake.paymentIntentsOf(checkout.id);
      const [kept] = b.fake.paymentIntentsOf(checkout.id);
      expect(stray!.status).toBe('requires_capture');
      expect(await h.app().till.services.strayCharges.sweep(0)).toBe(1);
      // Uncaptured: voided, not refunded.
      expect(a.fake.paymentIntent(stray!.id)).toMatchObject({ status: 'canceled' });
      expect(b.fake.paymentIntent(kept!.id)).toMatchObject({ status: 'requires_capture' });
      expect(await v1(checkout.id)).toMatchObject({
        status: 'AUTHORIZED',
        processor: { account_id: b.id, reference: kept!.id },
      });
    });

    it('3-D Secure passed but the customer never came back: the webhook settles it; a late return changes nothing', async () => {
      const a = await stripeAccount(1);
      a.fake.script('payment_intents.create', { kind: 'require_3ds' });
      const checkout = await v1Checkout();
      expect((await pay(checkout, CARDS.approved)).status).toBe(200);
      const [intent] = a.fake.paymentIntentsOf(checkout.id);
      const waiting = await v1(checkout.id);
      expect(waiting).toMatchObject({
        status: 'REQUIRES_ACTION',
        next_action: { redirect_url: `${a.fake.url}/3ds/${intent!.id}` },
      });
      // The customer completes the authentication at Stripe, then closes the tab.
      const authenticated = await fetch(waiting.next_action.redirect_url, {
        method: 'POST',
        body: new URLSearchParams({ result: 'complete' }),
        redirect: 'manual',
      });
      expect(authenticated.status).toBe(302);
      const back = authenticated.headers.get('location')!;
      expect(back.startsWith(`${h.app().url}/hpp/return/${checkout.id}?`)).toBe(true);

      const hook = await postWebhook(a, a.fake.paymentIntentEvent('payment_intent.succeeded', intent!.id));
      expect(hook.status).toBe(200);
      const settled = await v1(checkout.id);
      expect(settled).toMatchObject({
        status: 'SUCCEEDED',
        next_action: null,
        processor: { account_id: a.id, reference: intent!.id },
      });

      const late = await fetch(back, { redirect: 'manual' });
      expect(late.status).toBe(303);
      expect(late.headers.get('location')).toMatch(/^https:\/\/shop\.example\.com\/r/);
      expect(await v1(checkout.id)).toEqual(settled);
      expect(await eventsOf('payment.succeeded', checkout.id)).toHaveLength(1);
      expect(a.fake.charges()).toBe(1);
    });

    it('3-D Secure failed and the customer never came back: the payment_failed webhook fails it', async () => {
      const a = await stripeAccount(1);
      a.fake.script('payment_intents.create', { kind: 'require_3ds' });
      const checkout = await v1Checkout();
      expect((await pay(checkout, CARDS.approved)).status).toBe(200);
      const [intent] = a.fake.paymentIntentsOf(checkout.id);
      const waiting = await v1(checkout.id);
      expect(waiting.status).toBe('REQUIRES_ACTION');
      const failed = await fetch(waiting.next_action.redirect_url, {
        method: 'POST',
        body: new URLSearchParams({ result: 'fail' }),
        redirect: 'manual',
      });
      expect(failed.status).toBe(302);

      const hook = await postWebhook(
        a,
        a.fake.paymentIntentEvent('payment_intent.payment_failed', intent!.id),
      );
      expect(hook.status).toBe(200);
      expect(await v1(checkout.id)).toMatchObject({
        status: 'FAILED',
        decline_code: 'authentication_failed',
        next_action: null,
        processor: { account_id: a.id, reference: intent!.id },
      });
      expect(a.fake.charges()).toBe(0);
    });

    it('reconciliation asks Stripe about a payment it left undecided and records the answer', async () => {
      const a = await stripeAccount(1);
      a.fake.script('payment_intents.create', { kind: 'pending' });
      const checkout = await v1Checkout();
      expect((await pay(checkout, CARDS.approved)).status).toBe(200);
      const [intent] = a.fake.paymentIntentsOf(checkout.id);
      expect(await v1(checkout.id)).toMatchObject({
        status: 'PROCESSING',
        processor: { account_id: a.id, reference: intent!.id },
      });
      // Still undecided: reconciliation leaves it as it is, and puts off asking again.
      await h.app().till.services.checkout.recoverStuck(0);
      expect((await v1(checkout.id)).status).toBe('PROCESSING');
      await h.app().till.services.checkout.recoverStuck(0);
      const retrieves = () => a.fake.requests.filter((r) => r.endpoint === 'payment_intents.retrieve');
      expect(retrieves()).toHaveLength(1);
      // Stripe decides; its webhook is lost. Once the wait is over, reconciliation asks again.
      a.fake.completePaymentIntent(intent!.id);
      await h
        .app()
        .till.db.em.fork()
        .execute("update payment set reconcile_after = now() - interval '1 second' where id = ?", [
          checkout.id,
        ]);
      expect(await h.app().till.services.checkout.recoverStuck(0)).toBeGreaterThanOrEqual(1);
      expect(await v1(checkout.id)).toMatchObject({
        status: 'SUCCEEDED',
        processor: { account_id: a.id, reference: intent!.id },
      });
      expect(retrieves().map((r) => r.path)).toEqual([
        `/v1/payment_intents/${intent!.id}`,
        `/v1/payment_intents/${intent!.id}`,
      ]);
      expect(a.fake.charges()).toBe(1);
    });

    it('reconciliation finds a charge whose answer a crash lost by the payment id, and fails one Stripe never received', async () => {
      const a = await stripeAccount(1);
      const payments = h.app().till.services.payments;
      const charged = await v1Checkout();
      const neverSent = await v1Checkout();
      // The state a crash leaves: claimed (PROCESSING) for this account, no answer recorded.
      for (const checkout of [charged, neverSent])
        await payments.advance(checkout.id, ['PENDING'], 'PROCESSING', {
          processorRoute: { connector: 'stripe', accountId: a.id, reference: null },
          processorChargeKey: `${checkout.id}:1:${a.id}`,
          attempts: 1,
          card: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2034, country: null },
        });
      // Stripe charged the first one before Till crashed.
      h.sentCards.add(CARDS.approved);
      const connector = new StripeConnector(
        {
          id: a.id,
          merchantId: h.merchant().merchant_id,
          connector: 'stripe',
          livemode: false,
          credentials: { secret_key: a.secretKey, webhook_secret: a.webhookSecret },
          apiBase: a.fake.url,
        },
        { timeoutMs: TIMEOUT_MS },
      );
      const sent = await connector.authorize({
        idempotencyKey: `${charged.id}:1:${a.id}`,
        paymentId: charged.id,
        amount: 2500,
        currency: 'EUR',
        capture: true,
        card: { number: CARDS.approved, expMonth: 12, expYear: 2034, cvc: CVC, name: 'Jenny Rosen' },
        returnUrl: `${h.app().url}/hpp/return/${charged.id}`,
        description: null,
        simulation: {},
        tokenize: false,
        shopper: { ip: null, userAgent: null, acceptHeader: null },
      });
      expect(sent.status).toBe('approved');

      expect(await h.app().till.services.checkout.recoverStuck(0)).toBeGreaterThanOrEqual(2);
      const [intent] = a.fake.paymentIntentsOf(charged.id);
      expect(await v1(charged.id)).toMatchObject({
        status: 'SUCCEEDED',
        processor: { connector: 'stripe', account_id: a.id, reference: intent!.id },
      });
      expect(await v1(neverSent.id)).toMatchObject({ status: 'FAILED', decline_code: 'processing_error' });
      expect(a.fake.requests.filter((r) => r.endpoint === 'payment_intents.search')).toHaveLength(2);
      expect(a.fake.charges()).toBe(1);
    });

    it('a refund Stripe leaves pending is settled by its webhooks, succeeded or failed', async () => {
      const a = await stripeAccount(1);
      const checkout = await v1Checkout();
      expect((await pay(checkout, CARDS.approved)).status).toBe(200);
      const [intent] = a.fake.paymentIntentsOf(checkout.id);
      a.fake.script('refunds.create', { kind: 'pending' }, { kind: 'pending' });
      const refunds: { id: string; amount: number; status: string }[] = [];
      for (const amount of [700, 300]) {
        const refund = await h.v1Post(`/v1/payments/${checkout.id}/refunds`, { amount });
        expect(refund.status).toBe(200);
        refunds.push(refund.json);
      }
      expect(refunds.map((r) => [r.amount, r.status])).toEqual([
        [700, 'pending'],
        [300, 'pending'],
      ]);
      const [first, second] = a.fake.refundsOf(intent!.id);
      expect([first!.metadata!.till_refund_id, second!.metadata!.till_refund_id]).toEqual(
        refunds.map((r) => r.id),
      );
      const settle = async (refundId: string, status: 'succeeded' | 'failed') =>
        expect((await postWebhook(a, a.fake.refundEvent('refund.updated', refundId, status))).status).toBe(
          200,
        );
      await settle(first!.id, 'succeeded');
      await settle(second!.id, 'failed');

      const listed = await request(h.app().url, 'GET', `/v1/payments/${checkout.id}/refunds`, {
        key: h.merchant().test_secret_key,
      });
      expect(
        Object.fromEntries(
          (listed.json.data as { id: string; status: string }[]).map((r) => [r.id, r.status]),
        ),
      ).toEqual({ [refunds[0]!.id]: 'succeeded', [refunds[1]!.id]: 'failed' });
      expect(await v1(checkout.id)).toMatchObject({ status: 'SUCCEEDED', amount_refunded: 700 });
    });

    it('no card number or CVC in any table or log line after these flows', async () => {
      // Its own flows too, so the search never looks at nothing.
      const a = await stripeAccount(1);
      for (const number of [CARDS.approved, CARDS.insufficientFunds])
        expect((await pay(await v1Checkout(), number)).status).toBe(200);
      expect(a.fake.stored()).not.toContain(CARDS.approved);

      await h.expectNoCardData();
    });
  },
);
