import { detectBrand, digitsOnly } from '../domain/card.js';
import type { PaymentRepository } from '../db/repositories/payments.js';
import { ErrorCode, TillError } from '../domain/errors.js';
import type { ChargeAttempt, PaymentRecord, ProcessorRoute } from '../domain/payment.js';
import {
  SIMULATED_FLOWS,
  RESPONSE_CODES,
  type ResponseCode,
  type SimulatedFlow,
} from '../domain/simulation.js';
import {
  ConnectorUnavailable,
  type AuthorizeOutcome,
  type AuthorizeRequest,
  type ChargeContext,
  type Connector,
  type ConnectorAccount,
} from '../processors/connector.js';
import { DECLINE_MESSAGES, type CardInput, type Simulation } from '../processors/processor.js';
import { REPORTS_BY_WEBHOOK_ONLY, type ConnectorRegistry } from '../processors/registry.js';
import type { CheckoutGuard } from './checkout-guard.js';
import type { ConnectorAccountService } from './connector-accounts.js';
import { liveUnavailableMessage, type PaymentPatch, type PaymentService } from './payments.js';

export interface ChargingOptions {
  publicUrl: string;
  /** How long an authorization may wait for its capture before it is released (EXPIRED). */
  authorizationTtlMs: number;
  /** A PROCESSING payment this old is asked about at its acquirer. */
  reconcileAfterMs: number;
}

/** The longest reconciliation waits before asking again about a payment its acquirer has not decided. */
const RECONCILE_BACKOFF_MAX_MS = 3600_000;

/** Accounts a charge may be tried at: the first, and once more on the next after a technical failure. */
const MAX_ACCOUNTS_PER_CHARGE = 2;

interface Logger {
  warn(object: object, message: string): void;
}

/** The shopper details acquirers use for 3-D Secure and risk checks. */
export type Shopper = AuthorizeRequest['shopper'];

/**
 * The conversation with acquirers about a payment's charge: routing the card to the merchant's
 * accounts with failover, 3-D Secure returns, and reconciliation of charges left undecided. Money
 * moves only through a Connector, each call under an idempotency key derived from Till's claim on
 * the payment (`<payment>:<claim>:<account>`), so a repeat never charges twice.
 */
export class ChargeService {
  constructor(
    private readonly payments: PaymentService,
    private readonly repository: PaymentRepository,
    private readonly accounts: ConnectorAccountService,
    private readonly connectors: ConnectorRegistry,
    private readonly guard: CheckoutGuard,
    private readonly options: ChargingOptions,
    private readonly log: Logger,
  ) {}

