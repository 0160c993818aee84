import { LockMode } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Config } from '../config.js';
import { PaymentSchema, type Payment } from '../db/entities/payment.entity.js';
import type { Database } from '../db/orm.js';
import { ErrorCode, invalid, notFound, TillError } from '../domain/errors.js';
import { PAYMENT_ID_PATTERN, randomBase62 } from '../domain/ids.js';
import { REFUND_REASONS, type RefundObject } from '../domain/payment.js';
import { recordPaymentEvent } from '../events/outbox.js';
import type { Processor } from '../processors/processor.js';
import type { AuditLog } from './audit.js';
import { toPaymentObject } from './payment-object.js';
import { actorOf, type Principal } from './principal.js';

export interface CreateRefundInput {
  amount?: number | null;
  reason?: string | null;
}

/**
 * Refunds: full or partial, several per payment, never more than was captured. A refund is
 * reserved (`pending`) under the payment's row lock, so racing refunds cannot over-refund; then the
 * processor is asked (idempotent by the refund id); then the outcome is recorded. `recover()`
 * finishes refunds a crash left pending.
 */
export class RefundService {
  constructor(
    private readonly db: Database,
    private readonly config: Pick<Config, 'publicUrl'>,
    private readonly processor: Processor,
    private readonly eventsCommitted: () => void,
    private readonly audit: AuditLog,
  ) {}

  async create(principal: Principal, paymentId: string, input: CreateRefundInput): Promise<RefundObject> {
    if (input.reason != null && !(REFUND_REASONS as readonly string[]).includes(input.reason))
      throw invalid('reason', `reason must be one of ${REFUND_REASONS.join(', ')}`);
    if (input.amount != null && (!Number.isSafeInteger(input.amount) || input.amount < 1))
      throw invalid('amount', 'amount must be a positive integer number of minor units');
    const refund = await this.db.em.fork().transactional(async (em) => {
      const payment = await this.lock(em, principal, paymentId);
      if (payment.status !== 'SUCCEEDED')
        throw new TillError(
          ErrorCode.InvalidState,
          `Only SUCCEEDED payments can be refunded; this one is ${payment.status}.`,
          'payment',
        );
      const available = (payment.amountCaptured ?? payment.amount) - reserved(payment);
      const amount = input.amount ?? available;
      if (available <= 0)
        throw new TillError(ErrorCode.InvalidState, 'This payment has been fully refunded.', 'amount');
      if (amount > available) throw invalid('amount', `amount must be at most the refundable ${available}`);
      const now = new Date();
      const created: RefundObject = {
        id: `re_${randomBase62(24)}`,
        object: 'refund',
        payment_id: payment.id,
        amount,
        status: 'pending',
        reason: input.reason ?? null,
        failure_reason: null,
        created_at: Math.floor(now.getTime() / 1000),
      };
      await em.execute(
        `insert into refund (id, merchant_id, livemode, payment_id, amount, status, reason, created_at, updated_at)
         values (?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
        [created.id, payment.merchantId, payment.livemode, payment.id, amount, created.reason, now, now],
      );
      payment.refunds = [...(payment.refunds ?? []), created];
      payment.version += 1;
      await recordPaymentEvent(
        em,
        payment,
        'refund.created',
        toPaymentObject(payment, this.config.publicUrl),
        created,
      );
      await this.audit.record(
        {
          merchantId: payment.merchantId,
          livemode: payment.livemode,
          actor: actorOf(principal),
          action: 'refund.created',
          objectType: 'refund',
          objectId: created.id,
          details: { payment_id: payment.id, amount, reason: created.reason },
        },
        em,
      );
      return created;
    });
    this.eventsCommitted();
    return this.settle(refund);
  }

  async list(principal: Principal, paymentId: string): Promise<RefundObject[]> {
    const payment = PAYMENT_ID_PATTERN.test(paymentId)
      ? await this.db.em.fork().findOne(PaymentSchema, {
          id: paymentId,
          merchantId: principal.merchantId,
          livemode: principal.livemode,
        })
      : null;
    if (!payment) throw notFound('payment', paymentId);
    return payment.refunds ?? [];
  }

  /** Finishes refunds left pending for `olderThanMs` (the processor call may have been cut off). */
  async recover(olderThanMs = 30_000): Promise<number> {
    const rows = await this.db.em
      .fork()
      .execute<{ id: string; payment_id: string }[]>(
        `select id, payment_id from refund where status = 'pending' and updated_at <= ? order by updated_at limit 50`,
        [new Date(Date.now() - olderThanMs)],
      );
    for (const row of rows) {
      const payment = await this.db.em.fork().findOne(PaymentSchema, { id: row.payment_id });
      const refund = payment?.refunds.find((r) => r.id === row.id);
      if (refund) await this.settle(refund).catch(() => undefined);
    }
    return rows.length;
  }

  private async settle(refund: RefundObject): Promise<RefundObject> {
    const payment = (await this.db.em.fork().findOne(PaymentSchema, { id: refund.payment_id }))!;
    const result = await this.processor.refund({
      idempotencyKey: refund.id,
      chargeId: payment.processorChargeId ?? '',
      amount: refund.amount,
    });
    const settled = await this.db.em.fork().transactional(async (em) => {
      const current = (await em.findOne(
        PaymentSchema,
        { id: refund.payment_id },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      ))!;
      const stored = current.refunds.find((r) => r.id === refund.id)!;
      if (stored.status !== 'pending') return stored; // settled by someone else (recovery) first
      const next: RefundObject = {
        ...stored,
        status: result.outcome === 'succeeded' ? 'succeeded' : 'failed',
        failure_reason: result.outcome === 'failed' ? result.message : null,
      };
      current.refunds = current.refunds.map((r) => (r.id === refund.id ? next : r));
      if (next.status === 'succeeded') current.amountRefunded += next.amount;
      current.version += 1;
      await em.execute(`update refund set status = ?, failure_reason = ?, updated_at = now() where id = ?`, [
        next.status,
        next.failure_reason,
        next.id,
      ]);
      await recordPaymentEvent(
        em,
        current,
        `refund.${next.status}`,
        toPaymentObject(current, this.config.publicUrl),
        next,
      );
      return next;
    });
    this.eventsCommitted();
    return settled;
  }

  private async lock(em: SqlEntityManager, principal: Principal, paymentId: string): Promise<Payment> {
    const payment = PAYMENT_ID_PATTERN.test(paymentId)
      ? await em.findOne(
          PaymentSchema,
          { id: paymentId, merchantId: principal.merchantId, livemode: principal.livemode },
          { lockMode: LockMode.PESSIMISTIC_WRITE },
        )
      : null;
    if (!payment) throw notFound('payment', paymentId, 'payment');
    return payment;
  }
}

/** Money of a payment already refunded or being refunded. */
function reserved(payment: Payment): number {
  return (payment.refunds ?? []).filter((r) => r.status !== 'failed').reduce((sum, r) => sum + r.amount, 0);
}
