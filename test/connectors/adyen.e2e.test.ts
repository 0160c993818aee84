import { backends } from '../support/backends.js';
import { request } from '../support/http.js';
import { CARD, expectNoCardData, onlyPayment, paymentCalls, useAdyenShop } from '../support/adyen-shop.js';

/** A call to Adyen that has not answered in this time is a timeout (the failover scenario). */
const TIMEOUT_MS = 2000;

describe.each(backends)('Till end to end through the Adyen connector (%s)', (backend) => {
  const shop = useAdyenShop(backend, { CONNECTOR_TIMEOUT_MS: String(TIMEOUT_MS) });
  const { fakeAdyen, addAccount, checkout, v1, post, events, notify } = shop;

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

    const graphql = await request(shop.app.url, 'POST', '/graphql', {
      key: shop.merchant.test_secret_key,
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

    // Adyen confirms the capture Till already recorded when Adyen accepted it: nothing changes.
    const capturedAt = adyen.modifications[0]!;
    const beforeCapture = await v1(p.id);
    const confirmed = await notify(
      account,
      adyen.notification({
        eventCode: 'CAPTURE',
        pspReference: capturedAt.pspReference,
        originalReference: authorised.pspReference,
        merchantReference: p.id,
        amount: { value: 3000, currency: 'EUR' },
      }),
    );
    expect([confirmed.status, confirmed.text]).toEqual([200, '[accepted]']);
    expect(await v1(p.id)).toEqual(beforeCapture);

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

  it('a refusal fails the payment with its reason mapped to a decline code; the second account is never asked', async () => {
    const adyen = await fakeAdyen();
    const spare = await fakeAdyen();
    const account = await addAccount(adyen, 1);
    await addAccount(spare, 2);
    // Adyen's test holder names ask for these refusals.
    const refusals = [
      ['NOT_ENOUGH_BALANCE', 'insufficient_funds'],
      ['CARD_EXPIRED', 'expired_card'],
      ['CVC_DECLINED', 'incorrect_cvc'],
      ['REFUSED', 'card_declined'],
    ];
    for (const [name, code] of refusals) {
      const p = await checkout();
      const paid = await p.pay({ name });
      expect(paid.status).toBe(200);
      expect(paid.json.state).toBe('failed');
      const refused = [...adyen.payments.values()].find((at) => at.merchantReference === p.id)!;
      expect(adyen.requests.at(-1)!.body.paymentMethod.holderName).toBe(name);
      const payment = await v1(p.id);
      // The holder name rides along, so a failure says which refusal it was.
      expect({ name, payment }).toMatchObject({
        name,
        payment: {
          status: 'FAILED',
          decline_code: code,
          decline_message: expect.any(String),
          processor: { connector: 'adyen', account_id: account.id, reference: refused.pspReference },
        },
      });
      expect(payment.attempts).toEqual([
        expect.objectContaining({
          account_id: account.id,
          reference: refused.pspReference,
          status: 'declined',
          error: code,
        }),
      ]);
    }
    expect(adyen.authorisations).toBe(0);
    expect(spare.requests).toEqual([]);
  });

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

  it('keeps no card number or CVC in any table or log line after these flows', async () => {
    const { dump, logs } = await shop.everythingStored();
    expectNoCardData(dump, [CARD], shop.secrets);
    expectNoCardData(logs, [CARD], shop.secrets);
    // The search looked in the right place: the masked card and the Adyen routes are there.
    expect(dump).toContain('"last4":"1142"');
    expect(dump).toContain('"connector":"adyen"');
  });
});
