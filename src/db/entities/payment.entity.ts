import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { PaymentStatus } from '../../domain/payment-status.js';
import type { BillingDetails, Customer, RefundStatus, TransactionType } from '../../domain/payment.js';

/** The JSON documents of a payment row, as stored (snake_case keys, unix-second times). */
export interface StoredCard {
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  country: string | null;
}
export interface StoredNextAction {
  redirect_url: string;
  form?: { url: string; fields: Record<string, string> } | null;
}
export interface StoredChargeAttempt {
  connector: string;
  account_id: string | null;
  reference: string | null;
  status: 'approved' | 'declined' | 'requires_action' | 'pending' | 'technical_failure';
  error: string | null;
  created_at: number;
  checked_at?: number | null;
}
export interface StoredRefund {
  id: string;
  object: 'refund';
  payment_id: string;
  amount: number;
  status: RefundStatus;
  reason: string | null;
  failure_reason: string | null;
  created_at: number;
}
export interface StoredPendingOperation {
  kind: 'capture' | 'void';
  amount: number | null;
  key: string;
  requested_at: number;
}

/** One attempt to collect money (seed 004's Payment). Amounts are bigint columns read as exact JS integers. */
export const PaymentSchema = defineEntity({
  name: 'Payment',
  tableName: 'payment',
  properties: {
    id: p.string().primary(),
    seq: p.bigint('number').persist(false),
    merchantId: p.string(),
    livemode: p.boolean(),
    status: p.string().$type<PaymentStatus>(),
    integrationType: p.string().$type<'DIRECT' | 'HOSTED_PAYMENT_PAGE'>(),
    amount: p.bigint('number'),
    currency: p.string(),
    amountRefunded: p.bigint('number'),
    merchantReference: p.string().nullable(),
    description: p.string().nullable(),
    /** The language the merchant chose for the hosted page (a canonical BCP 47 tag). */
    locale: p.string().nullable(),
    billingDetails: p.json<BillingDetails>().nullable(),
    metadata: p.json<Record<string, unknown>>(),
    card: p.json<StoredCard>().nullable(),
    declineCode: p.string().nullable(),
    declineMessage: p.string().nullable(),
    nextAction: p.json<StoredNextAction>().nullable(),
    returnUrl: p.string().nullable(),
    terminalId: p.string().nullable(),
    transactionType: p.string().$type<TransactionType>(),
    successUrl: p.string().nullable(),
    cancelUrl: p.string().nullable(),
    errorUrl: p.string().nullable(),
    customer: p.json<Customer>().nullable(),
    country: p.string().nullable(),
    tokenization: p.boolean(),
    /** Seed 000's hosted session: the id in redirect_url, and a hash of the URL's token part. */
    sessionId: p.string().nullable().unique(),
    sessionTokenHash: p.string().nullable(),
    /** Which acquirer holds the charge, and the idempotency key of the charge in flight. */
    processor: p.string().nullable(),
    /** The sandbox vault reference of payments charged before connectors existed; no longer written. */
    processorCardRef: p.string().nullable(),
    processorChargeKey: p.string().nullable(),
    /** Saved-card token (tokenization), `tok_…`. */
    cardToken: p.string().nullable(),
    attempts: p.integer(),
    /** What was captured (SUCCEEDED payments); the rest of an authorization is released. */
    amountCaptured: p.bigint('number').nullable(),
    /** The payment's refunds, oldest first (denormalized from `refund`, so reads need no join). */
    refunds: p.json<StoredRefund[]>(),
    processorChargeId: p.string().nullable(),
    /** The merchant's connector account the charge went to (null: the built-in sandbox). */
    connectorAccountId: p.string().nullable(),
    processorAttempts: p.json<StoredChargeAttempt[]>(),
    /** A capture or void claimed but not yet confirmed by the processor (recovered after a crash). */
    pendingOperation: p.json<StoredPendingOperation>().nullable(),
    authorizationExpiresAt: p.datetime().nullable(),
    reconcileAfter: p.datetime().nullable(),
    requiresActionAt: p.datetime().nullable(),
    processingAt: p.datetime().nullable(),
    authorizedAt: p.datetime().nullable(),
    succeededAt: p.datetime().nullable(),
    failedAt: p.datetime().nullable(),
    canceledAt: p.datetime().nullable(),
    expiredAt: p.datetime().nullable(),
    version: p.integer(),
    createdAt: p.datetime(),
    expiresAt: p.datetime(),
  },
});
export type Payment = InferEntity<typeof PaymentSchema>;
