import Stripe from 'stripe';
import {
  ConnectorUnavailable,
  InvalidNotification,
  type AuthorizeOutcome,
  type AuthorizeRequest,
  type Connector,
  type ConnectorAccount,
  type ConnectorNotification,
  type ConnectorOptions,
  type OperationOutcome,
  type CancelRequest,
  type CaptureRequest,
  type CompleteActionRequest,
  type LookupRequest,
  type RefundRequest,
} from './connector.js';
import { notificationsOf } from './stripe/notifications.js';
import { declined, outcomeOf, refundOutcome } from './stripe/outcomes.js';

/** The API version this library release was generated for: requests and answers are read in its shapes. */
const API_VERSION = Stripe.API_VERSION;

/**
 * The card fields a PaymentIntent accepts as raw card data. Stripe's typings leave them out (raw
 * card numbers need an account permission), so the create parameters are widened by this much.
 */
type RawCardParams = { number: string; exp_month: number; exp_year: number; cvc: string };
type CreateParams = Stripe.PaymentIntentCreateParams & {
  payment_method_data: Stripe.PaymentIntentCreateParams.PaymentMethodData & { card: RawCardParams };
};

/**
 * Card payments through Stripe PaymentIntents, one connector per Stripe account. Stripe itself
 * decides idempotency (every call that moves money carries Till's key), and Till decides what to
 * retry: the client never retries on its own.
 */
export class StripeConnector implements Connector {
  readonly kind = 'stripe' as const;
  readonly accountId: string;
  private readonly stripe: Stripe;
  /** null until the account's webhook endpoint exists at Stripe: its webhooks are refused until then. */
  private readonly webhookSecret: string | null;
  private readonly secretKey: string;

  constructor(account: ConnectorAccount, options: ConnectorOptions) {
    const secretKey = account.credentials.secret_key;
    const webhookSecret = account.credentials.webhook_secret ?? null;
    if (!secretKey) throw new Error(`Stripe account ${account.id} has no secret_key`);
    this.accountId = account.id;
    this.secretKey = secretKey;
    this.webhookSecret = webhookSecret;
    this.stripe = new Stripe(secretKey, {
      apiVersion: API_VERSION,
      timeout: options.timeoutMs,
      maxNetworkRetries: 0,
      appInfo: { name: 'Till' },
      telemetry: false,
      ...apiBaseConfig(account.apiBase),
    });
  }

  async authorize(request: AuthorizeRequest): Promise<AuthorizeOutcome> {
    const { card } = request;
    const params: CreateParams = {
      amount: request.amount,
      currency: request.currency.toLowerCase(),
      capture_method: request.capture ? 'automatic' : 'manual',
      confirm: true,
      payment_method_data: {
        type: 'card',
        card: { number: card.number, exp_month: card.expMonth, exp_year: card.expYear, cvc: card.cvc },
        billing_details: { name: card.name },
      },
      // The pinned API version names the card-only restriction `allowed_payment_method_types`
      // (earlier versions called it `payment_method_types`, now only the answer's field).
      allowed_payment_method_types: ['card'],
      return_url: request.returnUrl,
      ...(request.description === null ? {} : { description: request.description }),
      metadata: { till_payment_id: request.paymentId },
    };
    try {
      const intent = await this.stripe.paymentIntents.create(params, {
        idempotencyKey: request.idempotencyKey,
      });
      return outcomeOf(intent);
    } catch (error) {
      return this.declineOrThrow(error, 'create a PaymentIntent');
    }
  }

  async completeAction(
    request: Pick<CompleteActionRequest, 'reference' | 'paymentId' | 'idempotencyKey' | 'params'>,
  ): Promise<AuthorizeOutcome> {
    // Stripe sends the browser back with the PaymentIntent's id; another one means a mixed-up return.
    const returned = request.params.payment_intent;
    if (returned !== undefined && returned !== request.reference) {
      throw new Error(`Stripe returned the customer for PaymentIntent ${returned}, not ${request.reference}`);
    }
    // The PaymentIntent's state after 3-D Secure is the answer; nothing is confirmed again.
    try {
      return outcomeOf(await this.stripe.paymentIntents.retrieve(request.reference));
    } catch (error) {
      return this.declineOrThrow(error, 'retrieve a PaymentIntent');
    }
  }

  async capture(request: CaptureRequest): Promise<OperationOutcome> {
    try {
      const intent = await this.stripe.paymentIntents.capture(
        request.reference,
        { amount_to_capture: request.amount },
        { idempotencyKey: request.idempotencyKey },
      );
      if (intent.status === 'succeeded') return { status: 'succeeded', reference: intent.id };
      if (intent.status === 'processing') return { status: 'pending', reference: intent.id };
      return { status: 'failed', reference: intent.id, message: `The PaymentIntent is ${intent.status}` };
    } catch (error) {
      return this.failedOrThrow(error, request.reference, 'capture a PaymentIntent');
    }
  }

  async cancel(request: CancelRequest): Promise<OperationOutcome> {
    try {
      const intent = await this.stripe.paymentIntents.cancel(
        request.reference,
        {},
        { idempotencyKey: request.idempotencyKey },
      );
      if (intent.status === 'canceled') return { status: 'succeeded', reference: intent.id };
      return { status: 'failed', reference: intent.id, message: `The PaymentIntent is ${intent.status}` };
    } catch (error) {
      return this.failedOrThrow(error, request.reference, 'cancel a PaymentIntent');
    }
  }

