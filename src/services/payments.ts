import { LockMode } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Config } from '../config.js';
import type { Database } from '../db/orm.js';
import { PaymentSchema, type Payment } from '../db/entities/payment.entity.js';
import { ErrorCode, invalidFields, notFound, TillError, type FieldProblem } from '../domain/errors.js';
import { createHash } from 'node:crypto';
import { TerminalSchema } from '../db/entities/terminal.entity.js';
import { newId, PAYMENT_ID_PATTERN, randomBase62 } from '../domain/ids.js';
import { checkCreateHostedPayment } from '../domain/payment-rules.js';
import {
  CANCELABLE,
  canTransition,
  EXPIRABLE,
  eventTypeFor,
  type PaymentStatus,
  TRANSITION_STAMP,
} from '../domain/payment-status.js';
import { LIMITS, type CreateHostedPaymentInput } from '../domain/payment.js';
import { recordPaymentEvent } from '../events/outbox.js';
import { hostedPaymentUrl, toPaymentObject } from './payment-object.js';
import type { Principal } from './principal.js';

export interface ListPaymentsOptions {
  limit?: number;
  /** Return payments created before this one (newest first). */
  startingAfter?: string | null;
  status?: PaymentStatus | null;
}

/** Fields the checkout flow may set along with a status change. */
type AdvancePatchKey =
  | 'card'
  | 'declineCode'
  | 'declineMessage'
  | 'nextAction'
  | 'processor'
  | 'processorCardRef'
  | 'processorChargeKey'
  | 'cardToken'
  | 'attempts'
  | 'processorChargeId'
  | 'amountCaptured'
  | 'authorizationExpiresAt'
  | 'pendingOperation'
  | 'refunds'
  | 'amountRefunded';

/** A new payment and where to send the customer. */
export interface CreatedPayment {
  payment: Payment;
  /**
   * The checkout URL: `hosted_payment_url` for seed 004's rules; seed 000's
   * `PUBLIC_URL/hpp/payment/<token>/<session_id>` for its rules (the token is shown only here).
   */
  redirectUrl: string;
}

export interface PaymentPage {
  data: Payment[];
  hasMore: boolean;
}

const STAMP_PROPERTY: Record<string, keyof Payment> = {
  requires_action_at: 'requiresActionAt',
  processing_at: 'processingAt',
  authorized_at: 'authorizedAt',
  succeeded_at: 'succeededAt',
  failed_at: 'failedAt',
  canceled_at: 'canceledAt',
  expired_at: 'expiredAt',
};

/**
 * Payments: creation, reads, and every status change. The only code that writes a payment's
 * status, and it always writes the matching outbox event in the same transaction.
 */
export class PaymentService {
  constructor(
    private readonly db: Database,
    private readonly config: Pick<Config, 'publicUrl' | 'hppSessionTtlSeconds'>,
    /** Told after each commit that wrote events, so the relay publishes them without waiting. */
    private readonly eventsCommitted: () => void,
  ) {}

  /** Every rule problem of a would-be payment (the terminal is the principal's own, if named). */
  async validate(
    principal: Principal,
    input: CreateHostedPaymentInput,
    tx?: SqlEntityManager,
  ): Promise<FieldProblem[]> {
    // Inside a caller's transaction, read through it: PGlite has one connection, which the
    // transaction holds.
    const em = tx ?? this.db.em.fork();
    const terminal =
      input.rules === 'api' && input.terminalId
        ? await em.findOne(TerminalSchema, { merchantId: principal.merchantId, id: input.terminalId })
        : null;
    return checkCreateHostedPayment(input, terminal);
  }

