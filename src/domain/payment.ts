import type { PaymentStatus } from './payment-status.js';

/** Shapes of a payment and its nested objects, as the v1 REST dialect documents them. */

export interface Address {
  line1?: string | null;
  line2?: string | null;
  city?: string | null;
  state?: string | null;
  postal_code?: string | null;
  country?: string | null;
}

export interface BillingDetails {
  email?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  phone?: string | null;
  address?: Address | null;
}

/** Masked card details. Never the full number or the CVC. */
export interface CardDetails {
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  country: string | null;
}

export interface NextAction {
  redirect_url: string;
}

export type TransactionType = 'PURCHASE' | 'AUTHORIZE';
export const TRANSACTION_TYPES: readonly TransactionType[] = ['PURCHASE', 'AUTHORIZE'];

/** Seed 000's customer, kept on the payment. */
export interface Customer {
  id?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  email?: string | null;
  phone?: string | null;
  address?: string | null;
  city?: string | null;
  country?: string | null;
  postal_code?: string | null;
}

/**
 * What a merchant asks for when creating a hosted payment, whichever surface it came through.
 * Two rule sets apply: seed 004's (`v1`: one return_url, EUR) and seed 000's (`api`: a terminal,
 * success/cancel/error URLs, the terminal's currencies, tokenization).
 */
export interface CreateHostedPaymentInput {
  rules: 'v1' | 'api';
  amount: number;
  currency: string;
  returnUrl?: string | null;
  successUrl?: string | null;
  cancelUrl?: string | null;
  errorUrl?: string | null;
  /** `POST /api/sessions` (seed 000's sample) sends no error_url; the hosted-payment-page endpoint requires it. */
  errorUrlOptional?: boolean;
  merchantReference?: string | null;
  description?: string | null;
  billingDetails?: BillingDetails | null;
  metadata?: Record<string, unknown> | null;
  terminalId?: string | null;
  transactionType?: TransactionType;
  customer?: Customer | null;
  country?: string | null;
  /** `tokenization.save_card_for_future_payments`. */
  saveCard?: boolean;
}

/** Limits of seed 004 (and Till's metadata rules), shared by every surface's validation. */
export const LIMITS = {
  merchantReference: 255,
  description: 500,
  metadataKeys: 50,
  metadataKeyLength: 40,
  /** A string value's characters; any other value's characters as JSON. */
  metadataValueLength: 500,
  metadataBytes: 8 * 1024,
  billingField: 255,
  idempotencyKey: 255,
  listMax: 100,
  listDefault: 10,
} as const;

/** Seed 004's Refund, as kept in the Payment's `refunds`. */
export interface RefundObject {
  id: string;
  object: 'refund';
  payment_id: string;
  amount: number;
  status: 'pending' | 'succeeded' | 'failed';
  reason: string | null;
  failure_reason: string | null;
  created_at: number;
}

/** The v1 dialect's Payment object: the wire shape of `/v1`, event payloads and webhooks. */
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
  /** The api dialect's fields, for payments created through /api (null otherwise). */
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

export const REFUND_REASONS = ['requested_by_customer', 'duplicate', 'fraudulent'] as const;

/** A capture or void the processor has been asked for and Till has not yet recorded. */
export interface PendingOperation {
  kind: 'capture' | 'void';
  amount: number | null;
  key: string;
  requested_at: number;
}
