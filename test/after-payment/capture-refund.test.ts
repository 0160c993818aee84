import { CapturePaymentDocument, EventsDocument, RefundPaymentDocument } from '../__generated__/graphql.js';
import { accessToken } from '../support/api-dialect.js';
import { backends } from '../support/backends.js';
import { openCheckout, paidPayment } from '../support/checkout.js';
import { gql } from '../support/graphql.js';
import { request } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

describe.each(backends)('capture, void and refunds (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  const post = (path: string, body?: unknown) =>
    request(app.url, 'POST', path, { key: merchant.test_secret_key, body });
  const get = async (path: string) =>
    (await request(app.url, 'GET', path, { key: merchant.test_secret_key })).json;

  beforeAll(async () => {
    app = await startTill({ backend, env: { CHECKOUT_ATTEMPTS_PER_CLIENT: '100000' } });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    merchant = await newMerchant(app, 'Shop');
  });

  it('authorize, capture part, refund part twice — each step in v1, GraphQL and the events API', async () => {
    const id = await paidPayment(app, merchant, { transactionType: 'AUTHORIZE', amount: 4999 });
    expect(await get(`/v1/payments/${id}`)).toMatchObject({ status: 'AUTHORIZED', amount_refundable: 0 });

    const captured = await post(`/v1/payments/${id}/capture`, { amount: 3000 });
    expect(captured.status).toBe(200);
    expect(captured.json).toMatchObject({
      status: 'SUCCEEDED',
      amount_captured: 3000,
      amount_refundable: 3000,
    });

    const first = await post(`/v1/payments/${id}/refunds`, { amount: 1000, reason: 'requested_by_customer' });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({
      id: expect.stringMatching(/^re_[A-Za-z0-9]{24}$/),
      amount: 1000,
      status: 'succeeded',
      reason: 'requested_by_customer',
    });
    const second = await gql(
      app.url,
      RefundPaymentDocument,
      { paymentId: id, amount: 500 },
      { key: merchant.test_secret_key },
    );
    expect(second.data!.refundPayment).toMatchObject({
      refund: { amount: 500, status: 'succeeded' },
      payment: { amountRefunded: 1500, amountRefundable: 1500 },
      userErrors: [],
    });

    const payment = await get(`/v1/payments/${id}`);
    expect(payment).toMatchObject({
      status: 'SUCCEEDED',
      amount: 4999,
      amount_captured: 3000,
      amount_refunded: 1500,
      amount_refundable: 1500,
    });
    expect(payment.refunds.map((r: { amount: number; status: string }) => [r.amount, r.status])).toEqual([
      [1000, 'succeeded'],
      [500, 'succeeded'],
    ]);
    expect((await get(`/v1/payments/${id}/refunds`)).data).toEqual(payment.refunds);

    const events = await get('/v1/events?limit=100');
    const types = events.data.map((e: { type: string }) => e.type).reverse();
    expect(types).toEqual([
      'payment.created',
      'payment.processing',
      'payment.authorized',
      'payment.succeeded',
      'refund.created',
      'refund.succeeded',
      'refund.created',
      'refund.succeeded',
    ]);
    const refundEvents = await get('/v1/events?type=refund.succeeded');
    expect(
      refundEvents.data.map((e: { data: { object: { amount: number } } }) => e.data.object.amount),
    ).toEqual([500, 1000]);
    const one = await get(`/v1/events/${refundEvents.data[0].id}`);
    expect(one).toEqual(refundEvents.data[0]);
    const viaGraphQL = await gql(
      app.url,
      EventsDocument,
      { first: 100, type: 'refund.*' },
      { key: merchant.test_secret_key },
    );
    expect(viaGraphQL.data!.events.nodes.map((n) => n.id)).toEqual(
      events.data
        .filter((e: { type: string }) => e.type.startsWith('refund.'))
        .map((e: { id: string }) => e.id),
    );
  });

  it('refuses refunds beyond what was captured, and of payments that were not captured', async () => {
    const id = await paidPayment(app, merchant, { amount: 1000 });
    expect((await post(`/v1/payments/${id}/refunds`, { amount: 1001 })).status).toBe(400);
    expect((await post(`/v1/payments/${id}/refunds`, { amount: 0 })).status).toBe(400);
    expect((await post(`/v1/payments/${id}/refunds`, { reason: 'bored' })).status).toBe(400);
    expect((await post(`/v1/payments/${id}/refunds`, { amount: 1000 })).status).toBe(200);
    const again = await post(`/v1/payments/${id}/refunds`, { amount: 1 });
    expect(again.status).toBe(400);
    expect(again.json.error.message).toContain('fully refunded');
    const authorized = await paidPayment(app, merchant, { transactionType: 'AUTHORIZE', amount: 1000 });
    expect((await post(`/v1/payments/${authorized}/refunds`, {})).status).toBe(400);
    expect((await post(`/v1/payments/pay_000000000000000000000000/refunds`, {})).status).toBe(404);
  });

  it('a full refund by default refunds what is left', async () => {
    const id = await paidPayment(app, merchant, { amount: 2500 });
    await post(`/v1/payments/${id}/refunds`, { amount: 700 });
    const rest = await post(`/v1/payments/${id}/refunds`, {});
    expect(rest.json.amount).toBe(1800);
    expect(await get(`/v1/payments/${id}`)).toMatchObject({ amount_refunded: 2500, amount_refundable: 0 });
  });

  it('racing refunds never refund more than was captured', async () => {
    const id = await paidPayment(app, merchant, { amount: 1000 });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => post(`/v1/payments/${id}/refunds`, { amount: 300 })),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(3);
    expect(results.every((r) => r.status === 200 || r.status === 400)).toBe(true);
    const payment = await get(`/v1/payments/${id}`);
    expect(payment).toMatchObject({ amount_refunded: 900, amount_refundable: 100 });
    const [row] = await app.till.db.em
      .fork()
      .execute<{ total: string }[]>(
        `select coalesce(sum(o.amount), 0) as total from sandbox_operation o where o.kind = 'refund' and o.idempotency_key in (select id from refund where payment_id = ?)`,
        [id],
      );
    expect(Number(row!.total)).toBe(900);
  });

  it('racing captures capture once', async () => {
    const id = await paidPayment(app, merchant, { transactionType: 'AUTHORIZE', amount: 1000 });
    const results = await Promise.all([
      post(`/v1/payments/${id}/capture`, { amount: 600 }),
      post(`/v1/payments/${id}/capture`, { amount: 800 }),
    ]);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    const payment = await get(`/v1/payments/${id}`);
    expect(payment.status).toBe('SUCCEEDED');
    const [row] = await app.till.db.em
      .fork()
      .execute<{ n: string }[]>(
        `select count(*) as n from sandbox_operation where kind = 'capture' and idempotency_key = ?`,
        [`${id}:capture`],
      );
    expect(Number(row!.n)).toBe(1);
    expect([600, 800]).toContain(payment.amount_captured);
  });

  it('voids an authorization through cancel, and refuses to capture what is not AUTHORIZED', async () => {
    const id = await paidPayment(app, merchant, { transactionType: 'AUTHORIZE' });
    expect((await post(`/v1/payments/${id}/capture`, { amount: 999999 })).status).toBe(400);
    const voided = await post(`/v1/payments/${id}/cancel`);
    expect(voided.json).toMatchObject({ status: 'CANCELED' });
    expect(voided.json.status_transitions.canceled_at).toEqual(expect.any(Number));
    const again = await post(`/v1/payments/${id}/capture`, {});
    expect(again.status).toBe(400);
    expect(again.json.error.code).toBe('payment_unexpected_state');
    const captured = await gql(app.url, CapturePaymentDocument, { id }, { key: merchant.test_secret_key });
    expect(captured.data!.capturePayment.userErrors[0]).toMatchObject({ code: 'payment_unexpected_state' });
  });

  it('captures in full by default through GraphQL', async () => {
    const id = await paidPayment(app, merchant, { transactionType: 'AUTHORIZE', amount: 1234 });
    const res = await gql(app.url, CapturePaymentDocument, { id }, { key: merchant.test_secret_key });
    expect(res.data!.capturePayment.payment).toMatchObject({
      status: 'SUCCEEDED',
      amountCaptured: 1234,
      amountRefundable: 1234,
    });
  });

  it('releases an authorization nobody captured in time (EXPIRED)', async () => {
    const id = await paidPayment(app, merchant, { transactionType: 'AUTHORIZE' });
    const released = await app.till.services.authorizations.expireAuthorizations(
      new Date(Date.now() + 8 * 24 * 3600 * 1000),
    );
    expect(released).toBeGreaterThanOrEqual(1);
    expect((await get(`/v1/payments/${id}`)).status).toBe('EXPIRED');
  });

  it('finishes a capture a crash interrupted, once', async () => {
    const id = await paidPayment(app, merchant, { transactionType: 'AUTHORIZE', amount: 1000 });
    // The state a crash right after the claim leaves: the capture claimed, nothing recorded.
    await app.till.services.payments.annotate(id, ['AUTHORIZED'], {
      pendingOperation: {
        kind: 'capture',
        amount: 400,
        key: `${id}:capture`,
        requestedAt: Math.floor(Date.now() / 1000) - 60,
      },
    });
    await app.till.services.authorizations.recover(0);
    expect(await get(`/v1/payments/${id}`)).toMatchObject({ status: 'SUCCEEDED', amount_captured: 400 });
  });

  it("the api dialect's equivalents: capture, refunds and void by session id, idempotent", async () => {
    const token = await accessToken(app.url, merchant);
    const api = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
      request(app.url, 'POST', `/api${path}`, {
        key: token,
        body,
        headers: { 'x-api-key': merchant.api_key, ...headers },
      });
    const sessionBody = {
      terminal_id: 'DEV02',
      reference: 'R-1',
      currency: 'EUR',
      amount: 2000,
      transaction_type: 'AUTHORIZE',
      success_url: 'https://shop.example.com/s',
      cancel_url: 'https://shop.example.com/c',
    };
    const session = await api('/sessions', sessionBody, { 'idempotency-key': 'session-1' });
    expect(session.status).toBe(200);
    const replay = await api('/sessions', sessionBody, { 'idempotency-key': 'session-1' });
    expect(replay.text).toBe(session.text);
    const { init, hpp } = await openCheckout(session.json.redirect_url);
    await request(app.url, 'POST', `/hpp/api/sessions/${init.session_id}/pay`, {
      headers: { 'x-client-key': init.client_key, 'x-session-secret': hpp.session_secret },
      body: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123', name: 'J' },
    });
    const sid = session.json.session_id;
    const captured = await api(`/sessions/${sid}/capture`, { amount: 1500 }, { 'idempotency-key': 'cap-1' });
    expect(captured.json).toMatchObject({ status: 'SUCCEEDED', amount_captured: 1500 });
    const refund = await api(`/sessions/${sid}/refunds`, { amount: 400 }, { 'idempotency-key': 'ref-1' });
    expect(refund.json).toMatchObject({ amount: 400, status: 'succeeded' });
    const again = await api(`/sessions/${sid}/refunds`, { amount: 400 }, { 'idempotency-key': 'ref-1' });
    expect(again.text).toBe(refund.text);
    expect(await get(`/v1/payments/${hpp.payment_id}`)).toMatchObject({
      amount_refunded: 400,
      amount_refundable: 1100,
    });
    const bad = await api(`/sessions/${sid}/refunds`, { amount: 'lots' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ status: 'INVALID', errors: [{ property: 'amount' }] });
    const other = await paidPayment(app, merchant, { transactionType: 'AUTHORIZE' });
    const otherSession = (await get(`/v1/payments/${other}`)).session_id;
    expect((await api(`/sessions/${otherSession}/void`)).json).toMatchObject({ status: 'CANCELED' });
  });
});
