import { createHash } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Config } from '../config.js';
import {
  newPaymentWrites,
  type NewPaymentEvent,
  type PaymentRepository,
} from '../db/repositories/payments.js';
import type { Write } from '../db/statements.js';
import { ErrorCode, invalidFields, notFound, TillError, type FieldProblem } from '../domain/errors.js';
import { newId, PAYMENT_ID_PATTERN, randomBase62 } from '../domain/ids.js';
import { canonicalLocale } from '../domain/locale.js';
import { NO_FILTER, type PaymentFilter } from '../domain/payment-filter.js';
import { checkCreateHostedPayment } from '../domain/payment-rules.js';
import { CANCELABLE, EXPIRABLE, type EnteredStatus, type PaymentStatus } from '../domain/payment-status.js';
import {
  hostedPaymentUrl,
  LIMITS,
  transitioned,
  type CreateHostedPaymentInput,
  type PaymentRecord,
} from '../domain/payment.js';
import { announceAtCommit, recordPaymentEvent } from '../events/outbox.js';
import { paymentPayload, type PaymentPayload } from '../events/payment-payload.js';
import { activeTraceparent } from '../tracing/spans.js';
import { paymentEventType } from '../events/topics.js';
import type { Principal } from './principal.js';

/** What a live payment's creator is told when the merchant has no live acquirer account. */
export function liveUnavailableMessage(merchantId: string): string {
  return `Live payments are not available: this merchant has no live connector account. Add one with POST /admin/v1/merchants/${merchantId}/connector_accounts (or \`till connectors add\`), or use a test key for sandbox payments.`;
}

export interface ListPaymentsOptions {
  limit?: number;
  /** Return payments created before this one (newest first). */
  startingAfter?: string | null;
  status?: PaymentStatus | null;
  /** Further criteria (checked by `checkPaymentFilter`); `status` narrows it further. */
  filter?: PaymentFilter;
}

/** Fields the checkout flow may set along with a status change. */
export type AdvancePatchKey =
  | 'card'
  | 'declineCode'
  | 'declineMessage'
  | 'nextAction'
  | 'processorRoute'
  | 'chargeAttempts'
  | 'processorChargeKey'
  | 'cardToken'
  | 'attempts'
  | 'amountCaptured'
  | 'authorizationExpiresAt'
  | 'reconcileAfter'
  | 'pendingOperation';

export type PaymentPatch = Partial<Pick<PaymentRecord, AdvancePatchKey>>;

/** A new payment and where to send the customer. */
export interface CreatedPayment {
  payment: PaymentRecord;
  /**
   * The checkout URL: `hosted_payment_url` for seed 004's rules; seed 000's
   * `PUBLIC_URL/hpp/payment/<token>/<session_id>` for its rules (the token is shown only here).
   */
  redirectUrl: string;
  /** The payment's wire object (the v1 Payment, the `payment.created` event's object)... */
  payload: PaymentPayload;
  /** ...and that object as JSON text, exactly as the event stores it. */
  payloadJson: string;
}

export interface PaymentPage {
  data: PaymentRecord[];
  hasMore: boolean;
}

/**
 * Payments: creation, reads, and every status change. The only code that writes a payment's
 * status, and it always writes the matching outbox event in the same transaction.
 */
export class PaymentService {
  constructor(
    private readonly payments: PaymentRepository,
    private readonly config: Pick<Config, 'publicUrl' | 'hppSessionTtlSeconds'>,
    /** Told after each commit that wrote events, so the relay publishes them without waiting. */
    private readonly eventsCommitted: () => void,
    /** Whether a merchant can take live payments (it has an enabled live connector account). */
    private readonly acceptsLive: (
      merchantId: string,
      tx?: SqlEntityManager,
    ) => Promise<boolean> = async () => false,
  ) {}

  /**
   * Creates a PENDING hosted payment and its `payment.created` event. `surfaceProblems` are what the
   * calling surface found wrong with the request's shape: they are reported together with the
   * domain rules' problems, in one answer. With `tx`, the writes join the caller's transaction (an
   * idempotent request stores its response in the same commit) and the caller announces the commit;
   * without, it commits on its own.
   */
  async createHostedPayment(
    principal: Principal,
    input: CreateHostedPaymentInput,
    tx?: SqlEntityManager,
    surfaceProblems: readonly FieldProblem[] = [],
  ): Promise<CreatedPayment> {
    const { created, event } = await this.newHostedPayment(principal, input, tx, surfaceProblems);
    await this.inTransaction(tx, (em) =>
      this.payments.insert(em, created.payment, announced(em, created, event)),
    );
    return created;
  }

