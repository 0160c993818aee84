import { randomBytes } from 'node:crypto';
import { backends } from '../support/backends.js';
import {
  authorisation,
  CARD,
  expectNoCardData,
  onlyPayment,
  paymentCalls,
  THREE_DS_CARD,
  useAdyenShop,
} from '../support/adyen-shop.js';
import type { NotificationInput } from '../support/fake-adyen.js';
import { eventually } from '../support/http.js';

/**
 * A call to Adyen that has not answered in this time is a timeout. Long enough for a test to act
 * (reconcile, post a notification) while a call is held back.
 */
const TIMEOUT_MS = 2500;

describe.each(backends)('Adyen notifications and undecided charges, end to end (%s)', (backend) => {
  const shop = useAdyenShop(backend, { CONNECTOR_TIMEOUT_MS: String(TIMEOUT_MS) });
  const { fakeAdyen, addAccount, checkout, v1, post, events, notify } = shop;

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
      // Genuinely signed, but a live notification for a test account.
      adyen.notification({ ...refunded, live: true }),
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

    await shop.app.till.services.checkout.recoverStuck(0);
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
    await shop.app.till.services.checkout.recoverStuck(0);
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

  it('an approval at the account Till failed over from is refunded there, once; the payment stays with the second account', async () => {
    const slow = await fakeAdyen();
    const second = await fakeAdyen();
    const first = await addAccount(slow, 1);
    const next = await addAccount(second, 2);
    // The first Adyen authorises, but its answer never reaches Till.
    slow.script('payments', 'hold');
    const p = await checkout();
    expect((await p.pay()).json.state).toBe('paid');
    const stray = onlyPayment(slow).pspReference;
    const kept = onlyPayment(second).pspReference;
    const paid = await v1(p.id);
    expect(paid).toMatchObject({
      status: 'SUCCEEDED',
      processor: { account_id: next.id, reference: kept },
    });

    const approved = slow.notification(authorisation(p.id, stray));
    expect((await notify(first, approved)).text).toBe('[accepted]');
    expect((await notify(first, approved)).text).toBe('[accepted]');
    expect(await v1(p.id)).toEqual(paid);
    expect(slow.modifications).toEqual([
      expect.objectContaining({
        kind: 'refund',
        paymentPspReference: stray,
        amount: { value: 4999, currency: 'EUR' },
      }),
    ]);
    expect(second.modifications).toEqual([]);
    expect(await events('payment.succeeded', p.id)).toHaveLength(1);
  });

  it('an AUTHORIZE payment that timed out and is approved late is voided at Adyen: nothing was captured to refund', async () => {
    const adyen = await fakeAdyen();
    const account = await addAccount(adyen, 1);
    adyen.script('payments', 'hold');
    const p = await checkout({ transaction_type: 'AUTHORIZE' });
    expect((await p.pay()).json.state).toBe('failed');
    const held = onlyPayment(adyen);
    expect(held.manualCapture).toBe(true);

    expect((await notify(account, adyen.notification(authorisation(p.id, held.pspReference)))).text).toBe(
      '[accepted]',
    );
    expect(await v1(p.id)).toMatchObject({ status: 'FAILED', decline_code: 'processing_error' });
    expect(adyen.modifications).toEqual([
      expect.objectContaining({ kind: 'cancel', paymentPspReference: held.pspReference }),
    ]);
  });

  it('a customer who authenticates but never comes back: the AUTHORISATION notification settles it; the late return changes nothing', async () => {
    const adyen = await fakeAdyen();
    const account = await addAccount(adyen, 1);
    const p = await checkout();
    await p.pay({ number: THREE_DS_CARD });
    const psp = onlyPayment(adyen).pspReference;
    expect(await v1(p.id)).toMatchObject({
      status: 'REQUIRES_ACTION',
      next_action: { redirect_url: `${adyen.url}/3ds/${psp}` },
    });
    const redirectResult = await adyen.completeThreeDs(psp, 'complete');

    expect((await notify(account, adyen.notification(authorisation(p.id, psp)))).text).toBe('[accepted]');
    const settled = await v1(p.id);
    expect(settled).toMatchObject({
      status: 'SUCCEEDED',
      next_action: null,
      processor: { account_id: account.id, reference: psp },
    });
    expect(settled.attempts.map((a: { status: string }) => a.status)).toEqual([
      'requires_action',
      'approved',
    ]);

    const back = await fetch(
      `${shop.app.url}/hpp/return/${p.id}?redirectResult=${encodeURIComponent(redirectResult)}`,
      { redirect: 'manual' },
    );
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe('https://shop.example.com/s');
    expect(await v1(p.id)).toEqual(settled);
    expect(adyen.requests.filter((r) => r.endpoint === 'payments/details')).toEqual([]);
    expect(await events('payment.succeeded', p.id)).toHaveLength(1);
  });

  it('keeps no card number or CVC in any table or log line after these flows', async () => {
    const { dump, logs } = await shop.everythingStored();
    expectNoCardData(dump, [CARD, THREE_DS_CARD], shop.secrets);
    expectNoCardData(logs, [CARD, THREE_DS_CARD], shop.secrets);
    expect(dump).toContain('"last4":"1142"');
  });
});
