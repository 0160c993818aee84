import { timingSafeEqual } from 'node:crypto';
import type { Authenticator } from './authenticator.js';
import type { CheckoutGuard } from './checkout-guard.js';
import type { PaymentRepository } from '../db/repositories/payments.js';
import { ErrorCode, TillError } from '../domain/errors.js';
import { formatMoney } from '../domain/money.js';
import type { PaymentRecord as Payment } from '../domain/payment.js';
import type { PaymentStatus } from '../domain/payment-status.js';
import {
  RESPONSE_CODES,
  SIMULATED_FLOWS,
  type ResponseCode,
  type SimulatedFlow,
} from '../domain/simulation.js';
import { cardProblems, digitsOnly } from '../domain/card.js';
import {
  DECLINE_MESSAGES,
  type CardInput,
  type ChargeResult,
  type Processor,
  type Simulation,
} from '../processors/processor.js';
import { sessionTokenHash, type PaymentService } from './payments.js';

/** How the customer's browser addresses a checkout: the session id and the secret part of its URL. */
export interface CheckoutRef {
  sessionId: string;
  /** The token of `/hpp/payment/<token>/<session>`, or the payment id for `/hpp/<pay_id>`. */
  secret: string;
  /** The publishable key the page presents (window.InitData.client_key). */
  clientKey: string;
}

/** Seed 000's sentence for a link that cannot take a payment. */
export const UNAVAILABLE = 'This payment is currently unavailable. Please contact the merchant.';

export type CheckoutState =
  'open' | 'requires_action' | 'processing' | 'paid' | 'failed' | 'canceled' | 'expired' | 'unavailable';

/** Everything the page shows and needs; no secret beyond what the customer's URL already holds. */
export interface CheckoutView {
  state: CheckoutState;
  message: string | null;
  merchantName: string;
  amount: number;
  currency: string;
  amountFormatted: string;
  description: string | null;
  paymentId: string;
  sessionId: string;
  clientKey: string;
  livemode: boolean;
  /** Where the customer goes next, when the checkout is over (or to continue 3-D Secure). */
  redirectUrl: string | null;
  cancelUrl: string | null;
}

const STATE_OF: Record<PaymentStatus, CheckoutState> = {
  PENDING: 'open',
  REQUIRES_ACTION: 'requires_action',
  PROCESSING: 'processing',
  AUTHORIZED: 'paid',
  SUCCEEDED: 'paid',
  FAILED: 'failed',
  CANCELED: 'canceled',
  EXPIRED: 'expired',
};

export interface CheckoutOptions {
  /** How long an authorization may wait for its capture before it is released (EXPIRED). */
  authorizationTtlMs: number;
}

export const DEFAULT_CHECKOUT_OPTIONS: CheckoutOptions = { authorizationTtlMs: 7 * 24 * 3600 * 1000 };

/**
 * The customer's side of a payment: open the hosted session, submit a card, pass 3-D Secure,
 * cancel. Every status change goes through PaymentService; money moves only through the Processor,
 * by idempotency key, so a repeat after a crash never charges twice.
 */
export class CheckoutService {
  constructor(
    private readonly repository: PaymentRepository,
    private readonly payments: PaymentService,
    private readonly processor: Processor,
    private readonly auth: Authenticator,
    private readonly guard: CheckoutGuard,
    private readonly limits: CheckoutOptions = DEFAULT_CHECKOUT_OPTIONS,
  ) {}

