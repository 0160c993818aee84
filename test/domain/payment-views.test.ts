import 'reflect-metadata';
import { amountRefundable, transitioned, type Payment } from '../../src/domain/payment.js';
import { paymentFromPayload } from '../../src/events/payment-payload.js';
import { Payment as GraphQLPayment } from '../../src/graphql/payment.type.js';
import { sessionView } from '../../src/rest/api/session.view.js';
import { v1Payment, v1Refund } from '../../src/rest/v1/payment.view.js';

const at = (seconds: number) => new Date(seconds * 1000);
const PUBLIC_URL = 'https://till.example';

/** One captured, partly refunded payment with every kind of field set. */
function samplePayment(): Payment {
  return {
    id: 'pay_AAAAAAAAAAAAAAAAAAAAAAAA',
    livemode: false,
    status: 'SUCCEEDED',
    integrationType: 'HOSTED_PAYMENT_PAGE',
    transactionType: 'AUTHORIZE',
    amount: 2500,
    currency: 'EUR',
    amountRefunded: 300,
    amountCaptured: 2000,
    merchantReference: 'order-1',
    description: 'Two mugs',
    locale: 'de-AT',
    card: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2034, country: 'DE' },
    billingDetails: { email: 'jenny@example.com', address: { country: 'DE', postal_code: '10115' } },
    metadata: { order: 1 },
    declineCode: null,
    declineMessage: null,
    nextAction: null,
    returnUrl: null,
    terminalId: 'DEV02',
    sessionId: 'S'.repeat(20),
    successUrl: 'https://shop.example/ok',
    cancelUrl: 'https://shop.example/cancel',
    errorUrl: null,
    customer: { first_name: 'Jenny', postal_code: '10115' },
    cardToken: 'tok_BBBBBBBBBBBBBBBBBBBBBBBB',
    refunds: [
      {
        id: 're_CCCCCCCCCCCCCCCCCCCCCCCC',
        paymentId: 'pay_AAAAAAAAAAAAAAAAAAAAAAAA',
        amount: 300,
        status: 'succeeded',
        reason: 'duplicate',
        failureReason: null,
        createdAt: at(1_700_000_300),
      },
      {
        id: 're_DDDDDDDDDDDDDDDDDDDDDDDD',
        paymentId: 'pay_AAAAAAAAAAAAAAAAAAAAAAAA',
        amount: 200,
        status: 'pending',
        reason: null,
        failureReason: null,
        createdAt: at(1_700_000_400),
      },
    ],
    transitions: {
      requiresActionAt: null,
      processingAt: at(1_700_000_010),
      authorizedAt: at(1_700_000_020),
      succeededAt: at(1_700_000_100),
      failedAt: null,
      canceledAt: null,
      expiredAt: null,
    },
    createdAt: new Date(1_700_000_000_750),
    expiresAt: at(1_700_003_600),
    version: 5,
    processorRoute: { connector: 'stripe', accountId: 'ca_EEEEEEEEEEEEEEEEEEEEEEEE', reference: 'pi_3MtwBw' },
    chargeAttempts: [
      {
        connector: 'adyen',
        accountId: 'ca_FFFFFFFFFFFFFFFFFFFFFFFF',
        reference: null,
        status: 'technical_failure',
        error: 'timeout',
        createdAt: at(1_700_000_005),
      },
      {
        connector: 'stripe',
        accountId: 'ca_EEEEEEEEEEEEEEEEEEEEEEEE',
        reference: 'pi_3MtwBw',
        status: 'approved',
        error: null,
        createdAt: at(1_700_000_009),
      },
    ],
  };
}