  async refund(request: RefundRequest): Promise<OperationOutcome> {
    try {
      const refund = await this.stripe.refunds.create(
        {
          payment_intent: request.reference,
          amount: request.amount,
          metadata: { till_refund_id: request.refundId, till_payment_id: request.paymentId },
        },
        { idempotencyKey: request.idempotencyKey },
      );
      return refundOutcome(refund);
    } catch (error) {
      return this.failedOrThrow(error, null, 'create a refund');
    }
  }

  async lookup(request: Pick<LookupRequest, 'reference' | 'paymentId'>): Promise<AuthorizeOutcome | null> {
    try {
      if (request.reference !== null) {
        return outcomeOf(await this.stripe.paymentIntents.retrieve(request.reference));
      }
      const found = await this.stripe.paymentIntents.search({
        query: `metadata['till_payment_id']:'${searchQuoted(request.paymentId)}'`,
      });
      // Every attempt for one payment carries its id: the newest is the one that counts.
      const newest = [...found.data].sort((a, b) => b.created - a.created)[0];
      return newest ? outcomeOf(newest) : null;
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing')
        return null;
      return this.declineOrThrow(error, 'look up a PaymentIntent');
    }
  }

  parseNotification(
    rawBody: string,
    headers: Record<string, string | string[] | undefined>,
  ): ConnectorNotification[] {
    const header = headers['stripe-signature'];
    const signature = Array.isArray(header) ? header[0] : header;
    if (!signature) throw new InvalidNotification('The Stripe-Signature header is missing');
    if (!this.webhookSecret)
      throw new InvalidNotification('This account has no webhook_secret yet: add it to verify webhooks');
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(rawBody, signature, this.webhookSecret);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new InvalidNotification(`The Stripe webhook did not verify: ${reason}`);
    }
    return notificationsOf(event);
  }

  /** A card error is a decline; anything else Stripe answered is thrown as Till reads it. */
  private declineOrThrow(error: unknown, doing: string): AuthorizeOutcome {
    if (error instanceof Stripe.errors.StripeCardError) {
      return declined(
        error.code ?? null,
        error.decline_code ?? null,
        error.message,
        error.payment_intent?.id ?? null,
      );
    }
    throw this.translate(error, doing);
  }

  /**
   * Capture, cancel and refund: Stripe's refusal of the operation itself (amount too large, charge
   * already refunded, wrong state) is a failed operation; a mistake in the request is Till's bug.
   */
  private failedOrThrow(error: unknown, reference: string | null, doing: string): OperationOutcome {
    if (
      error instanceof Stripe.errors.StripeCardError ||
      (error instanceof Stripe.errors.StripeInvalidRequestError && !isRequestMistake(error))
    ) {
      return { status: 'failed', reference, message: this.redact(error.message) };
    }
    throw this.translate(error, doing);
  }

  /**
   * Technical failures (Stripe not reached, not answering in time, 5xx, rate limit) become
   * ConnectorUnavailable, which Till may retry elsewhere; refusals of the request itself (keys,
   * permissions, parameters, idempotency) are plain errors: another account would not help.
   */
  private translate(error: unknown, doing: string): Error {
    if (!(error instanceof Stripe.errors.StripeError))
      return error instanceof Error ? error : new Error(String(error));
    const message = `Stripe: could not ${doing}: ${this.redact(error.message)}`;
    if (error instanceof Stripe.errors.StripeConnectionError) {
      const timedOut = hasCode(error.detail, 'ETIMEDOUT');
      return new ConnectorUnavailable(message, timedOut ? 'timeout' : 'connection', { cause: error });
    }
    if (error instanceof Stripe.errors.StripeRateLimitError || error.statusCode === 429) {
      return new ConnectorUnavailable(message, 'rate_limited', { cause: error });
    }
    if (error instanceof Stripe.errors.StripeAPIError || (error.statusCode ?? 0) >= 500) {
      return new ConnectorUnavailable(message, 'server_error', { cause: error });
    }
    if (error.statusCode === undefined)
      return new ConnectorUnavailable(message, 'api_error', { cause: error });
    return new Error(`${message} (${error.type}${error.code ? `, ${error.code}` : ''})`);
  }

  /** Stripe masks keys in its messages; this makes sure none of ours is ever repeated whole. */
  private redact(text: string): string {
    return text
      .split(this.secretKey)
      .join('[secret]')
      .replace(/\b(sk|rk)_(test|live)_[A-Za-z0-9]+/g, '[secret]');
  }
}

/** `account.apiBase` replaces Stripe's protocol, host and port (a proxy, or a local fake). */
function apiBaseConfig(apiBase: string | null): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  if (apiBase === null) return {};
  const url = new URL(apiBase);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port || (protocol === 'http' ? 80 : 443), protocol };
}

/** Parameter errors (unknown, missing, malformed) and idempotency conflicts are Till's own bugs. */
function isRequestMistake(error: Stripe.errors.StripeError): boolean {
  return error instanceof Stripe.errors.StripeIdempotencyError || (error.code ?? '').startsWith('parameter_');
}

function hasCode(detail: unknown, code: string): boolean {
  return typeof detail === 'object' && detail !== null && (detail as { code?: unknown }).code === code;
}

/** A value inside a single-quoted Stripe search string. */
function searchQuoted(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}
