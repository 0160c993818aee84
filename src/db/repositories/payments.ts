import { LockMode } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { PaymentFilter } from '../../domain/payment-filter.js';
import type { PaymentStatus } from '../../domain/payment-status.js';
import type { PaymentRecord } from '../../domain/payment.js';
import type { EventType } from '../../events/topics.js';
import type { TerminalFacts } from '../../domain/payment-rules.js';
import { MerchantSchema } from '../entities/merchant.entity.js';
import { PaymentSchema } from '../entities/payment.entity.js';
import { TerminalSchema } from '../entities/terminal.entity.js';
import type { Database } from '../orm.js';
import { runWrites, type Write } from '../statements.js';
import {
  mutableColumns,
  paymentFromRow,
  storedRefund,
  storedRowReader,
  type StoredRowReader,
} from './payment-row.js';
import { newestFirst } from './payment-where.js';

/** Whose payments a read may see: one merchant, in one mode. */
export interface PaymentScope {
  merchantId: string;
  livemode: boolean;
}

/** What a CSV export reads of a payment. */
const EXPORT_COLUMNS = [
  'id',
  'created_at',
  'status',
  'amount',
  'currency',
  'amount_refunded',
  'merchant_reference',
  'description',
  'card',
  'decline_code',
]
  .map((column) => `p.${column}`)
  .join(', ');

/** What a CSV export shows of a payment. */
export interface ExportRow {
  id: string;
  createdAt: Date;
  status: PaymentStatus;
  amount: number;
  currency: string;
  amountRefunded: number;
  merchantReference: string | null;
  description: string | null;
  cardBrand: string | null;
  cardLast4: string | null;
  declineCode: string | null;
}

/** The outbox event written with a new payment (see `insert`); `data` is its JSON text. */
export interface NewPaymentEvent {
  id: string;
  type: EventType;
  data: string;
  createdAt: Date;
  traceparent: string | null;
  /** The relay that publishes it at commit (`announceAtCommit`), or null: the relay's batches. */
  announcedBy: string | null;
}

/** A payment by id or by hosted-session id, optionally within a scope. */
export type PaymentKey = ({ id: string } | { sessionId: string }) & Partial<PaymentScope>;

const INSERT_PAYMENT = `insert into payment (id, merchant_id, livemode, status, integration_type, amount,
     currency, amount_refunded, merchant_reference, description, billing_details, metadata, return_url, terminal_id,
     transaction_type, success_url, cancel_url, error_url, customer, country, tokenization, session_id,
     session_token_hash, attempts, refunds, version, created_at, expires_at, locale)
   values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?)`;
const INSERT_EVENT = `insert into event (id, merchant_id, livemode, type, payment_id, data, payment_snapshot, created_at,
     published_at, traceparent, announced_by)
   values (?, ?, ?, ?, ?, ?::jsonb, null, ?, null, ?, ?)`;

/**
 * The writes of a new payment: its row in one plain INSERT (creation is the hot path, and a new row
 * needs none of the ORM's mapping or change tracking) and, with `event`, its outbox row. Column
 * order matches the migrations. `insert` runs them; a caller with a statement of its own to send
 * in the same transaction may run them with it instead (see `runWrites`): both ride as
 * data-modifying WITHs of the next statement, one round trip for all (the event's foreign key to
 * the payment is checked at the end of that statement, once both rows exist).
 */
export function newPaymentWrites(p: PaymentRecord, event?: NewPaymentEvent): Write[] {
  const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
  const payment: Write = {
    sql: INSERT_PAYMENT,
    params: [
      p.id,
      p.merchantId,
      p.livemode,
      p.status,
      p.integrationType,
      p.amount,
      p.currency,
      p.amountRefunded,
      p.merchantReference,
      p.description,
      json(p.billingDetails),
      json(p.metadata),
      p.returnUrl,
      p.terminalId,
      p.transactionType,
      p.successUrl,
      p.cancelUrl,
      p.errorUrl,
      json(p.customer),
      p.country,
      p.tokenization,
      p.sessionId,
      p.sessionTokenHash,
      p.attempts,
      json(p.refunds.map(storedRefund)),
      p.version,
      p.createdAt,
      p.expiresAt,
      p.locale,
    ],
  };
  if (!event) return [payment];
  return [
    payment,
    {
      sql: INSERT_EVENT,
      params: [
        event.id,
        p.merchantId,
        p.livemode,
        event.type,
        p.id,
        event.data,
        event.createdAt,
        event.traceparent,
        event.announcedBy,
      ],
    },
  ];
}