  /**
   * Sends the card to the payment's acquirers: claims the payment (PENDING → PROCESSING), tries
   * the first account and, on a technical failure (timeout, connection error, 5xx, rate limit —
   * never a decline), the next one once. Records every attempt and the outcome.
   */
  async charge(payment: PaymentRecord, card: CardInput, shopper: Shopper): Promise<PaymentRecord> {
    const candidates = (await this.accounts.route(payment)).slice(0, MAX_ACCOUNTS_PER_CHARGE);
    if (candidates.length === 0)
      throw payment.livemode
        ? new TillError(ErrorCode.LiveModeUnavailable, liveUnavailableMessage(payment.merchantId))
        : new TillError(
            ErrorCode.InvalidState,
            `No connector account of this merchant takes ${payment.currency} test payments.`,
            'currency',
          );
    const claim = payment.attempts + 1;
    const keyAt = (account: ConnectorAccount) => chargeKey(payment.id, claim, account);
    const attempts: ChargeAttempt[] = [...payment.chargeAttempts];
    const requestAt = (account: ConnectorAccount): AuthorizeRequest => ({
      idempotencyKey: keyAt(account),
      paymentId: payment.id,
      amount: payment.amount,
      currency: payment.currency,
      capture: payment.transactionType !== 'AUTHORIZE',
      card: { ...card, number: digitsOnly(card.number) },
      returnUrl: `${this.options.publicUrl}/hpp/return/${payment.id}`,
      description: payment.description,
      simulation: simulationOf(payment),
      tokenize: payment.tokenization,
      shopper,
    });
    const first = candidates[0]!;
    // A connector that cannot be built fails its attempt below, like any technical failure.
    const firstConnector = await this.connectors.for(first).catch(() => null);
    const authentication = await firstConnector?.authenticate?.(requestAt(first));
    if (authentication) {
      // Authentication before the charge: PENDING → REQUIRES_ACTION; a double submission loses here.
      const action = authentication.action;
      attempts.push({
        ...attemptOf(first, { status: 'action', reference: authentication.reference, action }),
      });
      return this.payments.advance(payment.id, ['PENDING'], 'REQUIRES_ACTION', {
        card: maskedCard(card),
        attempts: claim,
        processorRoute: routeOf(first, authentication.reference),
        processorChargeKey: null,
        chargeAttempts: attempts,
        nextAction: { redirectUrl: action.url, form: null },
      });
    }
    // The claim: a double submission loses here, before any acquirer is asked to charge.
    await this.payments.advance(payment.id, ['PENDING'], 'PROCESSING', {
      card: maskedCard(card),
      attempts: claim,
      processorRoute: routeOf(first, null),
      processorChargeKey: keyAt(first),
    });
    for (const [i, account] of candidates.entries()) {
      if (i > 0)
        await this.payments.annotate(payment.id, ['PROCESSING'], {
          processorRoute: routeOf(account, null),
          processorChargeKey: keyAt(account),
          chargeAttempts: attempts,
        });
      let outcome: AuthorizeOutcome;
      try {
        outcome = await this.authorizeOnce(await this.connectors.for(account), requestAt(account));
      } catch (error) {
        attempts.push({
          connector: account.connector,
          accountId: routeOf(account, null).accountId,
          reference: null,
          status: 'technical_failure',
          error: describeFailure(error),
          createdAt: new Date(),
        });
        this.log.warn(
          {
            paymentId: payment.id,
            connector: account.connector,
            accountId: account.id,
            reason: describeFailure(error),
          },
          'acquirer did not decide a charge',
        );
        continue;
      }
      // Outside the try: a failure to record an answer is Till's, never a reason to charge elsewhere.
      attempts.push(attemptOf(account, outcome));
      return this.record(payment.id, account, outcome, attempts);
    }
    // No acquirer decided. The payment fails; the stray-charge sweep later asks each account tried
    // whether it charged after all, and releases what it finds.
    return this.settle(payment.id, {
      to: 'FAILED',
      patch: {
        declineCode: 'processing_error',
        declineMessage: DECLINE_MESSAGES.processing_error!,
        chargeAttempts: attempts,
      },
    });
  }

  /**
   * The customer is back from a redirect (3-D Secure): claims the payment (REQUIRES_ACTION →
   * PROCESSING) and asks its acquirer for the outcome. A technical failure leaves it PROCESSING for
   * reconciliation: the card is gone, so there is no failover after authentication.
   */
  async completeAction(paymentId: string, params: Record<string, string>): Promise<PaymentRecord> {
    const payment = await this.payments.findForCheckout({ id: paymentId });
    if (!payment) throw new TillError(ErrorCode.NotFound, 'This payment link is not valid.', 'payment');
    if (payment.status !== 'REQUIRES_ACTION' || !payment.processorRoute?.reference) return payment;
    const account = await this.accounts.open(payment.processorRoute.accountId, payment.merchantId);
    if (!account) return payment;
    const key = `${chargeKey(payment.id, payment.attempts, account)}:return`;
    try {
      await this.payments.advance(payment.id, ['REQUIRES_ACTION'], 'PROCESSING', {
        nextAction: null,
        processorChargeKey: key,
      });
    } catch (error) {
      if (isInvalidState(error)) return (await this.payments.findForCheckout({ id: paymentId }))!;
      throw error;
    }
    const attempts = [...payment.chargeAttempts];
    try {
      const outcome = await (
        await this.connectors.for(account)
      ).completeAction({
        reference: payment.processorRoute.reference,
        paymentId: payment.id,
        idempotencyKey: key,
        params,
        charge: contextOf(payment),
      });
      attempts.push(attemptOf(account, outcome));
      return await this.record(payment.id, account, outcome, attempts);
    } catch (error) {
      this.log.warn(
        { paymentId, connector: account.connector, reason: describeFailure(error) },
        'acquirer did not answer after the customer returned; reconciliation will ask again',
      );
      return (await this.payments.findForCheckout({ id: paymentId }))!;
    }
  }

