import type Stripe from 'stripe';
import type { ConnectorNotification } from '../connector.js';
import { declined, refundOutcome } from './outcomes.js';

function tillPaymentId(metadata: Stripe.Metadata | null | undefined): string | null {
  return metadata?.till_payment_id ?? null;
}

export function notificationsOf(event: Stripe.Event): ConnectorNotification[] {
  switch (event.type) {
    case 'payment_intent.succeeded': {
      const intent = event.data.object;
      const paymentId = tillPaymentId(intent.metadata);
      const approved: ConnectorNotification = {
        kind: 'authorization',
        paymentId,
        reference: intent.id,
        outcome: { status: 'approved', captured: true },
      };
      // A manual-capture PaymentIntent succeeds when it is captured.
      if (intent.capture_method === 'manual') {
        return [approved, { kind: 'capture', paymentId, reference: intent.id, success: true }];
      }
      return [approved];
    }
    case 'payment_intent.amount_capturable_updated': {
      const intent = event.data.object;
      return [
        {
          kind: 'authorization',
          paymentId: tillPaymentId(intent.metadata),
          reference: intent.id,
          outcome: { status: 'approved', captured: false },
        },
      ];
    }
    case 'payment_intent.payment_failed': {
      const intent = event.data.object;
      const failure = intent.last_payment_error;
      const outcome = declined(
        failure?.code ?? null,
        failure?.decline_code ?? null,
        failure?.message ?? null,
        intent.id,
      );
      if (outcome.status !== 'declined') return [];
      const { code, message, acquirerCode } = outcome;
      return [
        {
          kind: 'authorization',
          paymentId: tillPaymentId(intent.metadata),
          reference: intent.id,
          outcome: { status: 'declined', code, message, acquirerCode },
        },
      ];
    }
    case 'payment_intent.canceled': {
      const intent = event.data.object;
      return [
        { kind: 'cancel', paymentId: tillPaymentId(intent.metadata), reference: intent.id, success: true },
      ];
    }
    case 'charge.refunded': {
      const charge = event.data.object;
      const reference = idOf(charge.payment_intent) ?? charge.id;
      const paymentId = tillPaymentId(charge.metadata);
      const refunds = charge.refunds?.data ?? [];
      if (refunds.length === 0) {
        return [{ kind: 'refund', paymentId, reference, refundId: null, success: true, message: null }];
      }
      return refunds.flatMap((refund) => refundNotification(refund, reference, paymentId));
    }
    case 'refund.updated':
    case 'charge.refund.updated': {
      const refund = event.data.object;
      const reference = idOf(refund.payment_intent) ?? idOf(refund.charge);
      if (reference === null) return [];
      return refundNotification(refund, reference, tillPaymentId(refund.metadata));
    }
    default:
      return [];
  }
}

/** A refund's final state; one still pending says nothing new. */
function refundNotification(
  refund: Stripe.Refund,
  reference: string,
  paymentId: string | null,
): ConnectorNotification[] {
  const outcome = refundOutcome(refund);
  if (outcome.status === 'pending') return [];
  return [
    {
      kind: 'refund',
      paymentId: paymentId ?? tillPaymentId(refund.metadata),
      reference,
      refundId: refund.metadata?.till_refund_id ?? null,
      success: outcome.status === 'succeeded',
      message: outcome.status === 'failed' ? outcome.message : null,
    },
  ];
}

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : value.id;
}
