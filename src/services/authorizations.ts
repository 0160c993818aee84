import type { SqlEntityManager } from '@mikro-orm/sql';
import { ErrorCode, invalid, TillError } from '../domain/errors.js';
import type { PaymentRecord } from '../domain/payment.js';
import { ConnectorUnavailable, type OperationOutcome } from '../processors/connector.js';
import type { ChargeService } from './charging.js';
import type { PaymentService } from './payments.js';
import type { AuditLog } from './audit.js';
import { actorOf, type Principal } from './principal.js';

/**
 * What happens to an AUTHORIZED payment: capture (all or part; the rest is released), void, or
 * expiry when nobody captures it in time. The order is always: claim the operation on the payment
 * (committed), ask the processor (idempotent by key), record the outcome — so a crash at any point
 * is finished by `recover()` without moving money twice.
 */
export class AuthorizationService {
  constructor(
    private readonly payments: PaymentService,
    private readonly charging: ChargeService,
    private readonly audit: AuditLog,
  ) {}

  async capture(principal: Principal, id: string, amount?: number | null): Promise<PaymentRecord> {
    const payment = await this.payments.getPayment(principal, id);
    if (payment.status !== 'AUTHORIZED')
      throw new TillError(
        ErrorCode.InvalidState,
        `Only AUTHORIZED payments can be captured; this one is ${payment.status}.`,
        'id',
      );
    const value = amount ?? payment.amount;
    if (!Number.isSafeInteger(value) || value < 1 || value > payment.amount)
      throw invalid('amount', `amount must be an integer from 1 to the authorized ${payment.amount}`);
    const claimed = await this.claim(payment, {
      kind: 'capture',
      amount: value,
      key: `${payment.id}:capture`,
    });
    await this.audited(principal, claimed, 'payment.captured', { amount: value });
    return this.finish(claimed);
  }

  /** Merchant cancel: a PENDING / REQUIRES_ACTION payment is canceled; an AUTHORIZED one is voided. */
  async cancel(principal: Principal, id: string, tx?: SqlEntityManager): Promise<PaymentRecord> {
    const payment = await this.payments.getPayment(principal, id);
    if (payment.status !== 'AUTHORIZED') return this.payments.cancelPayment(principal, id, tx);
    const claimed = await this.claim(payment, { kind: 'void', amount: null, key: `${payment.id}:void` });
    await this.audited(principal, claimed, 'payment.voided', {});
    return this.finish(claimed);
  }

  /** Releases authorizations nobody captured in time (AUTHORIZED → EXPIRED). */
  async expireAuthorizations(now = new Date()): Promise<number> {
    const due = await this.payments.dueAuthorizations(now);
    let count = 0;
    for (const payment of due) {
      const claimed = await this.claim(payment, {
        kind: 'void',
        amount: null,
        key: `${payment.id}:void`,
      }).catch(() => null);
      if (claimed) {
        await this.finish(claimed, 'EXPIRED').catch(() => undefined);
        count += 1;
      }
    }
    return count;
  }

  /** Finishes captures and voids a crash interrupted (claimed more than `olderThanMs` ago). */
  async recover(olderThanMs = 30_000): Promise<number> {
    const stuck = await this.payments.pendingOperations(olderThanMs);
    for (const payment of stuck) {
      const expired =
        payment.authorizationExpiresAt && payment.authorizationExpiresAt.getTime() <= Date.now();
      await this.finish(
        payment,
        payment.pendingOperation?.kind === 'void' && expired ? 'EXPIRED' : undefined,
      ).catch(() => undefined);
    }
    return stuck.length;
  }

  /** Records who asked for a capture or void, once it is claimed (and so will happen). */
  private audited(
    principal: Principal,
    payment: PaymentRecord,
    action: 'payment.captured' | 'payment.voided',
    details: Record<string, unknown>,
  ): Promise<void> {
    return this.audit.record({
      merchantId: payment.merchantId,
      livemode: payment.livemode,
      actor: actorOf(principal),
      action,
      objectType: 'payment',
      objectId: payment.id,
      details,
    });
  }

  private claim(
    payment: PaymentRecord,
    op: { kind: 'capture' | 'void'; amount: number | null; key: string },
  ): Promise<PaymentRecord> {
    const pending = payment.pendingOperation;
    // A repeat of the operation in flight finishes it; another one (a capture of another amount)
    // cannot replace it, or the merchant would be told of an amount the acquirer never took.
    if (pending && (pending.kind !== op.kind || pending.amount !== op.amount))
      throw new TillError(
        ErrorCode.InvalidState,
        pending.kind === 'capture'
          ? `A capture of ${pending.amount} of this payment is in progress.`
          : `A ${pending.kind} of this payment is in progress.`,
        'id',
      );
    return this.payments.annotate(payment.id, ['AUTHORIZED'], {
      pendingOperation: payment.pendingOperation ?? { ...op, requestedAt: Math.floor(Date.now() / 1000) },
    });
  }

  private async finish(
    payment: PaymentRecord,
    voidAs: 'CANCELED' | 'EXPIRED' = 'CANCELED',
  ): Promise<PaymentRecord> {
    const op = payment.pendingOperation!;
    const connector = await this.charging.connectorFor(payment);
    const reference = payment.processorRoute?.reference ?? '';
    let result: OperationOutcome;
    try {
      result =
        op.kind === 'capture'
          ? await connector.capture({
              idempotencyKey: op.key,
              reference,
              amount: op.amount!,
              currency: payment.currency,
              paymentId: payment.id,
            })
          : await connector.cancel({ idempotencyKey: op.key, reference, paymentId: payment.id });
    } catch (error) {
      // The acquirer did not decide: the claim stays, and recovery repeats the call under its key.
      if (error instanceof ConnectorUnavailable) return payment;
      throw error;
    }
    // An acquirer that confirms by webhook (`pending`) has accepted the request: it is recorded now.
    if (result.status === 'failed') {
      await this.payments.annotate(payment.id, ['AUTHORIZED'], { pendingOperation: null });
      throw new TillError(
        ErrorCode.InvalidState,
        `The processor refused the ${op.kind}: ${result.message}.`,
        'id',
      );
    }
    return op.kind === 'capture'
      ? this.payments.advance(payment.id, ['AUTHORIZED'], 'SUCCEEDED', {
          amountCaptured: op.amount,
          pendingOperation: null,
        })
      : this.payments.advance(payment.id, ['AUTHORIZED'], voidAs, { pendingOperation: null });
  }
}
