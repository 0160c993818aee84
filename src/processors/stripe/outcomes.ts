import type Stripe from 'stripe';
import type { AuthorizeOutcome, OperationOutcome } from '../connector.js';
import { DECLINE_MESSAGES } from '../processor.js';

/** Stripe decline codes that Till reports under the same name; every other decline is `card_declined`. */
const SAME_NAME_CODES = new Set(['insufficient_funds', 'expired_card', 'incorrect_cvc', 'processing_error']);

/** Stripe's `last_payment_error.code` when the customer failed (or abandoned) 3-D Secure. */
const AUTHENTICATION_FAILURE = 'payment_intent_authentication_failure';

/** What a PaymentIntent's state means for the charge. */
export function outcomeOf(intent: Stripe.PaymentIntent): AuthorizeOutcome {
  switch (intent.status) {
    case 'succeeded':
      return { status: 'approved', reference: intent.id, captured: true, approvalCode: null };
    case 'requires_capture':
      return { status: 'approved', reference: intent.id, captured: false, approvalCode: null };
    case 'requires_action': {
      const url = intent.next_action?.redirect_to_url?.url;
      // Only redirects are asked for (card payments with a return_url); anything else stays undecided.
      if (url) return { status: 'action', reference: intent.id, action: { url, method: 'GET' } };
      return { status: 'pending', reference: intent.id };
    }
    case 'requires_payment_method': {
      const failure = intent.last_payment_error;
      if (failure)
        return declined(
          failure.code ?? null,
          failure.decline_code ?? null,
          failure.message ?? null,
          intent.id,
        );
      return { status: 'pending', reference: intent.id };
    }
    case 'canceled':
      return {
        status: 'declined',
        reference: intent.id,
        code: 'canceled',
        message: 'The payment was canceled at Stripe.',
        acquirerCode: intent.cancellation_reason ?? null,
      };
    default:
      // processing, requires_confirmation: accepted, not decided yet.
      return { status: 'pending', reference: intent.id };
  }
}

/** Stripe's error code and issuer decline code, in Till's decline vocabulary. */
function declineCode(code: string | null, declineCodeValue: string | null): string {
  if (code === AUTHENTICATION_FAILURE) return 'authentication_failed';
  if (declineCodeValue !== null && SAME_NAME_CODES.has(declineCodeValue)) return declineCodeValue;
  if (code !== null && SAME_NAME_CODES.has(code)) return code;
  return 'card_declined';
}

export function declined(
  code: string | null,
  acquirerCode: string | null,
  stripeMessage: string | null,
  reference: string | null,
): AuthorizeOutcome {
  const tillCode = declineCode(code, acquirerCode);
  return {
    status: 'declined',
    reference,
    code: tillCode,
    message: DECLINE_MESSAGES[tillCode] ?? stripeMessage ?? 'The card was declined.',
    acquirerCode: acquirerCode ?? code,
  };
}

export function refundOutcome(refund: Stripe.Refund): OperationOutcome {
  if (refund.status === 'succeeded') return { status: 'succeeded', reference: refund.id };
  if (refund.status === 'failed' || refund.status === 'canceled') {
    return {
      status: 'failed',
      reference: refund.id,
      message: `Refund ${refund.status}: ${refund.failure_reason ?? 'no reason given'}`,
    };
  }
  // pending, requires_action: Stripe confirms later (refund.updated).
  return { status: 'pending', reference: refund.id };
}
