import type { PaymentStatus } from '../domain/payment-status.js';
import { fromUnixSeconds, fromUnixSecondsOrNull, unixSeconds, unixSecondsOrNull } from '../domain/time.js';
import {
  amountRefundable,
  hostedPaymentUrl,
  type BillingDetails,
  type ChargeAttemptStatus,
  type Customer,
  type Payment,
  type Refund,
  type RefundStatus,
  type TransactionType,
} from '../domain/payment.js';

/**
 * The wire shape of a payment in events and webhooks (`data.object`), which is also the v1 REST
 * dialect's Payment object: snake_case, unix-second times, fields in this order.
 */
export interface PaymentPayload {
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
  card: { brand: string; last4: string; exp_month: number; exp_year: number; country: string | null } | null;
  billing_details: BillingDetails | null;
  metadata: Record<string, unknown>;
  decline_code: string | null;
  decline_message: string | null;
  hosted_payment_url: string | null;
  refunds: RefundPayload[];
  status_transitions: {
    requires_action_at: number | null;
    processing_at: number | null;
    authorized_at: number | null;
    succeeded_at: number | null;
    failed_at: number | null;
    canceled_at: number | null;
    expired_at: number | null;
  };
  next_action: { redirect_url: string } | null;
  /** Till's additions, after the documented fields. */
  transaction_type: TransactionType;
  return_url: string | null;
  /** The hosted page's language, when the merchant chose one (BCP 47). */
  locale: string | null;
  /** The api dialect's fields, for payments created through it (null otherwise). */
  terminal_id: string | null;
  session_id: string | null;
  success_url: string | null;
  cancel_url: string | null;
  error_url: string | null;
  customer: Customer | null;
  card_token: string | null;
  amount_captured: number | null;
  expires_at: number;
  version: number;
  /** The acquirer, the merchant's account there and its id for the charge (null before the card is sent). */
  processor: { connector: string; account_id: string | null; reference: string | null } | null;
  /** Every try at an acquirer, oldest first (a failover makes two). */
  attempts: ChargeAttemptPayload[];
}

export interface ChargeAttemptPayload {
  connector: string;
  account_id: string | null;
  reference: string | null;
  status: ChargeAttemptStatus;
  error: string | null;
  created_at: number;
}

/** The wire shape of a refund: a refund event's `data.object`, and the v1 dialect's Refund object. */
export interface RefundPayload {
  id: string;
  object: 'refund';
  payment_id: string;
  amount: number;
  status: RefundStatus;
  reason: string | null;
  failure_reason: string | null;
  created_at: number;
}

export function refundPayload(r: Refund): RefundPayload {
  return {
    id: r.id,
    object: 'refund',
    payment_id: r.paymentId,
    amount: r.amount,
    status: r.status,
    reason: r.reason,
    failure_reason: r.failureReason,
    created_at: unixSeconds(r.createdAt),
  };
}