/**
 * Where payments are stored: every query and write of the `payment` table (and what a payment's
 * checkout reads with it). Reads return domain payments; writes take them. Methods that take `em`
 * run inside the caller's transaction (PGlite has one connection, which the transaction holds).
 */
export class PaymentRepository {
  constructor(private readonly db: Database) {}

  /** Runs `work` in a new transaction; what it saved is committed together (or not at all). */
  transaction<T>(work: (em: SqlEntityManager) => Promise<T>): Promise<T> {
    return this.db.em.fork().transactional(work);
  }

  async find(key: PaymentKey, em?: SqlEntityManager): Promise<PaymentRecord | null> {
    const row = await (em ?? this.db.em.fork()).findOne(PaymentSchema, key);
    return row ? paymentFromRow(row) : null;
  }

  /** A merchant's payment by its acquirer's reference for the charge (a PaymentIntent id, a pspReference). */
  async findByProcessorReference(merchantId: string, reference: string): Promise<PaymentRecord | null> {
    const row = await this.db.em.fork().findOne(PaymentSchema, { merchantId, processorChargeId: reference });
    return row ? paymentFromRow(row) : null;
  }

  /** Reads and locks (FOR UPDATE) a payment until the transaction ends; `save` writes it back. */
  async lock(em: SqlEntityManager, key: PaymentKey): Promise<PaymentRecord | null> {
    const row = await em.findOne(PaymentSchema, key, { lockMode: LockMode.PESSIMISTIC_WRITE });
    return row ? paymentFromRow(row) : null;
  }

  /** Writes a payment read by `lock` or `lockDueForExpiry` in the same transaction (changed columns only). */
  save(em: SqlEntityManager, payment: PaymentRecord): void {
    Object.assign(em.getReference(PaymentSchema, payment.id), mutableColumns(payment));
  }

  /** Whether a scope has a payment with this id (a list's cursor must name one). */
  async exists(scope: PaymentScope, id: string): Promise<boolean> {
    const rows = await this.db.em
      .fork()
      .execute<unknown[]>('select 1 from payment where id = ? and merchant_id = ? and livemode = ?', [
        id,
        scope.merchantId,
        scope.livemode,
      ]);
    return rows.length > 0;
  }

  /**
   * A scope's payments matching `filter`, newest first, from after the payment `after` when given
   * (an unknown `after` gives none). Read as plain rows, not entities: a page of a hundred rows
   * that nobody changes needs neither the identity map nor change tracking.
   */
  async list(
    scope: PaymentScope,
    options: { limit: number; filter: PaymentFilter; after?: string | null },
  ): Promise<PaymentRecord[]> {
    const query = newestFirst(scope, options.filter, options.after ?? null, options.limit, 'p.*');
    if (!query) return [];
    const rows = await this.db.em.fork().execute<Record<string, unknown>[]>(query.sql, query.params);
    const read = this.rowReader();
    return rows.map((row) => paymentFromRow(read(row)));
  }

  /**
   * Up to `limit` of a scope's payments matching `filter`, newest first, with only the columns an
   * export shows (plain rows, as for `list`).
   */
  async exportRows(scope: PaymentScope, filter: PaymentFilter, limit: number): Promise<ExportRow[]> {
    const query = newestFirst(scope, filter, null, limit, EXPORT_COLUMNS);
    if (!query) return [];
    const rows = await this.db.em.fork().execute<Record<string, unknown>[]>(query.sql, query.params);
    const read = this.rowReader();
    return rows.map((row) => {
      const r = read(row);
      return {
        id: r.id,
        createdAt: r.createdAt,
        status: r.status,
        amount: r.amount,
        currency: r.currency,
        amountRefunded: r.amountRefunded,
        merchantReference: r.merchantReference ?? null,
        description: r.description ?? null,
        cardBrand: r.card?.brand ?? null,
        cardLast4: r.card?.last4 ?? null,
        declineCode: r.declineCode ?? null,
      };
    });
  }

  private reader: StoredRowReader | null = null;
  private rowReader(): StoredRowReader {
    return (this.reader ??= storedRowReader(this.db.em.getMetadata().get(PaymentSchema)));
  }

  /** PROCESSING payments untouched since `before`. */
  async processingSince(before: Date, limit: number): Promise<PaymentRecord[]> {
    const rows = await this.db.em.fork().find(
      PaymentSchema,
      {
        status: 'PROCESSING',
        processingAt: { $lte: before },
        // Those asked recently wait their turn, so they never crowd out the rest.
        $or: [{ reconcileAfter: null }, { reconcileAfter: { $lte: new Date() } }],
      },
      { limit, orderBy: { processingAt: 'asc' } },
    );
    return rows.map(paymentFromRow);
  }

