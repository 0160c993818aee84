import { recordPaymentEvent } from '../../src/events/outbox.js';
import { EVENT_TYPES, isEventType, paymentEventType } from '../../src/events/topics.js';
import { PAYMENT_STATUSES } from '../../src/domain/payment-status.js';

describe('the event-type catalogue', () => {
  it('names payment events after the status entered, all of them catalogued', () => {
    expect(paymentEventType('CANCELED')).toBe('payment.canceled');
    expect(paymentEventType('REQUIRES_ACTION')).toBe('payment.requires_action');
    for (const status of PAYMENT_STATUSES)
      if (status !== 'PENDING') expect(EVENT_TYPES).toContain(paymentEventType(status));
  });

  it('knows exactly its types', () => {
    expect(isEventType('refund.failed')).toBe(true);
    expect(isEventType('payment.refunded')).toBe(false);
    expect(new Set(EVENT_TYPES).size).toBe(EVENT_TYPES.length);
  });

  it('is closed at compile time: a producer cannot name an unknown type (checked by npm run typecheck)', () => {
    // Never called: only the compiler's verdict on the call matters.
    const produce = (em: Parameters<typeof recordPaymentEvent>[0]) =>
      recordPaymentEvent(
        em,
        { id: 'pay_x', merchantId: 'mer_x', livemode: false },
        // @ts-expect-error 'payment.refunded' is not an event type
        'payment.refunded',
        {} as Parameters<typeof recordPaymentEvent>[3],
      );
    expect(typeof produce).toBe('function');
  });
});