  /**
   * Asks the acquirer about payments left PROCESSING for the configured time (a crash or a lost
   * answer) and records what it says. One the acquirer never received fails; one it is still
   * deciding, or whose acquirer reports only by webhook, waits.
   */
  async reconcile(olderThanMs = this.options.reconcileAfterMs): Promise<number> {
    const stuck = await this.payments.stuckProcessing(olderThanMs);
    let settled = 0;
    for (const payment of stuck) {
      const route = payment.processorRoute;
      const account = route ? await this.accounts.open(route.accountId, payment.merchantId) : null;
      if (!route || !account || !payment.processorChargeKey) continue;
      const outcome = await (
        await this.connectors.for(account)
      )
        .lookup({
          reference: route.reference,
          paymentId: payment.id,
          idempotencyKey: payment.processorChargeKey,
          charge: contextOf(payment),
        })
        .catch((error: unknown) => {
          this.log.warn(
            { paymentId: payment.id, reason: describeFailure(error) },
            'reconciliation lookup failed',
          );
          return undefined;
        });
      const undecided =
        outcome === undefined ||
        outcome?.status === 'pending' ||
        (outcome === null && REPORTS_BY_WEBHOOK_ONLY.includes(account.connector));
      if (undecided) {
        await this.later(payment);
        continue;
      }
      if (outcome === null)
        await this.settle(payment.id, {
          to: 'FAILED',
          patch: {
            declineCode: 'processing_error',
            declineMessage: DECLINE_MESSAGES.processing_error!,
          },
        });
      else
        await this.record(payment.id, account, outcome!, [
          ...payment.chargeAttempts,
          attemptOf(account, outcome!),
        ]);
      settled += 1;
    }
    return settled;
  }

  /**
   * Puts off asking about an undecided payment again: the longer it has been undecided, the longer
   * the wait (up to an hour), so a few slow ones neither hammer the acquirer nor hold up the rest.
   */
  private async later(payment: PaymentRecord): Promise<void> {
    const age = Date.now() - (payment.transitions.processingAt?.getTime() ?? Date.now());
    const wait = Math.min(RECONCILE_BACKOFF_MAX_MS, Math.max(this.options.reconcileAfterMs, age, 1000));
    await this.payments
      .annotate(payment.id, ['PROCESSING'], { reconcileAfter: new Date(Date.now() + wait) })
      .catch(() => undefined); // settled meanwhile
  }

  /** The connector that holds a payment's charge. */
  async connectorFor(payment: PaymentRecord): Promise<Connector> {
    const route = payment.processorRoute;
    const account = route ? await this.accounts.open(route.accountId, payment.merchantId) : null;
    if (!account)
      throw new TillError(ErrorCode.InvalidState, 'This payment was never sent to an acquirer.', 'id');
    return this.connectors.for(account);
  }

  /**
   * Records an acquirer's answer on a PROCESSING payment. Another path (a webhook, reconciliation,
   * a concurrent return) may have recorded it first: the payment is then returned as it is.
   */
  async record(
    paymentId: string,
    account: ConnectorAccount,
    outcome: AuthorizeOutcome,
    attempts: ChargeAttempt[],
  ): Promise<PaymentRecord> {
    const payment = (await this.payments.findForCheckout({ id: paymentId }))!;
    const route = routeOf(account, outcome.reference ?? payment.processorRoute?.reference ?? null);
    switch (outcome.status) {
      case 'approved': {
        const authorizeOnly = payment.transactionType === 'AUTHORIZE';
        if (outcome.cardToken)
          await this.repository.saveCardToken({ ...payment, processorRoute: route }, outcome.cardToken);
        return this.settle(paymentId, {
          to: authorizeOnly ? 'AUTHORIZED' : 'SUCCEEDED',
          patch: {
            processorRoute: route,
            chargeAttempts: attempts,
            cardToken: outcome.cardToken ?? null,
            amountCaptured: authorizeOnly ? null : payment.amount,
            authorizationExpiresAt: authorizeOnly
              ? new Date(Date.now() + this.options.authorizationTtlMs)
              : null,
          },
        });
      }
      case 'declined':
        await this.guard.declined(payment.merchantId);
        return this.settle(paymentId, {
          to: 'FAILED',
          patch: {
            processorRoute: route,
            chargeAttempts: attempts,
            declineCode: outcome.code,
            declineMessage: outcome.message,
          },
        });
      case 'action':
        return this.settle(paymentId, {
          to: 'REQUIRES_ACTION',
          patch: {
            processorRoute: route,
            chargeAttempts: attempts,
            nextAction:
              outcome.action.method === 'GET'
                ? { redirectUrl: outcome.action.url, form: null }
                : {
                    // A form post cannot be a link: Till's own page posts it.
                    redirectUrl: `${this.options.publicUrl}/hpp/action/${paymentId}`,
                    form: { url: outcome.action.url, fields: outcome.action.data ?? {} },
                  },
          },
        });
      case 'pending':
        return this.payments
          .annotate(paymentId, ['PROCESSING'], { processorRoute: route, chargeAttempts: attempts })
          .catch(async (error: unknown) => {
            if (isInvalidState(error)) return (await this.payments.findForCheckout({ id: paymentId }))!;
            throw error;
          });
    }
  }

