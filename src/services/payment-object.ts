import type { Payment } from '../db/entities/payment.entity.js';
import type { PaymentObject } from '../domain/payment.js';

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
