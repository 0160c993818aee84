import type { PaymentRepository } from '../db/repositories/payments.js';
import type { ChargeAttempt, PaymentRecord } from '../domain/payment.js';
import { PAYMENT_STATUSES } from '../domain/payment-status.js';
import type { Connector } from '../processors/connector.js';
import type { ConnectorRegistry } from '../processors/registry.js';
import { chargeKey, contextOf } from './charging.js';
import type { ConnectorAccountService } from './connector-accounts.js';
import type { PaymentService } from './payments.js';

export interface Logger {
  warn(object: object, message: string): void;
}

/**
 * A try at an acquirer that timed out may have charged anyway, after Till moved on to the next
 * account (or gave up). This asks each such acquirer, once the dust has settled, whether it holds an
 * approved charge for the payment that the payment does not use — and releases it there: a void
 * when uncaptured, a refund when captured. So a failover never leaves the customer charged twice.
 */
export class StrayCharges {
  constructor(
    private readonly payments: PaymentService,
    private readonly repository: PaymentRepository,
    private readonly accounts: ConnectorAccountService,
    private readonly connectors: ConnectorRegistry,
    private readonly log: Logger,
  ) {}

  /** Checks payments whose failed tries are older than `olderThanMs`; returns how many charges it released. */
  async sweep(olderThanMs: number, limit = 20): Promise<number> {
    const payments = await this.repository.withUncheckedFailures(new Date(Date.now() - olderThanMs), limit);
    let released = 0;
    for (const payment of payments) released += await this.check(payment).catch(() => 0);
    return released;
  }

  private async check(payment: PaymentRecord): Promise<number> {
    let released = 0;
    const checked: ChargeAttempt[] = [];
    for (const attempt of payment.chargeAttempts) {
      if (attempt.status !== 'technical_failure' || attempt.checkedAt) {
        checked.push(attempt);
        continue;
      }
      const account = await this.accounts.open(attempt.accountId, payment.merchantId);
      const kept = payment.processorRoute;
      const outcome = account
        ? await (
            await this.connectors.for(account)
          ).lookup({
            reference: attempt.reference,
            paymentId: payment.id,
            idempotencyKey: chargeKey(payment.id, payment.attempts, account),
            charge: contextOf(payment),
          })
        : null;
      // Still undecided at the acquirer: ask again next time.
      if (outcome?.status === 'pending') {
        checked.push(attempt);
        continue;
      }
      const isKept = kept?.accountId === attempt.accountId && kept?.reference === outcome?.reference;
      const paid = payment.status === 'SUCCEEDED' || payment.status === 'AUTHORIZED';
      if (account && outcome?.status === 'approved' && !(isKept && paid)) {
        await releaseCharge(
          await this.connectors.for(account),
          payment,
          outcome.reference,
          outcome.captured,
          this.log,
        );
        released += 1;
      }
      checked.push({ ...attempt, checkedAt: new Date() });
    }
    await this.payments.annotate(payment.id, PAYMENT_STATUSES, { chargeAttempts: checked });
    return released;
  }
}

/**
 * Releases a charge Till is not keeping, once per reference: a void while uncaptured, a full refund
 * once captured. An AUTHORIZE payment's charge is never captured with its authorization, whatever
 * the acquirer says (Adyen's notifications cannot tell), so it is voided.
 */
export async function releaseCharge(
  connector: Connector,
  payment: PaymentRecord,
  reference: string,
  captured: boolean,
  log: Logger,
): Promise<void> {
  const refund = captured && payment.transactionType !== 'AUTHORIZE';
  const idempotencyKey = `${payment.id}:release:${reference}`;
  const result = refund
    ? await connector.refund({
        idempotencyKey,
        reference,
        amount: payment.amount,
        currency: payment.currency,
        paymentId: payment.id,
        refundId: idempotencyKey,
      })
    : await connector.cancel({ idempotencyKey, reference, paymentId: payment.id });
  log.warn(
    {
      paymentId: payment.id,
      accountId: connector.accountId,
      reference,
      release: refund ? 'refund' : 'void',
      result: result.status,
    },
    'released a charge an acquirer made after Till had moved on',
  );
}
