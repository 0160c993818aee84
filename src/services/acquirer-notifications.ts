import type { PaymentRepository } from '../db/repositories/payments.js';
import { ErrorCode, TillError } from '../domain/errors.js';
import { PAYMENT_ID_PATTERN } from '../domain/ids.js';
import type { PaymentRecord } from '../domain/payment.js';
import {
  type ConnectorAccount,
  type ConnectorKind,
  type ConnectorNotification,
} from '../processors/connector.js';
import type { ConnectorRegistry } from '../processors/registry.js';
import { attemptOf, type ChargeService } from './charging.js';
import type { ConnectorAccountService } from './connector-accounts.js';
import type { PaymentService } from './payments.js';
import { releaseCharge } from './stray-charges.js';
import type { RefundService } from './refunds.js';

interface Logger {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** What an acquirer's webhook did, for the route's answer and the tests. */
export interface NotificationReceipt {
  applied: number;
  ignored: number;
}

/**
 * Acquirers' webhooks: verified with the account's secret, then applied to payments and refunds
 * idempotently and in any order — a status already recorded is left as it is, an approval for a
 * payment Till gave up on (or moved to another account) is released at the acquirer, so a customer
 * is never charged twice.
 */
export class AcquirerNotifications {
  constructor(
    private readonly accounts: ConnectorAccountService,
    private readonly connectors: ConnectorRegistry,
    private readonly charging: ChargeService,
    private readonly payments: PaymentService,
    private readonly repository: PaymentRepository,
    private readonly refunds: RefundService,
    private readonly log: Logger,
  ) {}

  /** Verifies and applies one webhook body for an account; NotFound / InvalidNotification change nothing. */
  async receive(
    connector: ConnectorKind,
    accountId: string,
    rawBody: string,
    headers: Record<string, string | string[] | undefined>,
  ): Promise<NotificationReceipt> {
    const account = await this.accounts.openUnscoped(accountId);
    if (!account || account.connector !== connector)
      throw new TillError(
        ErrorCode.NotFound,
        `No such ${connector} connector account: '${accountId}'`,
        'account_id',
      );
    // Throws InvalidNotification on a bad signature, before anything is read or changed.
    const notifications = (await this.connectors.for(account)).parseNotification(rawBody, headers);
    const receipt = { applied: 0, ignored: 0 };
    for (const notification of notifications)
      if (await this.apply(account, notification)) receipt.applied += 1;
      else receipt.ignored += 1;
    return receipt;
  }

  private async apply(account: ConnectorAccount, n: ConnectorNotification): Promise<boolean> {
    const payment = await this.paymentOf(account, n.paymentId, n.reference);
    if (!payment) {
      this.log.warn(
        { accountId: account.id, kind: n.kind, reference: n.reference },
        'webhook names no payment of this account',
      );
      return false;
    }
    switch (n.kind) {
      case 'authorization':
        return this.authorization(account, payment, n);
      case 'refund': {
        const refund = payment.refunds.find((r) => r.id === n.refundId);
        if (!refund) return false;
        await this.refunds.recordOutcome(
          refund.id,
          payment.id,
          n.success
            ? { succeeded: true }
            : { succeeded: false, reason: n.message ?? 'The acquirer refused the refund.' },
        );
        return true;
      }
      case 'capture':
      case 'cancel':
        // Till records a capture or void when the acquirer accepts it; a later refusal needs a person.
        if (!n.success)
          this.log.error(
            { paymentId: payment.id, accountId: account.id, kind: n.kind, reference: n.reference },
            `the acquirer reports a failed ${n.kind} that it had accepted`,
          );
        return n.success;
    }
  }

  private async authorization(
    account: ConnectorAccount,
    payment: PaymentRecord,
    n: Extract<ConnectorNotification, { kind: 'authorization' }>,
  ): Promise<boolean> {
    const routedHere = payment.processorRoute?.accountId === account.id;
    const approved = n.outcome.status === 'approved';
    // An approval at an account the payment no longer uses (a timeout Till failed over from, a
    // payment it failed or canceled): the money is released there.
    if (approved && (!routedHere || ['FAILED', 'CANCELED', 'EXPIRED'].includes(payment.status))) {
      await releaseCharge(
        await this.connectors.for(account),
        payment,
        n.reference,
        n.outcome.status === 'approved' && n.outcome.captured,
        this.log,
      );
      return true;
    }
    if (!routedHere) return false;
    let current = payment;
    if (current.status === 'REQUIRES_ACTION') {
      // The customer authenticated but never came back to Till's page: the acquirer's word settles it.
      current = await this.payments
        .advance(payment.id, ['REQUIRES_ACTION'], 'PROCESSING', { nextAction: null })
        .catch(async () => (await this.payments.findForCheckout({ id: payment.id }))!);
    }
    if (current.status !== 'PROCESSING') return false; // already recorded: nothing changes
    const outcome =
      n.outcome.status === 'approved'
        ? {
            status: 'approved' as const,
            reference: n.reference,
            captured: n.outcome.captured,
            approvalCode: null,
          }
        : {
            status: 'declined' as const,
            reference: n.reference,
            code: n.outcome.code,
            message: n.outcome.message,
            acquirerCode: n.outcome.acquirerCode,
          };
    // The acquirer's word is an attempt like a synchronous answer: the payment's history shows it.
    await this.charging.record(current.id, account, outcome, [
      ...current.chargeAttempts,
      attemptOf(account, outcome),
    ]);
    return true;
  }

  /** The account's merchant's payment a webhook names, by Till's id or by the acquirer's reference. */
  private async paymentOf(
    account: ConnectorAccount,
    paymentId: string | null,
    reference: string,
  ): Promise<PaymentRecord | null> {
    if (paymentId && PAYMENT_ID_PATTERN.test(paymentId)) {
      const payment = await this.payments.findForCheckout({ id: paymentId });
      if (payment && payment.merchantId === account.merchantId && payment.livemode === account.livemode)
        return payment;
    }
    return this.repository.findByProcessorReference(account.merchantId, reference);
  }
}
