import type { Payment } from '../db/entities/payment.entity.js';
import type { PaymentStatus } from '../domain/payment-status.js';
import type {
  BillingDetails,
  CardDetails,
  Customer,
  NextAction,
  RefundObject,
  TransactionType,
} from '../domain/payment.js';

/** Seed 004's Payment object: the wire shape of `/v1`, event payloads and webhooks. */
export interface PaymentObject {
  id: string;
  amount: number;
  currency: string;
  status: PaymentStatus;
  integration_type: 'DIRECT' | 'HOSTED_PAYMENT_PAGE';
  amount_refunded: number;
  amount_refundable: number;
  created_at: number;
  livemode: boolean;
  merchant_reference: string | null;
  description: string | null;
  card: CardDetails | null;
  billing_details: BillingDetails | null;
  metadata: Record<string, unknown>;
  decline_code: string | null;
  decline_message: string | null;
  hosted_payment_url: string | null;
  refunds: RefundObject[];
  status_transitions: {
    requires_action_at: number | null;
    processing_at: number | null;
    authorized_at: number | null;
    succeeded_at: number | null;
    failed_at: number | null;
    canceled_at: number | null;
    expired_at: number | null;
  };
  next_action: NextAction | null;
  /** Till's additions, after the seed's fields. */
  transaction_type: TransactionType;
  return_url: string | null;
  /** Seed 000's fields, for payments created through /api (null otherwise). */
  terminal_id: string | null;
  session_id: string | null;
  success_url: string | null;
  cancel_url: string | null;
  error_url: string | null;
  customer: Customer | null;
  /** Saved-card token (`tok_…`) when the customer asked to save the card and the terminal supports it. */
  card_token: string | null;
  /** What was captured: the amount for PURCHASE, the captured part for a captured AUTHORIZE. */
  amount_captured: number | null;
  expires_at: number;
  version: number;
}

const unix = (d: Date | null | undefined): number | null => (d ? Math.floor(d.getTime() / 1000) : null);

/** Money that can still be refunded: what was captured less refunds made or under way. */
function refundable(p: Payment): number {
  if (p.status !== 'SUCCEEDED') return 0;
  const reserved = (p.refunds ?? [])
    .filter((r) => r.status !== 'failed')
    .reduce((sum, r) => sum + r.amount, 0);
  return (p.amountCaptured ?? p.amount) - reserved;
}

export function hostedPaymentUrl(publicUrl: string, paymentId: string): string {
  return `${publicUrl}/hpp/${paymentId}`;
}

/** Builds the Payment object from a stored row. The one serializer every surface and event uses. */
export function toPaymentObject(p: Payment, publicUrl: string): PaymentObject {
  return {
    id: p.id,
    amount: p.amount,
    currency: p.currency,
    status: p.status,
    integration_type: p.integrationType,
    amount_refunded: p.amountRefunded,
    amount_refundable: refundable(p),
    created_at: unix(p.createdAt)!,
    livemode: p.livemode,
    merchant_reference: p.merchantReference ?? null,
    description: p.description ?? null,
    card: p.card ?? null,
    billing_details: p.billingDetails ?? null,
    metadata: p.metadata ?? {},
    decline_code: p.declineCode ?? null,
    decline_message: p.declineMessage ?? null,
    hosted_payment_url:
      p.integrationType === 'HOSTED_PAYMENT_PAGE' ? hostedPaymentUrl(publicUrl, p.id) : null,
    refunds: p.refunds ?? [],
    status_transitions: {
      requires_action_at: unix(p.requiresActionAt),
      processing_at: unix(p.processingAt),
      authorized_at: unix(p.authorizedAt),
      succeeded_at: unix(p.succeededAt),
      failed_at: unix(p.failedAt),
      canceled_at: unix(p.canceledAt),
      expired_at: unix(p.expiredAt),
    },
    next_action: p.nextAction ?? null,
    transaction_type: p.transactionType,
    return_url: p.returnUrl ?? null,
    terminal_id: p.terminalId ?? null,
    session_id: p.sessionId ?? null,
    success_url: p.successUrl ?? null,
    cancel_url: p.cancelUrl ?? null,
    error_url: p.errorUrl ?? null,
    customer: p.customer ?? null,
    card_token: p.cardToken ?? null,
    amount_captured: p.amountCaptured ?? null,
    expires_at: unix(p.expiresAt)!,
    version: p.version,
  };
}
