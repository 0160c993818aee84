import { ErrorCode, TillError } from './errors.js';
import { canTransition, type EnteredStatus, type PaymentStatus } from './payment-status.js';

/** A payment, what a merchant sends to create one, and the rules of its money and status. */

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
  /** The hosted page's language (a BCP 47 tag); without it the page follows the browser. */
  locale?: string | null;
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

export const REFUND_REASONS = ['requested_by_customer', 'duplicate', 'fraudulent'] as const;

/** Masked card details. Never the full number or the CVC. */
export interface Card {
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  country: string | null;
}

/** What the customer must do to continue the payment. */
export interface NextAction {
  redirectUrl: string;
  /**
   * When the acquirer wants the browser to arrive by form post (3-D Secure's classic redirect),
   * the form to post; `redirectUrl` is then Till's page that posts it.
   */
  form?: { url: string; fields: Record<string, string> } | null;
}

/** Where a payment's card went: the acquirer, the merchant's account there, and the acquirer's id for the charge. */
export interface ProcessorRoute {
  connector: string;
  /** The merchant's connector account (`ca_…`); null for the built-in sandbox. */
  accountId: string | null;
  /** The acquirer's id for the charge (a PaymentIntent id, a pspReference); null until it answers. */
  reference: string | null;
}

/** How one try at an acquirer ended. `technical_failure`: it did not decide (timeout, 5xx, …). */
export type ChargeAttemptStatus =
  'approved' | 'declined' | 'requires_action' | 'pending' | 'technical_failure';

/** One try at charging the card at one acquirer account; a failover makes a second. */
export interface ChargeAttempt {
  connector: string;
  accountId: string | null;
  reference: string | null;
  status: ChargeAttemptStatus;
  /** What went wrong, for a technical failure or a decline. */
  error: string | null;
  createdAt: Date;
  /**
   * For a technical failure: when reconciliation asked that acquirer whether it charged after all
   * (and released what it found). Null until then; never shown.
   */
  checkedAt?: Date | null;
}

export type RefundStatus = 'pending' | 'succeeded' | 'failed';

/** Money returned to the customer from a payment. */
export interface Refund {
  id: string;
  paymentId: string;
  amount: number;
  status: RefundStatus;
  reason: string | null;
  failureReason: string | null;
  createdAt: Date;
}

/** When the payment entered each status it went through (null: never). */
export interface StatusTransitions {
  requiresActionAt: Date | null;
  processingAt: Date | null;
  authorizedAt: Date | null;
  succeededAt: Date | null;
  failedAt: Date | null;
  canceledAt: Date | null;
  expiredAt: Date | null;
}

/**
 * A payment as every surface may show it: amounts in integer minor units, the masked card only.
 * Billing details and the customer are the merchant's documents, kept as the merchant sent them.
 */
export interface Payment {
  id: string;
  livemode: boolean;
  status: PaymentStatus;
  integrationType: 'DIRECT' | 'HOSTED_PAYMENT_PAGE';
  transactionType: TransactionType;
  amount: number;
  currency: string;
  amountRefunded: number;
  /** What was captured: the amount for PURCHASE, the captured part for a captured AUTHORIZE. */
  amountCaptured: number | null;
  merchantReference: string | null;
  description: string | null;
  /** The hosted page's language as the merchant asked for it (canonical BCP 47), or null. */
  locale: string | null;
  card: Card | null;
  billingDetails: BillingDetails | null;
  metadata: Record<string, unknown>;
  declineCode: string | null;
  declineMessage: string | null;
  nextAction: NextAction | null;
  returnUrl: string | null;
  /** The api dialect's fields, for payments created through it (null otherwise). */
  terminalId: string | null;
  sessionId: string | null;
  successUrl: string | null;
  cancelUrl: string | null;
  errorUrl: string | null;
  customer: Customer | null;
  /** Saved-card token (`tok_…`) when the customer asked to save the card and the terminal supports it. */
  cardToken: string | null;
  /** Oldest first. */
  refunds: Refund[];
  transitions: StatusTransitions;
  createdAt: Date;
  /** After this an unpaid payment expires. */
  expiresAt: Date;
  /** Increases by one with every change a merchant can see. */
  version: number;
  /** The acquirer that holds the charge, once the card was sent to one. */
  processorRoute: ProcessorRoute | null;
  /** Every try at an acquirer, oldest first. */
  chargeAttempts: ChargeAttempt[];
}

/** A capture or void the processor has been asked for and Till has not yet recorded. */
export interface PendingOperation {
  kind: 'capture' | 'void';
  amount: number | null;
  key: string;
  /** Unix seconds. */
  requestedAt: number;
}

/** A payment with what only Till itself reads: whose it is, and its processor's references. */
export interface PaymentRecord extends Payment {
  merchantId: string;
  country: string | null;
  /** The customer asked to save the card. */
  tokenization: boolean;
  /** Hash of the hosted session URL's token (the api dialect's), or null. */
  sessionTokenHash: string | null;
  processorChargeKey: string | null;
  attempts: number;
  pendingOperation: PendingOperation | null;
  /** When an uncaptured authorization is released. */
  authorizationExpiresAt: Date | null;
  /** A PROCESSING payment is not asked about at its acquirer again before this (reconciliation back-off). */
  reconcileAfter: Date | null;
}

/** Money of a payment already refunded or being refunded. */
export function amountReserved(payment: Pick<Payment, 'refunds'>): number {
  return payment.refunds.filter((r) => r.status !== 'failed').reduce((sum, r) => sum + r.amount, 0);
}

/** Money that can still be refunded: what was captured less refunds made or under way. */
export function amountRefundable(payment: Payment): number {
  if (payment.status !== 'SUCCEEDED') return 0;
  return (payment.amountCaptured ?? payment.amount) - amountReserved(payment);
}

/** The hosted page of a payment (the v1 rules' checkout URL). */
export function hostedPaymentUrl(publicUrl: string, paymentId: string): string {
  return `${publicUrl}/hpp/${paymentId}`;
}

/** The time a status change stamps: the status it entered, at that moment. */
const STAMP: Record<EnteredStatus, keyof StatusTransitions> = {
  REQUIRES_ACTION: 'requiresActionAt',
  PROCESSING: 'processingAt',
  AUTHORIZED: 'authorizedAt',
  SUCCEEDED: 'succeededAt',
  FAILED: 'failedAt',
  CANCELED: 'canceledAt',
  EXPIRED: 'expiredAt',
};

/**
 * The payment after it enters `to` at `at`: the state machine allows it, the transition is stamped
 * and the version goes up by one. Throws InvalidState otherwise.
 */
export function transitioned<P extends Payment>(payment: P, to: EnteredStatus, at: Date): P {
  if (!canTransition(payment.status, to))
    throw new TillError(ErrorCode.InvalidState, `A ${payment.status} payment cannot become ${to}.`);
  return {
    ...payment,
    status: to,
    transitions: { ...payment.transitions, [STAMP[to]]: at },
    version: payment.version + 1,
  };
}