describe('the views of one domain payment', () => {
  it('v1 (and event payload): the documented fields, in their order, snake_case and unix seconds', () => {
    expect(JSON.stringify(v1Payment(samplePayment(), PUBLIC_URL))).toBe(
      JSON.stringify({
        id: 'pay_AAAAAAAAAAAAAAAAAAAAAAAA',
        amount: 2500,
        currency: 'EUR',
        status: 'SUCCEEDED',
        integration_type: 'HOSTED_PAYMENT_PAGE',
        amount_refunded: 300,
        amount_refundable: 1500,
        created_at: 1_700_000_000,
        livemode: false,
        merchant_reference: 'order-1',
        description: 'Two mugs',
        card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2034, country: 'DE' },
        billing_details: { email: 'jenny@example.com', address: { country: 'DE', postal_code: '10115' } },
        metadata: { order: 1 },
        decline_code: null,
        decline_message: null,
        hosted_payment_url: 'https://till.example/hpp/pay_AAAAAAAAAAAAAAAAAAAAAAAA',
        refunds: [
          {
            id: 're_CCCCCCCCCCCCCCCCCCCCCCCC',
            object: 'refund',
            payment_id: 'pay_AAAAAAAAAAAAAAAAAAAAAAAA',
            amount: 300,
            status: 'succeeded',
            reason: 'duplicate',
            failure_reason: null,
            created_at: 1_700_000_300,
          },
          {
            id: 're_DDDDDDDDDDDDDDDDDDDDDDDD',
            object: 'refund',
            payment_id: 'pay_AAAAAAAAAAAAAAAAAAAAAAAA',
            amount: 200,
            status: 'pending',
            reason: null,
            failure_reason: null,
            created_at: 1_700_000_400,
          },
        ],
        status_transitions: {
          requires_action_at: null,
          processing_at: 1_700_000_010,
          authorized_at: 1_700_000_020,
          succeeded_at: 1_700_000_100,
          failed_at: null,
          canceled_at: null,
          expired_at: null,
        },
        next_action: null,
        transaction_type: 'AUTHORIZE',
        return_url: null,
        locale: 'de-AT',
        terminal_id: 'DEV02',
        session_id: 'S'.repeat(20),
        success_url: 'https://shop.example/ok',
        cancel_url: 'https://shop.example/cancel',
        error_url: null,
        customer: { first_name: 'Jenny', postal_code: '10115' },
        card_token: 'tok_BBBBBBBBBBBBBBBBBBBBBBBB',
        amount_captured: 2000,
        expires_at: 1_700_003_600,
        version: 5,
        processor: { connector: 'stripe', account_id: 'ca_EEEEEEEEEEEEEEEEEEEEEEEE', reference: 'pi_3MtwBw' },
        attempts: [
          {
            connector: 'adyen',
            account_id: 'ca_FFFFFFFFFFFFFFFFFFFFFFFF',
            reference: null,
            status: 'technical_failure',
            error: 'timeout',
            created_at: 1_700_000_005,
          },
          {
            connector: 'stripe',
            account_id: 'ca_EEEEEEEEEEEEEEEEEEEEEEEE',
            reference: 'pi_3MtwBw',
            status: 'approved',
            error: null,
            created_at: 1_700_000_009,
          },
        ],
      }),
    );
    expect(v1Refund(samplePayment().refunds[0]!)).toMatchObject({
      object: 'refund',
      created_at: 1_700_000_300,
    });
  });

  it('GraphQL: the same payment in camelCase, times in unix seconds', () => {
    const view = GraphQLPayment.from(samplePayment(), PUBLIC_URL);
    expect(view).toBeInstanceOf(GraphQLPayment);
    expect(view).toMatchObject({
      id: 'pay_AAAAAAAAAAAAAAAAAAAAAAAA',
      amountRefundable: 1500,
      amountCaptured: 2000,
      createdAt: 1_700_000_000,
      card: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2034, country: 'DE' },
      billingDetails: {
        email: 'jenny@example.com',
        firstName: null,
        address: { country: 'DE', postalCode: '10115', line1: null },
      },
      hostedPaymentUrl: 'https://till.example/hpp/pay_AAAAAAAAAAAAAAAAAAAAAAAA',
      refunds: [
        { id: 're_CCCCCCCCCCCCCCCCCCCCCCCC', failureReason: null, createdAt: 1_700_000_300 },
        { id: 're_DDDDDDDDDDDDDDDDDDDDDDDD', status: 'pending' },
      ],
      statusTransitions: { processingAt: 1_700_000_010, succeededAt: 1_700_000_100, failedAt: null },
      customer: { firstName: 'Jenny', postalCode: '10115', email: null },
      cardToken: 'tok_BBBBBBBBBBBBBBBBBBBBBBBB',
      expiresAt: 1_700_003_600,
      version: 5,
      processor: { connector: 'stripe', accountId: 'ca_EEEEEEEEEEEEEEEEEEEEEEEE', reference: 'pi_3MtwBw' },
      attempts: [
        {
          connector: 'adyen',
          status: 'technical_failure',
          error: 'timeout',
          reference: null,
          createdAt: 1_700_000_005,
        },
        { connector: 'stripe', status: 'approved', reference: 'pi_3MtwBw', createdAt: 1_700_000_009 },
      ],
    });
  });

  it('GraphQL from an event payload equals GraphQL from the payment (what subscribers receive)', () => {
    const payload = JSON.parse(JSON.stringify(v1Payment(samplePayment(), PUBLIC_URL)));
    expect(GraphQLPayment.fromPayload(payload, PUBLIC_URL)).toEqual(
      GraphQLPayment.from(samplePayment(), PUBLIC_URL),
    );
    expect(v1Payment(paymentFromPayload(payload), PUBLIC_URL)).toEqual(payload);
  });

  it("the api dialect's session view", () => {
    expect(JSON.stringify(sessionView(samplePayment()))).toBe(
      JSON.stringify({
        session_id: 'S'.repeat(20),
        status: 'SUCCEEDED',
        payment_id: 'pay_AAAAAAAAAAAAAAAAAAAAAAAA',
        reference: 'order-1',
        amount: 2500,
        currency: 'EUR',
        transaction_type: 'AUTHORIZE',
        terminal_id: 'DEV02',
        decline_code: null,
        created_at: 1_700_000_000,
        expires_at: 1_700_003_600,
      }),
    );
  });
});

describe('the domain payment', () => {
  it('refundable: what was captured less refunds made or under way; nothing unless SUCCEEDED', () => {
    expect(amountRefundable(samplePayment())).toBe(1500);
    expect(amountRefundable({ ...samplePayment(), status: 'AUTHORIZED' })).toBe(0);
    const failed = samplePayment();
    failed.refunds[1]!.status = 'failed';
    expect(amountRefundable(failed)).toBe(1700);
  });

  it('a transition stamps the status entered and bumps the version; the state machine refuses others', () => {
    const pending: Payment = { ...samplePayment(), status: 'PENDING', version: 1 };
    const now = at(1_700_000_500);
    const canceled = transitioned(pending, 'CANCELED', now);
    expect(canceled).toMatchObject({ status: 'CANCELED', version: 2 });
    expect(canceled.transitions.canceledAt).toBe(now);
    expect(pending.status).toBe('PENDING');
    expect(() => transitioned(canceled, 'SUCCEEDED', now)).toThrow(
      'A CANCELED payment cannot become SUCCEEDED.',
    );
  });
});
