import type { CardInput, Simulation } from './processor.js';

/** The acquirers Till can route a card payment to. The sandbox is one of them (test mode only). */
export const CONNECTOR_KINDS = ['sandbox', 'stripe', 'adyen'] as const;
export type ConnectorKind = (typeof CONNECTOR_KINDS)[number];

/** One merchant's account at an acquirer, with its credentials opened (in memory only). */
export interface ConnectorAccount {
  id: string;
  merchantId: string;
  connector: ConnectorKind;
  livemode: boolean;
  /** The vendor's credentials by name (stripe: secret_key, webhook_secret; adyen: api_key, merchant_account, hmac_key, live_url_prefix). */
  credentials: Record<string, string>;
  /** Overrides the vendor's base URL (a proxy, or a local fake in tests); null = the vendor's own. */
  apiBase: string | null;
}

/** Where a 3-D Secure (or other) redirect sends the customer's browser. */
export interface RedirectAction {
  url: string;
  method: 'GET' | 'POST';
  /** Form fields to post, for method POST. */
  data?: Record<string, string>;
}

export interface AuthorizeRequest {
  /**
   * Derived from Till's charge claim: the acquirer answers a repeat of the same key with the first
   * answer and never charges twice.
   */
  idempotencyKey: string;
  /** Till's payment id: sent to the acquirer as the merchant reference / metadata. */
  paymentId: string;
  amount: number;
  currency: string;
  /** false = authorize only (AUTHORIZE payments, captured later). */
  capture: boolean;
  /** The number and CVC travel to the acquirer in this call and are kept nowhere. */
  card: CardInput;
  /** Till's URL the customer's browser returns to after a redirect (3-D Secure). */
  returnUrl: string;
  description: string | null;
  /** Test-mode behaviour overrides; only the sandbox reads them. */
  simulation: Simulation;
  /** Keep the card for later use (the sandbox returns a token). */
  tokenize: boolean;
  /** The customer's address and browser, which acquirers use for 3-D Secure and risk checks. */
  shopper: { ip: string | null; userAgent: string | null; acceptHeader: string | null };
}

/** The charge a later step belongs to, for acquirers that charge only after 3-D Secure (the sandbox). */
export type ChargeContext = Pick<
  AuthorizeRequest,
  'amount' | 'currency' | 'capture' | 'simulation' | 'tokenize'
>;

/** An acquirer's answer about a charge. `reference` is its id (PaymentIntent id, pspReference). */
export type AuthorizeOutcome =
  | {
      status: 'approved';
      reference: string;
      /** true when the funds were captured with the authorization. */
      captured: boolean;
      approvalCode: string | null;
      cardToken?: string | null;
    }
  | {
      status: 'declined';
      reference: string | null;
      /** Till's decline code (card_declined, insufficient_funds, expired_card, incorrect_cvc, processing_error, authentication_failed, …). */
      code: string;
      message: string;
      /** The acquirer's own reason (Stripe decline_code, Adyen refusalReason), for the merchant. */
      acquirerCode: string | null;
    }
  | { status: 'action'; reference: string; action: RedirectAction }
  /** Accepted but undecided (the outcome arrives by webhook, or reconciliation asks later). */
  | { status: 'pending'; reference: string | null };

/** Capture, cancel and refund answers. Some acquirers only acknowledge (`pending`) and confirm by webhook. */
export type OperationOutcome =
  | { status: 'succeeded' | 'pending'; reference: string | null }
  | { status: 'failed'; reference: string | null; message: string };

/**
 * A technical failure: the acquirer could not be reached or did not decide (timeout, connection
 * error, 5xx, rate limit). Never a decline. Till may retry the charge on the next account.
 */
export class ConnectorUnavailable extends Error {
  constructor(
    message: string,
    readonly reason: 'timeout' | 'connection' | 'server_error' | 'rate_limited' | 'api_error',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ConnectorUnavailable';
  }
}

/** An inbound webhook whose signature did not verify: refused, nothing changes. */
export class InvalidNotification extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidNotification';
  }
}

/** What an acquirer's webhook says happened, in Till's words. */
export type ConnectorNotification =
  | {
      kind: 'authorization';
      /** Till's payment id, when the acquirer echoes it (metadata / merchantReference). */
      paymentId: string | null;
      reference: string;
      outcome:
        | { status: 'approved'; captured: boolean }
        | { status: 'declined'; code: string; message: string; acquirerCode: string | null };
    }
  | { kind: 'capture' | 'cancel'; paymentId: string | null; reference: string; success: boolean }
  | {
      kind: 'refund';
      paymentId: string | null;
      /** The charge's reference. */
      reference: string;
      /** Till's refund id, when the acquirer echoes it. */
      refundId: string | null;
      success: boolean;
      message: string | null;
    };

/** The customer's return from a redirect: the acquirer's parameters and the charge it belongs to. */
export interface CompleteActionRequest {
  reference: string;
  paymentId: string;
  idempotencyKey: string;
  params: Record<string, string>;
  charge: ChargeContext;
}

/** Capture `amount` of an authorization (the rest is released). */
export interface CaptureRequest {
  idempotencyKey: string;
  reference: string;
  amount: number;
  currency: string;
  paymentId: string;
}

/** Release an authorization. */
export interface CancelRequest {
  idempotencyKey: string;
  reference: string;
  paymentId: string;
}

/** Return `amount` of a captured charge; `refundId` is Till's, echoed back in the acquirer's webhooks. */
export interface RefundRequest extends CaptureRequest {
  refundId: string;
}

/** Ask about a charge: by its reference, or by Till's payment id when the answer was lost. */
export interface LookupRequest {
  reference: string | null;
  paymentId: string;
  idempotencyKey: string;
  charge: ChargeContext;
}

/**
 * One acquirer, bound to one connector account. Every call that moves money carries an idempotency
 * key; a repeat answers like the first call.
 */
export interface Connector {
  readonly kind: ConnectorKind;
  readonly accountId: string;
  /**
   * For acquirers that authenticate the cardholder before they take the charge (a separate 3-D
   * Secure step, as the sandbox's issuer does): the authentication the card needs, or null when it
   * needs none. The payment then goes straight to REQUIRES_ACTION, and the charge happens on return.
   */
  authenticate?(request: AuthorizeRequest): Promise<{ reference: string; action: RedirectAction } | null>;
  authorize(request: AuthorizeRequest): Promise<AuthorizeOutcome>;
  /** The customer came back from a redirect with these parameters (query or form). */
  completeAction(request: CompleteActionRequest): Promise<AuthorizeOutcome>;
  capture(request: CaptureRequest): Promise<OperationOutcome>;
  cancel(request: CancelRequest): Promise<OperationOutcome>;
  refund(request: RefundRequest): Promise<OperationOutcome>;
  /**
   * The acquirer's current view of a charge (reconciliation), by its reference or, when the answer
   * was lost before Till saw it, by Till's payment id. null when the acquirer cannot be asked
   * (it reports by webhook only) or knows nothing of it.
   */
  lookup(request: LookupRequest): Promise<AuthorizeOutcome | null>;
  /** Verifies an inbound webhook's signature and reads it; throws InvalidNotification. */
  parseNotification(
    rawBody: string,
    headers: Record<string, string | string[] | undefined>,
  ): ConnectorNotification[];
}

/** How Till talks to every acquirer. */
export interface ConnectorOptions {
  /** A call that has not answered in this time is abandoned as a technical failure (timeout). */
  timeoutMs: number;
}