  /**
   * Creates a PENDING hosted payment and its `payment.created` event. With `tx`, the writes join the
   * caller's transaction (an idempotent request stores its response in the same commit) and the
   * caller announces the commit; without, it commits on its own.
   */
  async createHostedPayment(
    principal: Principal,
    input: CreateHostedPaymentInput,
    tx?: SqlEntityManager,
  ): Promise<CreatedPayment> {
    const problems = await this.validate(principal, input, tx);
    if (problems.length > 0) throw invalidFields(problems);
    if (principal.livemode)
      throw new TillError(
        ErrorCode.LiveModeUnavailable,
        'Live payments are not available: no live processor is configured for this merchant. Use a test key (api_test_sk_…) for sandbox payments.',
      );
    const now = new Date();
    // Every payment has a hosted session; seed 000's also carry a URL token (only its hash is kept).
    const session = { id: newId.sessionId(), token: input.rules === 'api' ? randomBase62(40) : null };
    const payment = {
      id: newId.payment(),
      merchantId: principal.merchantId,
      livemode: principal.livemode,
      status: 'PENDING',
      integrationType: 'HOSTED_PAYMENT_PAGE',
      amount: input.amount,
      currency: input.currency,
      amountRefunded: 0,
      merchantReference: input.merchantReference ?? null,
      description: input.description ?? null,
      billingDetails: input.billingDetails ?? null,
      metadata: input.metadata ?? {},
      card: null,
      declineCode: null,
      declineMessage: null,
      nextAction: null,
      returnUrl: input.returnUrl ?? null,
      terminalId: input.terminalId ?? null,
      transactionType: input.transactionType ?? 'PURCHASE',
      successUrl: input.successUrl ?? null,
      cancelUrl: input.cancelUrl ?? null,
      errorUrl: input.errorUrl ?? null,
      customer: input.customer ?? null,
      country: input.country ?? null,
      tokenization: input.saveCard ?? false,
      sessionId: session.id,
      sessionTokenHash: session.token ? sessionTokenHash(session.token) : null,
      processor: null,
      processorCardRef: null,
      processorChargeKey: null,
      cardToken: null,
      attempts: 0,
      amountCaptured: null,
      refunds: [],
      processorChargeId: null,
      pendingOperation: null,
      authorizationExpiresAt: null,
      requiresActionAt: null,
      processingAt: null,
      authorizedAt: null,
      succeededAt: null,
      failedAt: null,
      canceledAt: null,
      expiredAt: null,
      version: 1,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.hppSessionTtlSeconds * 1000),
    } as unknown as Payment; // `seq` is assigned by the database
    // Native inserts: creation is the hot path, and a new row needs no change tracking.
    await this.inTransaction(tx, async (em) => {
      await insertPaymentRow(em, payment);
      await recordPaymentEvent(
        em,
        payment,
        'payment.created',
        toPaymentObject(payment, this.config.publicUrl),
      );
    });
    const redirectUrl = session.token
      ? `${this.config.publicUrl}/hpp/payment/${session.token}/${session.id}`
      : hostedPaymentUrl(this.config.publicUrl, payment.id);
    return { payment, redirectUrl };
  }

  /** Runs `work` in the caller's transaction, or in a new one that announces its events on commit. */
  private async inTransaction<T>(
    tx: SqlEntityManager | undefined,
    work: (em: SqlEntityManager) => Promise<T>,
  ): Promise<T> {
    if (tx) return work(tx);
    const result = await this.db.em.fork().transactional(work);
    this.eventsCommitted();
    return result;
  }

  /** A payment by its seed-000 session id (scoped to the principal). */
  async getPaymentBySession(principal: Principal, sessionId: string): Promise<Payment> {
    const payment = /^[A-Za-z0-9]{20}$/.test(sessionId)
      ? await this.db.em.fork().findOne(PaymentSchema, {
          sessionId,
          merchantId: principal.merchantId,
          livemode: principal.livemode,
        })
      : null;
    if (!payment) throw notFound('session', sessionId, 'session_id');
    return payment;
  }

  async getPayment(principal: Principal, id: string): Promise<Payment> {
    const payment = PAYMENT_ID_PATTERN.test(id)
      ? await this.db.em.fork().findOne(PaymentSchema, scoped(principal, id))
      : null;
    if (!payment) throw notFound('payment', id);
    return payment;
  }

  /** Newest first, keyset-paginated on the insertion sequence so pages never skip or repeat. */
  async listPayments(principal: Principal, options: ListPaymentsOptions = {}): Promise<PaymentPage> {
    const limit = options.limit ?? LIMITS.listDefault;
    const em = this.db.em.fork();
    const where: Record<string, unknown> = { merchantId: principal.merchantId, livemode: principal.livemode };
    if (options.status) where.status = options.status;
    if (options.startingAfter) {
      const [cursor] = PAYMENT_ID_PATTERN.test(options.startingAfter)
        ? await em.execute<{ seq: string }[]>(
            'select seq from payment where id = ? and merchant_id = ? and livemode = ?',
            [options.startingAfter, principal.merchantId, principal.livemode],
          )
        : [];
      if (!cursor) throw notFound('payment', options.startingAfter, 'startingAfter');
      where.seq = { $lt: Number(cursor.seq) };
    }
    const rows = await em.find(PaymentSchema, where, { orderBy: { seq: 'desc' }, limit: limit + 1 });
    return { data: rows.slice(0, limit), hasMore: rows.length > limit };
  }

  /** Merchant cancel: PENDING or REQUIRES_ACTION → CANCELED. `tx` as for createHostedPayment. */
  async cancelPayment(principal: Principal, id: string, tx?: SqlEntityManager): Promise<Payment> {
    if (!PAYMENT_ID_PATTERN.test(id)) throw notFound('payment', id);
    return this.inTransaction(tx, async (em) => {
      const current = await em.findOne(PaymentSchema, scoped(principal, id), {
        lockMode: LockMode.PESSIMISTIC_WRITE,
      });
      if (!current) throw notFound('payment', id);
      if (!CANCELABLE.includes(current.status))
        throw new TillError(
          ErrorCode.InvalidState,
          `This payment cannot be canceled because its status is ${current.status}; only ${CANCELABLE.join(' or ')} payments can be canceled.`,
          'id',
        );
      await this.transition(em, current, 'CANCELED');
      await em.flush();
      return current;
    });
  }

  /** A payment by id or hosted-session id, unscoped: only for callers that verified the session's secret. */
  async findForCheckout(by: { id: string } | { sessionId: string }): Promise<Payment | null> {
    return this.db.em.fork().findOne(PaymentSchema, by);
  }

  /**
   * Moves a payment from one of `from` to `to`, applying `patch` in the same transaction (checkout
   * and processing steps). Throws InvalidState when the payment is no longer in `from`, which is
   * what makes a double submission or a race between two steps harmless.
   */
  async advance(
    id: string,
    from: readonly PaymentStatus[],
    to: PaymentStatus,
    patch: Partial<Pick<Payment, AdvancePatchKey>> = {},
  ): Promise<Payment> {
    const payment = await this.db.em.fork().transactional(async (em) => {
      const current = await em.findOne(PaymentSchema, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!current) throw notFound('payment', id);
      if (!from.includes(current.status))
        throw new TillError(ErrorCode.InvalidState, `The payment is ${current.status}.`, 'status');
      Object.assign(current, patch);
      await this.transition(em, current, to);
      return current;
    });
    this.eventsCommitted();
    return payment;
  }

  /** Updates non-status fields of a payment in `from` (no event: nothing a merchant sees changed). */
  async annotate(
    id: string,
    from: readonly PaymentStatus[],
    patch: Partial<Pick<Payment, AdvancePatchKey>>,
  ): Promise<Payment> {
    return this.db.em.fork().transactional(async (em) => {
      const current = await em.findOne(PaymentSchema, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!current) throw notFound('payment', id);
      if (!from.includes(current.status))
        throw new TillError(ErrorCode.InvalidState, `The payment is ${current.status}.`, 'status');
      Object.assign(current, patch);
      return current;
    });
  }

  /** PROCESSING payments untouched for `olderThanMs`: their processor call may have been cut off. */
  async stuckProcessing(olderThanMs: number, limit = 50): Promise<Payment[]> {
    return this.db.em
      .fork()
      .find(
        PaymentSchema,
        { status: 'PROCESSING', processingAt: { $lte: new Date(Date.now() - olderThanMs) } },
        { limit, orderBy: { processingAt: 'asc' } },
      );
  }

  /** AUTHORIZED payments whose capture window has passed. */
  async dueAuthorizations(now: Date, limit = 50): Promise<Payment[]> {
    return this.db.em
      .fork()
      .find(
        PaymentSchema,
        { status: 'AUTHORIZED', authorizationExpiresAt: { $lte: now } },
        { limit, orderBy: { authorizationExpiresAt: 'asc' } },
      );
  }

  /** Payments with a capture or void claimed at least `olderThanMs` ago and not recorded. */
  async pendingOperations(olderThanMs: number, limit = 50): Promise<Payment[]> {
    const rows = await this.db.em
      .fork()
      .find(PaymentSchema, { status: 'AUTHORIZED', pendingOperation: { $ne: null } }, { limit });
    const cutoff = Date.now() / 1000 - olderThanMs / 1000;
    return rows.filter((p) => (p.pendingOperation?.requested_at ?? 0) <= cutoff);
  }

  /**
   * Expires unpaid payments whose session time has run out. Safe with any number of instances
   * running it at once: rows are claimed with FOR UPDATE SKIP LOCKED and re-checked under the lock.
   * Returns how many payments it expired.
   */
  async expireDuePayments(now = new Date(), batchSize = 100): Promise<number> {
    const expired = await this.db.em.fork().transactional(async (em) => {
      const due = await em.find(
        PaymentSchema,
        { status: { $in: [...EXPIRABLE] }, expiresAt: { $lte: now } },
        { lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE, limit: batchSize, orderBy: { expiresAt: 'asc' } },
      );
      for (const payment of due) await this.transition(em, payment, 'EXPIRED', now);
      return due.length;
    });
    if (expired > 0) this.eventsCommitted();
    return expired;
  }

  /**
   * Moves a locked, managed payment to `to`: checks the state machine, stamps the transition,
   * bumps the version and records exactly one event. The caller's transaction commits it all.
   */
  private async transition(
    em: SqlEntityManager,
    payment: Payment,
    to: PaymentStatus,
    at = new Date(),
  ): Promise<void> {
    if (!canTransition(payment.status, to))
      throw new TillError(ErrorCode.InvalidState, `A ${payment.status} payment cannot become ${to}.`);
    payment.status = to;
    const stamp = TRANSITION_STAMP[to];
    if (stamp) (payment as Record<string, unknown>)[STAMP_PROPERTY[stamp] as string] = at;
    payment.version += 1;
    await recordPaymentEvent(em, payment, eventTypeFor(to), toPaymentObject(payment, this.config.publicUrl));
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
 * The new payment's row in one plain INSERT: creation is the hot path, and a new row needs none of
 * the ORM's mapping or change tracking. Column order matches the migrations.
 */
async function insertPaymentRow(em: SqlEntityManager, p: Payment): Promise<void> {
  const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
  await em.execute(
    `insert into payment (id, merchant_id, livemode, status, integration_type, amount, currency, amount_refunded,
       merchant_reference, description, billing_details, metadata, return_url, terminal_id, transaction_type,
       success_url, cancel_url, error_url, customer, country, tokenization, session_id, session_token_hash,
       attempts, refunds, version, created_at, expires_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?)`,
    [
      p.id,
      p.merchantId,
      p.livemode,
      p.status,
      p.integrationType,
      p.amount,
      p.currency,
      p.amountRefunded,
      p.merchantReference ?? null,
      p.description ?? null,
      json(p.billingDetails),
      json(p.metadata ?? {}),
      p.returnUrl ?? null,
      p.terminalId ?? null,
      p.transactionType,
      p.successUrl ?? null,
      p.cancelUrl ?? null,
      p.errorUrl ?? null,
      json(p.customer),
      p.country ?? null,
      p.tokenization,
      p.sessionId ?? null,
      p.sessionTokenHash ?? null,
      p.attempts,
      json(p.refunds ?? []),
      p.version,
      p.createdAt,
      p.expiresAt,
    ],
  );
}