  /**
   * Resolves a browser's checkout reference, or throws NotFound (never saying which part was
   * wrong). The secret is the one the payment was given out with: the URL token of
   * `/hpp/payment/<token>/<session>` for a payment that has one (the api dialect's), otherwise the
   * payment id of `/hpp/<pay_id>` (v1's `hosted_payment_url`). A payment with a token never opens by
   * its id: ids appear in lists, events and webhooks, so they are not secrets.
   */
  async resolve(ref: CheckoutRef): Promise<{ payment: Payment; clientKey: string; merchantName: string }> {
    const missing = () => new TillError(ErrorCode.NotFound, 'This payment link is not valid.', 'session');
    if (!/^[A-Za-z0-9]{20}$/.test(ref.sessionId) || typeof ref.secret !== 'string' || ref.secret.length > 100)
      throw missing();
    const payment = await this.payments.findForCheckout({ sessionId: ref.sessionId });
    if (!payment) throw missing();
    const given = Buffer.from(sessionTokenHash(ref.secret), 'hex');
    const expected = payment.sessionTokenHash ?? sessionTokenHash(payment.id);
    if (!timingSafeEqual(Buffer.from(expected, 'hex'), given)) throw missing();
    // Any live publishable key of the payment's merchant opens it: a page loaded before a key roll
    // keeps working through the roll's grace period, and a revoked key opens nothing.
    const holder = await this.auth.publishable(ref.clientKey);
    if (!holder || holder.merchantId !== payment.merchantId) throw missing();
    const merchant = await this.repository.merchantOf(payment);
    if (!merchant) throw missing();
    return { payment, clientKey: merchant.clientKey ?? ref.clientKey, merchantName: merchant.name };
  }

  /** The checkout reference behind one of the page's public URLs, or null when it names nothing. */
  async refForUrl(
    parts: { paymentId: string } | { token: string; sessionId: string },
  ): Promise<CheckoutRef | null> {
    const payment =
      'paymentId' in parts
        ? /^pay_[A-Za-z0-9]{24}$/.test(parts.paymentId)
          ? await this.payments.findForCheckout({ id: parts.paymentId })
          : null
        : /^[A-Za-z0-9]{20}$/.test(parts.sessionId)
          ? await this.payments.findForCheckout({ sessionId: parts.sessionId })
          : null;
    if (!payment?.sessionId) return null;
    const merchant = await this.repository.merchantOf(payment);
    if (!merchant?.clientKey) return null;
    const ref = {
      sessionId: payment.sessionId,
      secret: 'paymentId' in parts ? parts.paymentId : parts.token,
      clientKey: merchant.clientKey,
    };
    return (await this.resolve(ref).then(
      () => true,
      () => false,
    ))
      ? ref
      : null;
  }

  async merchantNameOf(merchantId: string): Promise<string | null> {
    return (await this.repository.merchantOf({ merchantId }))?.name ?? null;
  }

  /** The view of a payment reached without the browser's reference (the 3-D Secure page's end). */
  async viewOfPayment(payment: Payment): Promise<CheckoutView> {
    const merchant = await this.repository.merchantOf(payment);
    return this.viewFor(payment, merchant?.clientKey ?? '', merchant?.name ?? '');
  }

  async view(ref: CheckoutRef): Promise<CheckoutView> {
    const { payment, clientKey, merchantName } = await this.resolve(ref);
    return this.viewFor(payment, clientKey, merchantName);
  }

  private async viewFor(payment: Payment, clientKey: string, merchantName: string): Promise<CheckoutView> {
    let current = payment;
    if (current.status === 'PENDING' || current.status === 'REQUIRES_ACTION')
      current = await this.expireIfDue(current);
    const state = STATE_OF[current.status];
    const unavailable = state === 'open' && !(await this.acceptsCards(current));
    return {
      state: unavailable ? 'unavailable' : state,
      message: unavailable ? UNAVAILABLE : this.messageFor(current),
      merchantName,
      amount: current.amount,
      currency: current.currency,
      amountFormatted: formatMoney(current.amount, current.currency),
      description: current.description ?? null,
      paymentId: current.id,
      sessionId: current.sessionId!,
      clientKey,
      livemode: current.livemode,
      redirectUrl: this.redirectFor(current),
      cancelUrl: current.cancelUrl ?? current.returnUrl ?? null,
    };
  }

  private async acceptsCards(payment: Payment): Promise<boolean> {
    if (!payment.terminalId) return true; // seed 004 payments: card acquiring on the merchant's account
    const terminal = await this.repository.terminal(payment.merchantId, payment.terminalId);
    return (
      !!terminal && terminal.paymentMethods.includes('card') && terminal.currencies.includes(payment.currency)
    );
  }

