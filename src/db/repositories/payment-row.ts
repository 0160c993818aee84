import { BigIntType, ReferenceKind, type EntityMetadata } from '@mikro-orm/core';
import type { PaymentRecord, Refund } from '../../domain/payment.js';
import { fromUnixSeconds, unixSeconds } from '../../domain/time.js';
import type { Payment as PaymentRow, StoredRefund } from '../entities/payment.entity.js';

/** A stored refund document as the domain's Refund. */
export function refundFromStored(r: StoredRefund): Refund {
  return {
    id: r.id,
    paymentId: r.payment_id,
    amount: r.amount,
    status: r.status,
    reason: r.reason,
    failureReason: r.failure_reason,
    createdAt: fromUnixSeconds(r.created_at),
  };
}

export function storedRefund(r: Refund): StoredRefund {
  return {
    id: r.id,
    object: 'refund',
    payment_id: r.paymentId,
    amount: r.amount,
    status: r.status,
    reason: r.reason,
    failure_reason: r.failureReason,
    created_at: unixSeconds(r.createdAt),
  };
}

/** Reads a row of `payment` as the database driver gives it into the entity's shape. */
export type StoredRowReader = (columns: Record<string, unknown>) => PaymentRow;

/**
 * A reader of raw `payment` rows (column names; bigint as text, times as text on PostgreSQL) into
 * the entity's properties and types, for `paymentFromRow`, built from the ORM's metadata of the
 * table. Lists read this way: the ORM's entities (identity map, change tracking) cost more than the
 * query for a page of rows nobody changes.
 */
export function storedRowReader(meta: EntityMetadata<PaymentRow>): StoredRowReader {
  const columns = meta.props
    .filter((prop) => prop.kind === ReferenceKind.SCALAR && prop.fieldNames?.length === 1)
    .map((prop) => ({
      column: prop.fieldNames[0]!,
      name: prop.name as string,
      kind: prop.customType instanceof BigIntType ? 'number' : prop.runtimeType === 'Date' ? 'date' : 'value',
    }));
  return (raw) => {
    const row: Record<string, unknown> = {};
    for (const { column, name, kind } of columns) {
      const value = raw[column];
      row[name] =
        value == null || kind === 'value'
          ? value
          : kind === 'number'
            ? Number(value)
            : value instanceof Date
              ? value
              : new Date(value as string);
    }
    return row as PaymentRow;
  };
}

/** The payment a stored row holds: the one place a row becomes a domain payment. */
export function paymentFromRow(row: PaymentRow): PaymentRecord {
  const op = row.pendingOperation;
  return {
    id: row.id,
    merchantId: row.merchantId,
    livemode: row.livemode,
    status: row.status,
    integrationType: row.integrationType,
    transactionType: row.transactionType,
    amount: row.amount,
    currency: row.currency,
    amountRefunded: row.amountRefunded,
    amountCaptured: row.amountCaptured ?? null,
    merchantReference: row.merchantReference ?? null,
    description: row.description ?? null,
    locale: row.locale ?? null,
    card: row.card
      ? {
          brand: row.card.brand,
          last4: row.card.last4,
          expMonth: row.card.exp_month,
          expYear: row.card.exp_year,
          country: row.card.country,
        }
      : null,
    billingDetails: row.billingDetails ?? null,
    metadata: row.metadata ?? {},
    declineCode: row.declineCode ?? null,
    declineMessage: row.declineMessage ?? null,
    nextAction: row.nextAction
      ? { redirectUrl: row.nextAction.redirect_url, form: row.nextAction.form ?? null }
      : null,
    returnUrl: row.returnUrl ?? null,
    terminalId: row.terminalId ?? null,
    sessionId: row.sessionId ?? null,
    successUrl: row.successUrl ?? null,
    cancelUrl: row.cancelUrl ?? null,
    errorUrl: row.errorUrl ?? null,
    customer: row.customer ?? null,
    cardToken: row.cardToken ?? null,
    refunds: (row.refunds ?? []).map(refundFromStored),
    transitions: {
      requiresActionAt: row.requiresActionAt ?? null,
      processingAt: row.processingAt ?? null,
      authorizedAt: row.authorizedAt ?? null,
      succeededAt: row.succeededAt ?? null,
      failedAt: row.failedAt ?? null,
      canceledAt: row.canceledAt ?? null,
      expiredAt: row.expiredAt ?? null,
    },
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    version: row.version,
    country: row.country ?? null,
    tokenization: row.tokenization,
    sessionTokenHash: row.sessionTokenHash ?? null,
    processorRoute: row.processor
      ? {
          connector: row.processor,
          accountId: row.connectorAccountId ?? null,
          reference: row.processorChargeId ?? null,
        }
      : null,
    chargeAttempts: (row.processorAttempts ?? []).map((a) => ({
      connector: a.connector,
      accountId: a.account_id,
      reference: a.reference,
      status: a.status,
      error: a.error,
      createdAt: fromUnixSeconds(a.created_at),
      checkedAt: a.checked_at == null ? null : fromUnixSeconds(a.checked_at),
    })),
    processorChargeKey: row.processorChargeKey ?? null,
    attempts: row.attempts,
    pendingOperation: op
      ? { kind: op.kind, amount: op.amount, key: op.key, requestedAt: op.requested_at }
      : null,
    authorizationExpiresAt: row.authorizationExpiresAt ?? null,
    reconcileAfter: row.reconcileAfter ?? null,
  };
}

/** The columns that change over a payment's life, as stored (the rest are fixed at creation). */
export function mutableColumns(p: PaymentRecord): Partial<PaymentRow> {
  const op = p.pendingOperation;
  return {
    status: p.status,
    amountRefunded: p.amountRefunded,
    amountCaptured: p.amountCaptured,
    card: p.card
      ? {
          brand: p.card.brand,
          last4: p.card.last4,
          exp_month: p.card.expMonth,
          exp_year: p.card.expYear,
          country: p.card.country,
        }
      : null,
    declineCode: p.declineCode,
    declineMessage: p.declineMessage,
    nextAction: p.nextAction
      ? { redirect_url: p.nextAction.redirectUrl, form: p.nextAction.form ?? null }
      : null,
    cardToken: p.cardToken,
    refunds: p.refunds.map(storedRefund),
    requiresActionAt: p.transitions.requiresActionAt,
    processingAt: p.transitions.processingAt,
    authorizedAt: p.transitions.authorizedAt,
    succeededAt: p.transitions.succeededAt,
    failedAt: p.transitions.failedAt,
    canceledAt: p.transitions.canceledAt,
    expiredAt: p.transitions.expiredAt,
    version: p.version,
    processor: p.processorRoute?.connector ?? null,
    connectorAccountId: p.processorRoute?.accountId ?? null,
    processorChargeId: p.processorRoute?.reference ?? null,
    processorAttempts: p.chargeAttempts.map((a) => ({
      connector: a.connector,
      account_id: a.accountId,
      reference: a.reference,
      status: a.status,
      error: a.error,
      created_at: unixSeconds(a.createdAt),
      checked_at: a.checkedAt ? unixSeconds(a.checkedAt) : null,
    })),
    processorChargeKey: p.processorChargeKey,
    attempts: p.attempts,
    pendingOperation: op
      ? { kind: op.kind, amount: op.amount, key: op.key, requested_at: op.requestedAt }
      : null,
    authorizationExpiresAt: p.authorizationExpiresAt,
    reconcileAfter: p.reconcileAfter,
  };
}
