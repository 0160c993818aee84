import { timingSafeEqual } from 'node:crypto';
import type { Authenticator } from './authenticator.js';
import type { CheckoutGuard } from './checkout-guard.js';
import type { PaymentRepository } from '../db/repositories/payments.js';
import { ErrorCode, TillError } from '../domain/errors.js';
import { PAYMENT_ID_PATTERN } from '../domain/ids.js';
import { formatMoney } from '../domain/money.js';
import type { PaymentRecord as Payment } from '../domain/payment.js';
import type { PaymentStatus } from '../domain/payment-status.js';
import { cardProblems, digitsOnly } from '../domain/card.js';
import { languageFor } from '../i18n/translate.js';
import type { CardInput } from '../processors/processor.js';
import type { SandboxProcessor } from '../processors/sandbox.js';
import type { ChargeService, Shopper } from './charging.js';
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
  /** The language the merchant asked the page to speak (a BCP 47 tag), or null to follow the browser. */
  locale: string | null;
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

/**
 * The customer's side of a payment: open the hosted session, submit a card, pass 3-D Secure,
 * cancel. Every status change goes through PaymentService; the card goes to the acquirers through
 * ChargeService.
 */
export class CheckoutService {
  constructor(
    private readonly repository: PaymentRepository,
    private readonly payments: PaymentService,
    private readonly charging: ChargeService,
    private readonly sandbox: SandboxProcessor,
    private readonly auth: Authenticator,
    private readonly guard: CheckoutGuard,
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
        ? PAYMENT_ID_PATTERN.test(parts.paymentId)
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
      locale: current.locale ?? null,
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

  /**
   * Submits the customer's card. Validates it, then hands it to the acquirers (see ChargeService):
   * the payment becomes SUCCEEDED / AUTHORIZED / FAILED, or REQUIRES_ACTION for 3-D Secure.
   * Returns the page's next view. Card-field problems are worded in the customer's language (the
   * payment's `locale`, else the browser's `Accept-Language`).
   */
  async submitCard(
    ref: CheckoutRef,
    card: CardInput,
    client: string,
    shopper?: Partial<Shopper>,
    acceptLanguage?: string | null,
  ): Promise<CheckoutView> {
    const { payment } = await this.resolve(ref);
    await this.guard.admit(client, payment.sessionId!, payment.merchantId);
    const view = await this.view(ref);
    if (view.state !== 'open')
      throw new TillError(
        ErrorCode.InvalidState,
        view.message ?? 'This payment can no longer be paid.',
        'status',
      );
    const problems = Object.entries(cardProblems({ ...card, number: digitsOnly(card.number) }));
    if (problems.length > 0) {
      await this.guard.invalidForm(payment.sessionId!);
      const { t } = languageFor(payment.locale, acceptLanguage);
      const worded = problems.map(([field, problem]) => ({
        field,
        message: t(problem.key, 'values' in problem ? problem.values : undefined),
      }));
      throw new TillError(ErrorCode.InvalidRequest, worded[0]!.message, worded[0]!.field, worded);
    }
    await this.charging.charge(payment, card, {
      ip: shopper?.ip ?? client,
      userAgent: shopper?.userAgent ?? null,
      acceptHeader: shopper?.acceptHeader ?? null,
    });
    return this.view(ref);
  }

  /**
   * The sandbox's access control server page was answered: advances its challenge and, once it has
   * a result, finishes the payment like any acquirer's 3-D Secure return.
   */
  async completeChallenge(
    challengeId: string,
    answer?: 'pass' | 'fail',
  ): Promise<{ done: boolean; payment: Payment }> {
    const challenge = await this.sandbox.advanceChallenge(challengeId, answer);
    const payment = (await this.payments.findForCheckout({ id: challenge.paymentId }))!;
    if (!challenge.result) return { done: false, payment };
    return { done: true, payment: await this.charging.completeAction(payment.id, {}) };
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

  /** Reconciliation: asks the acquirers about charges left undecided (a crash, a lost answer). */
  async recoverStuck(olderThanMs?: number): Promise<number> {
    return this.charging.reconcile(olderThanMs);
  }
}
