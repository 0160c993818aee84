import adyen from '@adyen/api-library';
import type { Types } from '@adyen/api-library';
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
  type RefundRequest,
} from './connector.js';
import { authorizeOutcome, type AdyenPaymentAnswer } from './adyen/outcomes.js';
import { parseAdyenNotification } from './adyen/notifications.js';
import { AdyenConnectionFailure, AdyenTimeout, AdyenTransport } from './adyen/transport.js';

const { CheckoutAPI, Client, Config, EnvironmentEnum, HttpClientException } = adyen;
type PaymentRequest = Types.checkout.PaymentRequest;
type PaymentsApi = InstanceType<typeof CheckoutAPI>['PaymentsApi'];
type ModificationsApi = InstanceType<typeof CheckoutAPI>['ModificationsApi'];

/**
 * The Checkout API version Till speaks. The library's services carry their own (newer) version in
 * their base URL; Till pins the one its requests are written and tested against.
 */
export const ADYEN_CHECKOUT_VERSION = 'v71';

/** How many authorizations' capture choice this process remembers for completeAction/webhooks. */
const CAPTURE_MEMORY = 10_000;

/**
 * Adyen (Checkout API) for one merchant account. Credentials: `api_key`, `merchant_account`,
 * `hmac_key` (webhooks), and `live_url_prefix` for live accounts.
 *
 * Card data travels unencrypted (`scheme` with number and CVC), which Adyen allows for PCI-compliant
 * merchants. Capture, cancel and refund are only acknowledged by Adyen (`received`): they are
 * `pending` here and confirmed by notification. Adyen's Checkout API has no "get payment", so
 * `lookup` cannot ask: every outcome Till missed arrives by notification.
 */
export class AdyenConnector implements Connector {
  readonly kind = 'adyen' as const;
  readonly accountId: string;
  private readonly payments: PaymentsApi;
  private readonly modifications: ModificationsApi;
  private readonly merchantAccount: string;
  private readonly hmacKey: string;
  /** pspReference → whether that authorization was asked to capture (in this process). */
  private readonly capturePlan = new Map<string, boolean>();

  constructor(
    private readonly account: ConnectorAccount,
    options: ConnectorOptions,
  ) {
    this.accountId = account.id;
    const { api_key: apiKey, merchant_account: merchantAccount, hmac_key: hmacKey } = account.credentials;
    if (!apiKey || !merchantAccount)
      throw new Error('Adyen account needs api_key and merchant_account credentials');
    const livePrefix = account.credentials.live_url_prefix;
    if (account.livemode && !livePrefix)
      throw new Error('A live Adyen account needs the live_url_prefix credential');
    this.merchantAccount = merchantAccount;
    this.hmacKey = hmacKey ?? '';

    const config = new Config({
      apiKey,
      environment: account.livemode ? EnvironmentEnum.LIVE : EnvironmentEnum.TEST,
      liveEndpointUrlPrefix: account.livemode ? livePrefix : undefined,
      connectionTimeoutMillis: options.timeoutMs,
      applicationName: 'till',
    });
    const client = new Client(config, new AdyenTransport());
    const checkout = new CheckoutAPI(client);
    this.payments = checkout.PaymentsApi;
    this.modifications = checkout.ModificationsApi;
    for (const service of [this.payments, this.modifications]) {
      // The services' base URL is private in the library's typings; it is a plain property.
      const holder = service as unknown as { baseUrl: string };
      holder.baseUrl = account.apiBase
        ? `${account.apiBase.replace(/\/+$/, '')}/${ADYEN_CHECKOUT_VERSION}`
        : holder.baseUrl.replace(/\/v\d+$/, `/${ADYEN_CHECKOUT_VERSION}`);
    }
  }

  async authorize(request: AuthorizeRequest): Promise<AuthorizeOutcome> {
    const { card } = request;
    const body = {
      amount: { value: request.amount, currency: request.currency.toUpperCase() },
      reference: request.paymentId,
      merchantAccount: this.merchantAccount,
      paymentMethod: {
        type: 'scheme',
        number: card.number,
        expiryMonth: String(card.expMonth).padStart(2, '0'),
        // Adyen wants the four-digit year.
        expiryYear: String(card.expYear < 100 ? 2000 + card.expYear : card.expYear),
        cvc: card.cvc,
        holderName: card.name,
      },
      returnUrl: request.returnUrl,
      // Capture with the authorization, or hold the funds until Till captures them.
      ...(request.capture ? { captureDelayHours: 0 } : { additionalData: { manualCapture: 'true' } }),
      shopperInteraction: 'Ecommerce',
      channel: 'Web',
      // The redirect flow: the issuer's page is a plain URL, no Adyen script on Till's page. Adyen's
      // browserInfo requires screen size, colour depth, time zone and more, which only native 3-D
      // Secure needs and Till does not collect, so it is not sent: the redirect page gathers it.
      authenticationData: { threeDSRequestData: { nativeThreeDS: 'disabled' } },
      ...(request.shopper.ip ? { shopperIP: request.shopper.ip } : {}),
    };
    const answer = await this.call('payments', () =>
      this.payments.payments(body as unknown as PaymentRequest, { idempotencyKey: request.idempotencyKey }),
    );
    const outcome = authorizeOutcome(answer as AdyenPaymentAnswer, request.capture);
    if (outcome.reference) this.remember(outcome.reference, request.capture);
    return outcome;
  }