  private async settle(
    paymentId: string,
    change: { to: 'SUCCEEDED' | 'AUTHORIZED' | 'FAILED' | 'REQUIRES_ACTION'; patch: PaymentPatch },
  ): Promise<PaymentRecord> {
    try {
      return await this.payments.advance(paymentId, ['PROCESSING'], change.to, change.patch);
    } catch (error) {
      if (isInvalidState(error)) return (await this.payments.findForCheckout({ id: paymentId }))!;
      throw error;
    }
  }

  /**
   * One account's answer. A 5xx or rate limit may come after the acquirer charged: the same call
   * is repeated once under the same key, which answers with the first result if there was one.
   */
  private async authorizeOnce(connector: Connector, request: AuthorizeRequest): Promise<AuthorizeOutcome> {
    try {
      return await connector.authorize(request);
    } catch (error) {
      if (
        error instanceof ConnectorUnavailable &&
        (error.reason === 'server_error' || error.reason === 'rate_limited')
      )
        return connector.authorize(request);
      throw error;
    }
  }
}

function routeOf(account: ConnectorAccount, reference: string | null): ProcessorRoute {
  // The built-in sandbox is nobody's account.
  return { connector: account.connector, accountId: account.id === 'sandbox' ? null : account.id, reference };
}

/**
 * The idempotency key of a charge: the payment, Till's claim on it (one per card submission) and the
 * account, so a repeat at the same account never charges twice and a failover is a new charge.
 */
export function chargeKey(paymentId: string, claim: number, account: Pick<ConnectorAccount, 'id'>): string {
  return `${paymentId}:${claim}:${account.id}`;
}

/** The attempt an acquirer's answer (synchronous, or by webhook) records. */
export function attemptOf(account: ConnectorAccount, outcome: AuthorizeOutcome): ChargeAttempt {
  return {
    connector: account.connector,
    accountId: routeOf(account, null).accountId,
    reference: outcome.reference,
    status:
      outcome.status === 'action'
        ? 'requires_action'
        : outcome.status === 'approved'
          ? 'approved'
          : outcome.status,
    error: outcome.status === 'declined' ? outcome.code : null,
    createdAt: new Date(),
  };
}

/** What an attempt records of a failure: its kind, never the acquirer's raw text (it may echo input). */
function describeFailure(error: unknown): string {
  if (error instanceof ConnectorUnavailable) return error.reason;
  return 'acquirer_error';
}

function isInvalidState(error: unknown): boolean {
  return error instanceof TillError && error.code === ErrorCode.InvalidState;
}

function maskedCard(card: CardInput) {
  const digits = digitsOnly(card.number);
  return {
    brand: detectBrand(digits),
    last4: digits.slice(-4),
    expMonth: card.expMonth,
    expYear: card.expYear,
    country: null,
  };
}

/** The charge a payment asks of its acquirer, for the steps after the first call. */
export function contextOf(payment: PaymentRecord): ChargeContext {
  return {
    amount: payment.amount,
    currency: payment.currency,
    capture: payment.transactionType !== 'AUTHORIZE',
    simulation: simulationOf(payment),
    tokenize: payment.tokenization,
  };
}

/** Test-mode simulation from the payment's metadata; ignored in live mode. */
function simulationOf(p: PaymentRecord): Simulation {
  if (p.livemode) return {};
  const m = p.metadata ?? {};
  const str = (k: string) => (typeof m[k] === 'string' ? (m[k] as string) : undefined);
  const flow = str('simulated_flow');
  const code = str('response_code');
  return {
    flow: (SIMULATED_FLOWS as readonly string[]).includes(flow ?? '') ? (flow as SimulatedFlow) : undefined,
    // Own keys only: v1 metadata is free text, and `toString` must not name an outcome.
    responseCode: code && Object.hasOwn(RESPONSE_CODES, code) ? (code as ResponseCode) : undefined,
    providerMessage: str('payment_provider_response_message'),
    providerCode: str('payment_provider_response_code'),
    approvalCode: str('approval_code'),
  };
}