  /**
   * {@link createHostedPayment} for a caller that holds `tx` and has a statement of its own to send
   * in it (an idempotent request storing its response): the payment's writes are handed back unrun,
   * for the caller to run in `tx` together with that statement (one round trip for all). Without
   * `tx`, the payment is created as by createHostedPayment and there is nothing left to write.
   */
  async stageHostedPayment(
    principal: Principal,
    input: CreateHostedPaymentInput,
    tx: SqlEntityManager | undefined,
    surfaceProblems: readonly FieldProblem[] = [],
  ): Promise<CreatedPayment & { writes: readonly Write[] }> {
    if (!tx)
      return { ...(await this.createHostedPayment(principal, input, tx, surfaceProblems)), writes: [] };
    const { created, event } = await this.newHostedPayment(principal, input, tx, surfaceProblems);
    return { ...created, writes: newPaymentWrites(created.payment, announced(tx, created, event)) };
  }

  /** A new hosted payment, validated and built, and its `payment.created` event: nothing written. */
  private async newHostedPayment(
    principal: Principal,
    input: CreateHostedPaymentInput,
    tx: SqlEntityManager | undefined,
    surfaceProblems: readonly FieldProblem[],
  ): Promise<{ created: CreatedPayment; event: Omit<NewPaymentEvent, 'announcedBy'> }> {
    // The terminal is the principal's own, if named; read once, through the caller's transaction.
    const terminal =
      input.rules === 'api' && input.terminalId
        ? await this.payments.terminal(principal.merchantId, input.terminalId, tx)
        : null;
    const problems = [...surfaceProblems, ...checkCreateHostedPayment(input, terminal)];
    if (problems.length > 0) throw invalidFields(problems);
    // Read through the caller's transaction, like the terminal: PGlite has one connection.
    if (principal.livemode && !(await this.acceptsLive(principal.merchantId, tx)))
      throw new TillError(ErrorCode.LiveModeUnavailable, liveUnavailableMessage(principal.merchantId));
    const now = new Date();
    // Every payment has a hosted session; the api dialect's also carry a URL token (only its hash is kept).
    const session = { id: newId.sessionId(), token: input.rules === 'api' ? randomBase62(40) : null };
    const payment: PaymentRecord = {
      id: newId.payment(),
      merchantId: principal.merchantId,
      livemode: principal.livemode,
      status: 'PENDING',
      integrationType: 'HOSTED_PAYMENT_PAGE',
      transactionType: input.transactionType ?? 'PURCHASE',
      amount: input.amount,
      currency: input.currency,
      amountRefunded: 0,
      amountCaptured: null,
      merchantReference: input.merchantReference ?? null,
      description: input.description ?? null,
      locale: input.locale ? (canonicalLocale(input.locale) ?? input.locale) : null,
      card: null,
      billingDetails: input.billingDetails ?? null,
      metadata: input.metadata ?? {},
      declineCode: null,
      declineMessage: null,
      nextAction: null,
      returnUrl: input.returnUrl ?? null,
      terminalId: input.terminalId ?? null,
      sessionId: session.id,
      successUrl: input.successUrl ?? null,
      cancelUrl: input.cancelUrl ?? null,
      errorUrl: input.errorUrl ?? null,
      customer: input.customer ?? null,
      cardToken: null,
      refunds: [],
      transitions: {
        requiresActionAt: null,
        processingAt: null,
        authorizedAt: null,
        succeededAt: null,
        failedAt: null,
        canceledAt: null,
        expiredAt: null,
      },
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.hppSessionTtlSeconds * 1000),
      version: 1,
      country: input.country ?? null,
      tokenization: input.saveCard ?? false,
      sessionTokenHash: session.token ? sessionTokenHash(session.token) : null,
      processorRoute: null,
      chargeAttempts: [],
      processorChargeKey: null,
      attempts: 0,
      pendingOperation: null,
      authorizationExpiresAt: null,
      reconcileAfter: null,
    };
    // The wire object is built and serialised once: the event carries it, and so may the answer.
    const payload = paymentPayload(payment, this.config.publicUrl);
    const payloadJson = JSON.stringify(payload);
    const event: Omit<NewPaymentEvent, 'announcedBy'> = {
      id: newId.event(),
      type: 'payment.created',
      data: `{"object":${payloadJson}}`,
      createdAt: new Date(),
      // Whoever publishes or delivers the event later links its span to the request that committed it.
      traceparent: activeTraceparent(),
    };
    const redirectUrl = session.token
      ? `${this.config.publicUrl}/hpp/payment/${session.token}/${session.id}`
      : hostedPaymentUrl(this.config.publicUrl, payment.id);
    return { created: { payment, redirectUrl, payload, payloadJson }, event };
  }

  /** Runs `work` in the caller's transaction, or in a new one that announces its events on commit. */
  private async inTransaction<T>(
    tx: SqlEntityManager | undefined,
    work: (em: SqlEntityManager) => Promise<T>,
  ): Promise<T> {
    if (tx) return work(tx);
    const result = await this.payments.transaction(work);
    this.eventsCommitted();
    return result;
  }

  /** A payment by its api-dialect session id (scoped to the principal). */
  async getPaymentBySession(principal: Principal, sessionId: string): Promise<PaymentRecord> {
    const payment = /^[A-Za-z0-9]{20}$/.test(sessionId)
      ? await this.payments.find({
          sessionId,
          merchantId: principal.merchantId,
          livemode: principal.livemode,
        })
      : null;
    if (!payment) throw notFound('session', sessionId, 'session_id');
    return payment;
  }

  async getPayment(principal: Principal, id: string): Promise<PaymentRecord> {
    const payment = PAYMENT_ID_PATTERN.test(id) ? await this.payments.find(scoped(principal, id)) : null;
    if (!payment) throw notFound('payment', id);
    return payment;
  }

  /**
   * Newest first (creation time, then insertion order), keyset-paginated after a payment so pages
   * never skip or repeat. A cursor must name one of the scope's payments.
   */
  async listPayments(principal: Principal, options: ListPaymentsOptions = {}): Promise<PaymentPage> {
    const limit = options.limit ?? LIMITS.listDefault;
    const after = options.startingAfter || null;
    if (after !== null && !PAYMENT_ID_PATTERN.test(after)) throw notFound('payment', after, 'startingAfter');
    const filter = options.filter ?? NO_FILTER;
    const rows = await this.payments.list(principal, {
      limit: limit + 1,
      filter: options.status
        ? { ...filter, statuses: (filter.statuses ?? [options.status]).filter((s) => s === options.status) }
        : filter,
      after,
    });
    // An empty page after a cursor is the end of the list, or a cursor the scope does not have.
    if (after !== null && rows.length === 0 && !(await this.payments.exists(principal, after)))
      throw notFound('payment', after, 'startingAfter');
    return { data: rows.slice(0, limit), hasMore: rows.length > limit };
  }

  /** Merchant cancel: PENDING or REQUIRES_ACTION → CANCELED. `tx` as for createHostedPayment. */
  async cancelPayment(principal: Principal, id: string, tx?: SqlEntityManager): Promise<PaymentRecord> {
    if (!PAYMENT_ID_PATTERN.test(id)) throw notFound('payment', id);
    return this.inTransaction(tx, async (em) => {
      const current = await this.payments.lock(em, scoped(principal, id));
      if (!current) throw notFound('payment', id);
      if (!CANCELABLE.includes(current.status))
        throw new TillError(
          ErrorCode.InvalidState,
          `This payment cannot be canceled because its status is ${current.status}; only ${CANCELABLE.join(' or ')} payments can be canceled.`,
          'id',
        );
      const canceled = await this.transition(em, current, 'CANCELED');
      await em.flush();
      return canceled;
    });
  }

  /** A payment by id or hosted-session id, unscoped: only for callers that verified the session's secret. */
  async findForCheckout(by: { id: string } | { sessionId: string }): Promise<PaymentRecord | null> {
    return this.payments.find(by);
  }

  /**
   * Moves a payment from one of `from` to `to`, applying `patch` in the same transaction (checkout
   * and processing steps). Throws InvalidState when the payment is no longer in `from`, which is
   * what makes a double submission or a race between two steps harmless.
   */
  async advance(
    id: string,
    from: readonly PaymentStatus[],
    to: EnteredStatus,
    patch: PaymentPatch = {},
  ): Promise<PaymentRecord> {
    const payment = await this.payments.transaction(async (em) => {
      const current = await this.lockIn(em, id, from);
      return this.transition(em, { ...current, ...patch }, to);
    });
    this.eventsCommitted();
    return payment;
  }

  /** Updates non-status fields of a payment in `from` (no event: nothing a merchant sees changed). */
  async annotate(id: string, from: readonly PaymentStatus[], patch: PaymentPatch): Promise<PaymentRecord> {
    return this.payments.transaction(async (em) => {
      const annotated = { ...(await this.lockIn(em, id, from)), ...patch };
      this.payments.save(em, annotated);
      return annotated;
    });
  }

  /** Locks a payment that must be in one of `from`. */
  private async lockIn(
    em: SqlEntityManager,
    id: string,
    from: readonly PaymentStatus[],
  ): Promise<PaymentRecord> {
    const current = await this.payments.lock(em, { id });
    if (!current) throw notFound('payment', id);
    if (!from.includes(current.status))
      throw new TillError(ErrorCode.InvalidState, `The payment is ${current.status}.`, 'status');
    return current;
  }

  /** PROCESSING payments untouched for `olderThanMs`: their processor call may have been cut off. */
  async stuckProcessing(olderThanMs: number, limit = 50): Promise<PaymentRecord[]> {
    return this.payments.processingSince(new Date(Date.now() - olderThanMs), limit);
  }

  /** AUTHORIZED payments whose capture window has passed. */
  async dueAuthorizations(now: Date, limit = 50): Promise<PaymentRecord[]> {
    return this.payments.authorizationsDue(now, limit);
  }

  /** Payments with a capture or void claimed at least `olderThanMs` ago and not recorded. */
  async pendingOperations(olderThanMs: number, limit = 50): Promise<PaymentRecord[]> {
    const rows = await this.payments.withPendingOperation(limit);
    const cutoff = Date.now() / 1000 - olderThanMs / 1000;
    return rows.filter((p) => (p.pendingOperation?.requestedAt ?? 0) <= cutoff);
  }

  /**
   * Expires unpaid payments whose session time has run out. Safe with any number of instances
   * running it at once: rows are claimed with FOR UPDATE SKIP LOCKED and re-checked under the lock.
   * Returns how many payments it expired.
   */
  async expireDuePayments(now = new Date(), batchSize = 100): Promise<number> {
    const expired = await this.payments.transaction(async (em) => {
      const due = await this.payments.lockDueForExpiry(em, EXPIRABLE, now, batchSize);
      for (const payment of due) await this.transition(em, payment, 'EXPIRED', now);
      return due.length;
    });
    if (expired > 0) this.eventsCommitted();
    return expired;
  }

  /**
   * Moves a locked payment to `to` (the state machine decides; the transition is stamped and the
   * version bumped), saves it and records exactly one event. The caller's transaction commits it all.
   */
  private async transition(
    em: SqlEntityManager,
    payment: PaymentRecord,
    to: EnteredStatus,
    at = new Date(),
  ): Promise<PaymentRecord> {
    const next = transitioned(payment, to, at);
    this.payments.save(em, next);
    await recordPaymentEvent(em, next, paymentEventType(to), paymentPayload(next, this.config.publicUrl));
    return next;
  }
}

function scoped(principal: Principal, id: string) {
  return { id, merchantId: principal.merchantId, livemode: principal.livemode };
}

/** Only a hash of a session URL's token is stored; the hosted page compares hashes. */
export function sessionTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * A new payment's `payment.created` event, kept for the hand-off at the commit of `em`'s
 * transaction (subscribers hear of the payment the moment it is committed), with the origin its row
 * names.
 */
function announced(
  em: SqlEntityManager,
  created: CreatedPayment,
  event: Omit<NewPaymentEvent, 'announcedBy'>,
): NewPaymentEvent {
  const { payment } = created;
  const announcedBy = announceAtCommit(em, {
    id: event.id,
    type: event.type,
    merchantId: payment.merchantId,
    livemode: payment.livemode,
    createdAt: event.createdAt,
    data: { object: created.payload },
    paymentSnapshot: null,
  });
  return { ...event, announcedBy };
}