export function paymentPayload(p: Payment, publicUrl: string): PaymentPayload {
  const t = p.transitions;
  return {
    id: p.id,
    amount: p.amount,
    currency: p.currency,
    status: p.status,
    integration_type: p.integrationType,
    amount_refunded: p.amountRefunded,
    amount_refundable: amountRefundable(p),
    created_at: unixSeconds(p.createdAt),
    livemode: p.livemode,
    merchant_reference: p.merchantReference,
    description: p.description,
    card: p.card && {
      brand: p.card.brand,
      last4: p.card.last4,
      exp_month: p.card.expMonth,
      exp_year: p.card.expYear,
      country: p.card.country,
    },
    billing_details: p.billingDetails,
    metadata: p.metadata,
    decline_code: p.declineCode,
    decline_message: p.declineMessage,
    hosted_payment_url:
      p.integrationType === 'HOSTED_PAYMENT_PAGE' ? hostedPaymentUrl(publicUrl, p.id) : null,
    refunds: p.refunds.map(refundPayload),
    status_transitions: {
      requires_action_at: unixSecondsOrNull(t.requiresActionAt),
      processing_at: unixSecondsOrNull(t.processingAt),
      authorized_at: unixSecondsOrNull(t.authorizedAt),
      succeeded_at: unixSecondsOrNull(t.succeededAt),
      failed_at: unixSecondsOrNull(t.failedAt),
      canceled_at: unixSecondsOrNull(t.canceledAt),
      expired_at: unixSecondsOrNull(t.expiredAt),
    },
    next_action: p.nextAction && { redirect_url: p.nextAction.redirectUrl },
    transaction_type: p.transactionType,
    return_url: p.returnUrl,
    locale: p.locale,
    terminal_id: p.terminalId,
    session_id: p.sessionId,
    success_url: p.successUrl,
    cancel_url: p.cancelUrl,
    error_url: p.errorUrl,
    customer: p.customer,
    card_token: p.cardToken,
    amount_captured: p.amountCaptured,
    expires_at: unixSeconds(p.expiresAt),
    version: p.version,
    processor: p.processorRoute && {
      connector: p.processorRoute.connector,
      account_id: p.processorRoute.accountId,
      reference: p.processorRoute.reference,
    },
    attempts: p.chargeAttempts.map((a) => ({
      connector: a.connector,
      account_id: a.accountId,
      reference: a.reference,
      status: a.status,
      error: a.error,
      created_at: unixSeconds(a.createdAt),
    })),
  };
}

export function refundFromPayload(r: RefundPayload): Refund {
  return {
    id: r.id,
    paymentId: r.payment_id,
    amount: r.amount,
    status: r.status,
    reason: r.reason,
    failureReason: r.failure_reason,
    createdAt: fromUnixSeconds(r.created_at),
  };
}

/** The payment a payload describes (a subscriber's view of a published change). */
export function paymentFromPayload(o: PaymentPayload): Payment {
  const t = o.status_transitions;
  return {
    id: o.id,
    livemode: o.livemode,
    status: o.status,
    integrationType: o.integration_type,
    transactionType: o.transaction_type,
    amount: o.amount,
    currency: o.currency,
    amountRefunded: o.amount_refunded,
    amountCaptured: o.amount_captured,
    merchantReference: o.merchant_reference,
    description: o.description,
    locale: o.locale ?? null,
    card: o.card && {
      brand: o.card.brand,
      last4: o.card.last4,
      expMonth: o.card.exp_month,
      expYear: o.card.exp_year,
      country: o.card.country,
    },
    billingDetails: o.billing_details,
    metadata: o.metadata,
    declineCode: o.decline_code,
    declineMessage: o.decline_message,
    nextAction: o.next_action && { redirectUrl: o.next_action.redirect_url },
    returnUrl: o.return_url,
    terminalId: o.terminal_id,
    sessionId: o.session_id,
    successUrl: o.success_url,
    cancelUrl: o.cancel_url,
    errorUrl: o.error_url,
    customer: o.customer,
    cardToken: o.card_token,
    refunds: (o.refunds ?? []).map(refundFromPayload),
    transitions: {
      requiresActionAt: fromUnixSecondsOrNull(t.requires_action_at),
      processingAt: fromUnixSecondsOrNull(t.processing_at),
      authorizedAt: fromUnixSecondsOrNull(t.authorized_at),
      succeededAt: fromUnixSecondsOrNull(t.succeeded_at),
      failedAt: fromUnixSecondsOrNull(t.failed_at),
      canceledAt: fromUnixSecondsOrNull(t.canceled_at),
      expiredAt: fromUnixSecondsOrNull(t.expired_at),
    },
    createdAt: fromUnixSeconds(o.created_at),
    expiresAt: fromUnixSeconds(o.expires_at),
    version: o.version,
    // Events stored before payments recorded their acquirer have neither field.
    processorRoute: o.processor
      ? {
          connector: o.processor.connector,
          accountId: o.processor.account_id,
          reference: o.processor.reference,
        }
      : null,
    chargeAttempts: (o.attempts ?? []).map((a) => ({
      connector: a.connector,
      accountId: a.account_id,
      reference: a.reference,
      status: a.status,
      error: a.error,
      createdAt: fromUnixSeconds(a.created_at),
    })),
  };
}
