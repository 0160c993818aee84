import type { PaymentRepository } from '../db/repositories/payments.js';
import type { ChargeAttempt, PaymentRecord } from '../domain/payment.js';
import { PAYMENT_STATUSES } from '../domain/payment-status.js';
import type { ConnectorAccount } from '../processors/connector.js';
import type { ConnectorRegistry } from '../processors/registry.js';
import type { ConnectorAccountService } from './connector-accounts.js';
import type { PaymentService } from './payments.js';

interface Logger {
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
        ? await this.connectors.for(account).lookup({
            reference: attempt.reference,
            paymentId: payment.id,
            idempotencyKey: `${payment.id}:${payment.attempts}:${account.id}`,
            charge: {
              amount: payment.amount,
              currency: payment.currency,
              capture: payment.transactionType !== 'AUTHORIZE',
              simulation: {},
              tokenize: false,
            },
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
        await this.release(account, payment, outcome.reference, outcome.captured);
        released += 1;
      }
      checked.push({ ...attempt, checkedAt: new Date() });
    }
    await this.payments.annotate(payment.id, PAYMENT_STATUSES, { chargeAttempts: checked });
    return released;
  }

  private async release(
    account: ConnectorAccount,
    payment: PaymentRecord,
    reference: string,
    captured: boolean,
  ): Promise<void> {
    const connector = this.connectors.for(account);
    const idempotencyKey = `${payment.id}:release:${reference}`;
    const result = captured
      ? await connector.refund({
          idempotencyKey,
          reference,
          amount: payment.amount,
          currency: payment.currency,
          paymentId: payment.id,
          refundId: idempotencyKey,
        })
      : await connector.cancel({ idempotencyKey, reference, paymentId: payment.id });
    this.log.warn(
      {
        paymentId: payment.id,
        accountId: account.id,
        reference,
        release: captured ? 'refund' : 'void',
        result: result.status,
      },
      'released a charge an acquirer made after Till had moved on',
    );
  }
}
