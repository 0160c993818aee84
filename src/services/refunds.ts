import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Config } from '../config.js';
import type { PaymentRepository } from '../db/repositories/payments.js';
import type { RefundRepository } from '../db/repositories/refunds.js';
import { ErrorCode, invalid, notFound, TillError } from '../domain/errors.js';
import { PAYMENT_ID_PATTERN, randomBase62 } from '../domain/ids.js';
import { amountReserved, REFUND_REASONS, type PaymentRecord, type Refund } from '../domain/payment.js';
import { recordPaymentEvent } from '../events/outbox.js';
import { paymentPayload, refundPayload } from '../events/payment-payload.js';
import { ConnectorUnavailable, type OperationOutcome } from '../processors/connector.js';
import type { ChargeService } from './charging.js';
import type { AuditLog } from './audit.js';
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
    private readonly payments: PaymentRepository,
    private readonly refunds: RefundRepository,
    private readonly config: Pick<Config, 'publicUrl'>,
    private readonly charging: ChargeService,
    private readonly eventsCommitted: () => void,
    private readonly audit: AuditLog,
  ) {}

  async create(principal: Principal, paymentId: string, input: CreateRefundInput): Promise<Refund> {
    if (input.reason != null && !(REFUND_REASONS as readonly string[]).includes(input.reason))
      throw invalid('reason', `reason must be one of ${REFUND_REASONS.join(', ')}`);
    if (input.amount != null && (!Number.isSafeInteger(input.amount) || input.amount < 1))
      throw invalid('amount', 'amount must be a positive integer number of minor units');
    const refund = await this.payments.transaction(async (em) => {
      const payment = await this.lock(em, principal, paymentId);
      if (payment.status !== 'SUCCEEDED')
        throw new TillError(
          ErrorCode.InvalidState,
          `Only SUCCEEDED payments can be refunded; this one is ${payment.status}.`,
          'payment',
        );
      const available = (payment.amountCaptured ?? payment.amount) - amountReserved(payment);
      const amount = input.amount ?? available;
      if (available <= 0)
        throw new TillError(ErrorCode.InvalidState, 'This payment has been fully refunded.', 'amount');
      if (amount > available) throw invalid('amount', `amount must be at most the refundable ${available}`);
      const created: Refund = {
        id: `re_${randomBase62(24)}`,
        paymentId: payment.id,
        amount,
        status: 'pending',
        reason: input.reason ?? null,
        failureReason: null,
        createdAt: new Date(),
      };
      await this.refunds.insert(em, created, payment);
      const next = { ...payment, refunds: [...payment.refunds, created], version: payment.version + 1 };
      this.payments.save(em, next);
      await recordPaymentEvent(
        em,
        next,
        'refund.created',
        paymentPayload(next, this.config.publicUrl),
        refundPayload(created),
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

  async list(principal: Principal, paymentId: string): Promise<Refund[]> {
    const payment = PAYMENT_ID_PATTERN.test(paymentId)
      ? await this.payments.find({
          id: paymentId,
          merchantId: principal.merchantId,
          livemode: principal.livemode,
        })
      : null;
    if (!payment) throw notFound('payment', paymentId);
    return payment.refunds;
  }

  /** Finishes refunds left pending for `olderThanMs` (the processor call may have been cut off). */
  async recover(olderThanMs = 30_000): Promise<number> {
    const pending = await this.refunds.pendingSince(new Date(Date.now() - olderThanMs), 50);
    for (const { id, paymentId } of pending) {
      const payment = await this.payments.find({ id: paymentId });
      const refund = payment?.refunds.find((r) => r.id === id);
      if (refund) await this.settle(refund).catch(() => undefined);
    }
    return pending.length;
  }

  private async settle(refund: Refund): Promise<Refund> {
    const payment = (await this.payments.find({ id: refund.paymentId }))!;
    let result: OperationOutcome;
    try {
      result = await (
        await this.charging.connectorFor(payment)
      ).refund({
        idempotencyKey: refund.id,
        reference: payment.processorRoute?.reference ?? '',
        amount: refund.amount,
        currency: payment.currency,
        paymentId: payment.id,
        refundId: refund.id,
      });
    } catch (error) {
      // Undecided: the refund stays pending and recovery repeats the call under the same key.
      if (error instanceof ConnectorUnavailable) return refund;
      throw error;
    }
    // An acquirer that confirms by webhook keeps the refund pending until it does.
    if (result.status === 'pending') return refund;
    return this.recordOutcome(
      refund.id,
      refund.paymentId,
      result.status === 'failed' ? { succeeded: false, reason: result.message } : { succeeded: true },
    );
  }

  /**
   * Records a refund's outcome (from the acquirer's answer or its webhook), once: a refund already
   * settled is returned as it is, whatever arrives later or twice.
   */
  async recordOutcome(
    refundId: string,
    paymentId: string,
    outcome: { succeeded: true } | { succeeded: false; reason: string },
  ): Promise<Refund> {
    const settled = await this.payments.transaction(async (em) => {
      const current = (await this.payments.lock(em, { id: paymentId }))!;
      const stored = current.refunds.find((r) => r.id === refundId);
      if (!stored) throw notFound('refund', refundId);
      if (stored.status !== 'pending') return stored; // settled by someone else (recovery, a webhook) first
      const result: Refund = outcome.succeeded
        ? { ...stored, status: 'succeeded', failureReason: null }
        : { ...stored, status: 'failed', failureReason: outcome.reason };
      const next: PaymentRecord = {
        ...current,
        refunds: current.refunds.map((r) => (r.id === refundId ? result : r)),
        amountRefunded: current.amountRefunded + (result.status === 'succeeded' ? result.amount : 0),
        version: current.version + 1,
      };
      this.payments.save(em, next);
      await this.refunds.recordOutcome(em, result);
      await recordPaymentEvent(
        em,
        next,
        result.status === 'succeeded' ? 'refund.succeeded' : 'refund.failed',
        paymentPayload(next, this.config.publicUrl),
        refundPayload(result),
      );
      return result;
    });
    this.eventsCommitted();
    return settled;
  }

  private async lock(em: SqlEntityManager, principal: Principal, paymentId: string): Promise<PaymentRecord> {
    const payment = PAYMENT_ID_PATTERN.test(paymentId)
      ? await this.payments.lock(em, {
          id: paymentId,
          merchantId: principal.merchantId,
          livemode: principal.livemode,
        })
      : null;
    if (!payment) throw notFound('payment', paymentId, 'payment');
    return payment;
  }
}