  private async expireIfDue(payment: Payment): Promise<Payment> {
    if (payment.expiresAt.getTime() > Date.now()) return payment;
    return this.payments
      .advance(payment.id, ['PENDING', 'REQUIRES_ACTION'], 'EXPIRED')
      .catch(async () => (await this.payments.findForCheckout({ id: payment.id }))!);
  }

  private messageFor(p: Payment): string | null {
    switch (p.status) {
      case 'SUCCEEDED':
      case 'AUTHORIZED':
        return 'This payment has already been completed. Thank you.';
      case 'FAILED':
        return p.declineMessage ?? 'The payment was declined.';
      case 'CANCELED':
        return 'This payment was canceled.';
      case 'EXPIRED':
        return 'This payment link has expired. Please return to the merchant to try again.';
      case 'PROCESSING':
        return 'Your payment is being processed.';
      default:
        return null;
    }
  }

  /** Where the browser goes after the page: only URLs the merchant set at creation. */
  redirectFor(p: Payment): string | null {
    switch (p.status) {
      case 'SUCCEEDED':
      case 'AUTHORIZED':
        return p.successUrl ?? p.returnUrl ?? null;
      case 'FAILED':
        return p.errorUrl ?? p.returnUrl ?? null;
      case 'CANCELED':
      case 'EXPIRED':
        return p.cancelUrl ?? p.returnUrl ?? null;
      case 'REQUIRES_ACTION':
        return p.nextAction?.redirectUrl ?? null;
      default:
        return null;
    }
  }