  async completeAction(request: CompleteActionRequest): Promise<AuthorizeOutcome> {
    const { params } = request;
    let details: Record<string, string>;
    if (params.redirectResult) details = { redirectResult: params.redirectResult };
    else if (params.MD && params.PaRes) details = { MD: params.MD, PaRes: params.PaRes };
    else
      return authorizeOutcome(
        {
          resultCode: 'Refused',
          pspReference: request.reference,
          refusalReasonCode: '11',
          refusalReason: '3D Not Authenticated',
        },
        false,
      );
    const answer = await this.call('payments/details', () =>
      this.payments.paymentsDetails({ details }, { idempotencyKey: request.idempotencyKey }),
    );
    const reference = (answer as AdyenPaymentAnswer).pspReference ?? request.reference;
    return authorizeOutcome(
      { ...(answer as AdyenPaymentAnswer), pspReference: reference },
      request.charge.capture,
    );
  }

  async capture(request: CaptureRequest): Promise<OperationOutcome> {
    const answer = await this.call('captures', () =>
      this.modifications.captureAuthorisedPayment(
        request.reference,
        {
          amount: { value: request.amount, currency: request.currency.toUpperCase() },
          merchantAccount: this.merchantAccount,
          reference: request.paymentId,
        },
        { idempotencyKey: request.idempotencyKey },
      ),
    );
    return acknowledged(answer);
  }

  async cancel(request: CancelRequest): Promise<OperationOutcome> {
    const answer = await this.call('cancels', () =>
      this.modifications.cancelAuthorisedPaymentByPspReference(
        request.reference,
        { merchantAccount: this.merchantAccount, reference: request.paymentId },
        { idempotencyKey: request.idempotencyKey },
      ),
    );
    return acknowledged(answer);
  }

  async refund(request: RefundRequest): Promise<OperationOutcome> {
    const answer = await this.call('refunds', () =>
      this.modifications.refundCapturedPayment(
        request.reference,
        {
          amount: { value: request.amount, currency: request.currency.toUpperCase() },
          merchantAccount: this.merchantAccount,
          reference: request.refundId,
        },
        { idempotencyKey: request.idempotencyKey },
      ),
    );
    return acknowledged(answer);
  }

  /** Adyen's Checkout API cannot be asked about a payment: outcomes arrive by notification only. */
  async lookup(_request: { reference: string | null; paymentId: string }): Promise<AuthorizeOutcome | null> {
    return null;
  }

  parseNotification(
    rawBody: string,
    _headers: Record<string, string | string[] | undefined>,
  ): ConnectorNotification[] {
    if (!this.hmacKey)
      throw new InvalidNotification('The Adyen account has no hmac_key to verify notifications');
    return parseAdyenNotification(rawBody, {
      hmacKey: this.hmacKey,
      livemode: this.account.livemode,
      captureOf: (reference) => this.captureOf(reference),
    });
  }

  /**
   * Whether an authorization captured its funds, as far as this process knows (an AUTHORISATION
   * notification does not say). Till itself decides by the payment's transaction type.
   */
  private captureOf(reference: string): boolean {
    return this.capturePlan.get(reference) ?? true;
  }

  private remember(reference: string, capture: boolean): void {
    if (this.capturePlan.size >= CAPTURE_MEMORY) {
      const oldest = this.capturePlan.keys().next().value;
      if (oldest !== undefined) this.capturePlan.delete(oldest);
    }
    this.capturePlan.set(reference, capture);
  }

  /** One call to Adyen, its technical failures turned into ConnectorUnavailable. */
  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw translateError(operation, error);
    }
  }
}

function acknowledged(answer: { pspReference?: string; status?: string }): OperationOutcome {
  // Adyen only ever answers `received` here: the result comes by notification.
  return { status: 'pending', reference: answer.pspReference ?? null };
}

/**
 * Adyen's failures in Till's terms: no answer or a 5xx / 429 is a technical failure (the charge may
 * go to another account); a 4xx is a mistake in Till's request or credentials, a plain Error. The
 * message carries Adyen's error code and text, never the request.
 */
export function translateError(operation: string, error: unknown): Error {
  if (error instanceof AdyenTimeout)
    return new ConnectorUnavailable(`Adyen ${operation}: timed out`, 'timeout', { cause: error });
  if (error instanceof AdyenConnectionFailure) {
    return new ConnectorUnavailable(`Adyen ${operation}: ${error.message}`, 'connection', { cause: error });
  }
  if (error instanceof HttpClientException) {
    const status = error.statusCode;
    const api = error.apiError as { errorCode?: string; message?: string; errorType?: string } | undefined;
    const detail = api?.message
      ? `${api.message}${api.errorCode ? ` (${api.errorCode})` : ''}`
      : `HTTP ${status}`;
    if (status === 429)
      return new ConnectorUnavailable(`Adyen ${operation}: rate limited`, 'rate_limited', { cause: error });
    if (status >= 500)
      return new ConnectorUnavailable(`Adyen ${operation}: ${detail}`, 'server_error', { cause: error });
    if (status === 401 || status === 403) {
      return new Error(`Adyen ${operation}: the API key was refused (${status}): ${detail}`);
    }
    return new Error(`Adyen ${operation}: request refused (${status}): ${detail}`);
  }
  return new ConnectorUnavailable(`Adyen ${operation}: unexpected failure`, 'api_error', { cause: error });
}