  /**
   * Payments with a try at an acquirer that ended in a technical failure (it may have charged
   * anyway) nobody has checked yet, claimed before `before`.
   */
  async withUncheckedFailures(before: Date, limit: number): Promise<PaymentRecord[]> {
    const ids = await this.db.em.fork().execute<{ id: string }[]>(
      `select id from payment
        where processor_attempts @> '[{"status": "technical_failure", "checked_at": null}]'::jsonb
          and processing_at <= ?
        order by processing_at limit ?`,
      [before, limit],
    );
    if (ids.length === 0) return [];
    const rows = await this.db.em.fork().find(PaymentSchema, { id: { $in: ids.map((r) => r.id) } });
    return rows.map(paymentFromRow);
  }

  /** AUTHORIZED payments whose capture window closed by `now`. */
  async authorizationsDue(now: Date, limit: number): Promise<PaymentRecord[]> {
    const rows = await this.db.em
      .fork()
      .find(
        PaymentSchema,
        { status: 'AUTHORIZED', authorizationExpiresAt: { $lte: now } },
        { limit, orderBy: { authorizationExpiresAt: 'asc' } },
      );
    return rows.map(paymentFromRow);
  }

  /** AUTHORIZED payments with a capture or void claimed and not yet recorded. */
  async withPendingOperation(limit: number): Promise<PaymentRecord[]> {
    const rows = await this.db.em
      .fork()
      .find(PaymentSchema, { status: 'AUTHORIZED', pendingOperation: { $ne: null } }, { limit });
    return rows.map(paymentFromRow);
  }

  /**
   * Locks unpaid payments in `statuses` whose session time ran out by `now`, skipping rows another
   * transaction holds (FOR UPDATE SKIP LOCKED), so any number of instances can expire at once.
   */
  async lockDueForExpiry(
    em: SqlEntityManager,
    statuses: readonly PaymentStatus[],
    now: Date,
    limit: number,
  ): Promise<PaymentRecord[]> {
    const rows = await em.find(
      PaymentSchema,
      { status: { $in: [...statuses] }, expiresAt: { $lte: now } },
      { lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE, limit, orderBy: { expiresAt: 'asc' } },
    );
    return rows.map(paymentFromRow);
  }

  /** Writes a new payment (and its event) in one statement: see {@link newPaymentWrites}. */
  async insert(em: SqlEntityManager, p: PaymentRecord, event?: NewPaymentEvent): Promise<void> {
    await runWrites(em, newPaymentWrites(p, event));
  }

  /** One of a merchant's terminals, as the payment rules need it. */
  async terminal(
    merchantId: string,
    terminalId: string,
    em?: SqlEntityManager,
  ): Promise<TerminalFacts | null> {
    return (em ?? this.db.em.fork()).findOne(TerminalSchema, { merchantId, id: terminalId });
  }

  /** What a payment's hosted page shows of its merchant: the name and the publishable key. */
  async merchantOf(
    payment: Pick<PaymentRecord, 'merchantId'>,
  ): Promise<{ name: string; clientKey: string | null } | null> {
    const merchant = await this.db.em.fork().findOne(MerchantSchema, { id: payment.merchantId });
    return merchant ? { name: merchant.name, clientKey: merchant.clientKey ?? null } : null;
  }

  /**
   * Keeps the card a paid payment saved for future payments (tokenization) under `token`, with the
   * fingerprint the processor's vault gave the card. Repeating it for the same token changes nothing.
   */
  async saveCardToken(payment: PaymentRecord, token: string): Promise<void> {
    const card = payment.card!;
    const em = this.db.em.fork();
    // The sandbox acquirer's vault knows the card behind its charge; other acquirers keep their own.
    const [row] = await em.execute<{ fingerprint: string; ref: string }[]>(
      `select c.fingerprint, c.ref from sandbox_charge ch join sandbox_card c on c.ref = ch.card_ref
        where ch.id = ?`,
      [payment.processorRoute?.reference ?? null],
    );
    await em.execute(
      `insert into card_token (id, merchant_id, livemode, customer_id, brand, last4, exp_month, exp_year, fingerprint, processor, processor_ref, payment_id, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()) on conflict (id) do nothing`,
      [
        token,
        payment.merchantId,
        payment.livemode,
        payment.customer?.id ?? null,
        card.brand,
        card.last4,
        card.expMonth,
        card.expYear,
        row?.fingerprint ?? '',
        payment.processorRoute?.connector ?? null,
        row?.ref ?? payment.processorRoute?.reference ?? null,
        payment.id,
      ],
    );
  }
}