  /** Test-mode simulation from seed 000's metadata; ignored in live mode. */
  private simulationOf(p: Payment): Simulation {
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

  /**
   * Submits the customer's card. Validates it, moves the payment to REQUIRES_ACTION (3-D Secure) or
   * PROCESSING → SUCCEEDED / AUTHORIZED / FAILED, and returns the page's next view.
   */
  async submitCard(ref: CheckoutRef, card: CardInput, client: string): Promise<CheckoutView> {
    const { payment } = await this.resolve(ref);
    await this.guard.admit(client, payment.sessionId!, payment.merchantId);
    const view = await this.view(ref);
    if (view.state !== 'open')
      throw new TillError(
        ErrorCode.InvalidState,
        view.message ?? 'This payment can no longer be paid.',
        'status',
      );
    const problems = cardProblems({ ...card, number: digitsOnly(card.number) });
    if (Object.keys(problems).length > 0) {
      await this.guard.invalidForm(payment.sessionId!);
      throw new TillError(
        ErrorCode.InvalidRequest,
        Object.values(problems)[0]!,
        Object.keys(problems)[0],
        Object.entries(problems).map(([field, message]) => ({ field, message })),
      );
    }
    if (payment.livemode)
      throw new TillError(
        ErrorCode.LiveModeUnavailable,
        'Live payments are not available: no live processor is configured.',
      );

    const simulation = this.simulationOf(payment);
    const prepared = await this.processor.prepareCard(card, simulation);
    const masked = {
      brand: prepared.brand,
      last4: prepared.last4,
      expMonth: prepared.expMonth,
      expYear: prepared.expYear,
      country: prepared.country,
    };
    const base = {
      card: masked,
      processor: this.processor.name,
      processorCardRef: prepared.ref,
      attempts: payment.attempts + 1,
    };
    if (prepared.authentication.length > 0) {
      // Claim the payment first (PENDING → REQUIRES_ACTION): a double submit loses here.
      const challenge = await this.processor.startChallenge(payment.id, prepared);
      await this.payments.advance(payment.id, ['PENDING'], 'REQUIRES_ACTION', {
        ...base,
        nextAction: { redirectUrl: challenge.url },
      });
      return this.view(ref);
    }
    await this.payments.advance(payment.id, ['PENDING'], 'PROCESSING', {
      ...base,
      processorChargeKey: `${payment.id}:${payment.attempts + 1}`,
    });
    await this.charge(payment.id, 'not_required');
    return this.view(ref);
  }

  /**
   * Charges a PROCESSING payment at the processor and records the outcome. Idempotent: calling it
   * again (after a crash, from the recovery worker) repeats the same processor call by key.
   */
  async charge(paymentId: string, authentication: 'not_required' | 'passed' | 'failed'): Promise<Payment> {
    const payment = (await this.payments.findForCheckout({ id: paymentId }))!;
    if (payment.status !== 'PROCESSING') return payment;
    const result: ChargeResult = await this.processor.charge({
      idempotencyKey: payment.processorChargeKey!,
      cardRef: payment.processorCardRef!,
      amount: payment.amount,
      currency: payment.currency,
      capture: payment.transactionType !== 'AUTHORIZE',
      tokenize: payment.tokenization,
      simulation: this.simulationOf(payment),
      authentication,
    });
    return this.record(payment, result);
  }

  private async record(payment: Payment, result: ChargeResult): Promise<Payment> {
    const finish = async () => {
      if (result.outcome === 'approved') {
        if (result.cardToken) await this.repository.saveCardToken(payment, result.cardToken);
        const authorizeOnly = payment.transactionType === 'AUTHORIZE';
        return this.payments.advance(payment.id, ['PROCESSING'], authorizeOnly ? 'AUTHORIZED' : 'SUCCEEDED', {
          cardToken: result.cardToken,
          processorChargeId: result.chargeId,
          amountCaptured: authorizeOnly ? null : payment.amount,
          authorizationExpiresAt: authorizeOnly
            ? new Date(Date.now() + this.limits.authorizationTtlMs)
            : null,
        });
      }
      await this.guard.declined(payment.merchantId);
      return this.payments.advance(payment.id, ['PROCESSING'], 'FAILED', {
        declineCode: result.code,
        declineMessage: result.message,
      });
    };
    // Another caller (the recovery worker, a retry) may have recorded it first: same result either way.
    return finish().catch(async (error) => {
      if (error instanceof TillError && error.code === ErrorCode.InvalidState)
        return (await this.payments.findForCheckout({ id: payment.id }))!;
      throw error;
    });
  }

  /** The sandbox ACS page's answer: passes or fails 3-D Secure, then charges. Returns the next URL. */
  async completeChallenge(
    challengeId: string,
    answer?: 'pass' | 'fail',
  ): Promise<{ done: boolean; payment: Payment }> {
    const challenge = await this.processor.advanceChallenge(challengeId, answer);
    const payment = (await this.payments.findForCheckout({ id: challenge.paymentId }))!;
    if (!challenge.result) return { done: false, payment };
    if (payment.status !== 'REQUIRES_ACTION') return { done: true, payment };
    if (challenge.result === 'failed') {
      await this.guard.declined(payment.merchantId);
      // No charge at all when the cardholder fails authentication.
      const failed = await this.payments
        .advance(payment.id, ['REQUIRES_ACTION'], 'FAILED', {
          nextAction: null,
          declineCode: 'authentication_failed',
          declineMessage: DECLINE_MESSAGES.authentication_failed!,
        })
        .catch(async () => (await this.payments.findForCheckout({ id: payment.id }))!);
      return { done: true, payment: failed };
    }
    await this.payments
      .advance(payment.id, ['REQUIRES_ACTION'], 'PROCESSING', {
        nextAction: null,
        processorChargeKey: `${payment.id}:${payment.attempts}`,
      })
      .catch(() => undefined); // a concurrent completion got there first
    return { done: true, payment: await this.charge(payment.id, 'passed') };
  }

  /** The customer pressed cancel or back: PENDING / REQUIRES_ACTION → CANCELED. */
  async cancel(ref: CheckoutRef): Promise<CheckoutView> {
    const { payment } = await this.resolve(ref);
    if (payment.status === 'PENDING' || payment.status === 'REQUIRES_ACTION')
      await this.payments
        .advance(payment.id, ['PENDING', 'REQUIRES_ACTION'], 'CANCELED', { nextAction: null })
        .catch(() => undefined);
    return this.view(ref);
  }

  /** Recovery: finishes charges cut off by a crash, repeating the processor call by its key. */
  async recoverStuck(olderThanMs = 30_000): Promise<number> {
    const stuck = await this.payments.stuckProcessing(olderThanMs);
    // A PROCESSING payment passed (or needed no) authentication: failed 3-D Secure never gets here.
    for (const p of stuck) await this.charge(p.id, 'passed');
    return stuck.length;
  }
}
