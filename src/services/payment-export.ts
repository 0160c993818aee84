import { stringify } from 'csv-stringify/sync';
import type { ExportRow, PaymentRepository } from '../db/repositories/payments.js';
import type { PaymentFilter } from '../domain/payment-filter.js';
import type { Principal } from './principal.js';

/** The most rows one export holds; `truncated` says when more payments matched. */
export const EXPORT_MAX_ROWS = 10_000;

export const EXPORT_COLUMNS = [
  'id',
  'created_at',
  'status',
  'amount',
  'currency',
  'amount_refunded',
  'merchant_reference',
  'description',
  'card_brand',
  'card_last4',
  'decline_code',
] as const;

/**
 * A text cell a spreadsheet would not run as a formula: one starting with `=`, `+`, `-`, `@`, a tab
 * or a carriage return gets a leading `'` (cells come from merchants' and customers' input).
 */
export function inertCell(value: string | null): string {
  if (value === null) return '';
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function row(p: ExportRow): (string | number)[] {
  return [
    p.id,
    p.createdAt.toISOString(),
    p.status,
    p.amount,
    p.currency,
    p.amountRefunded,
    inertCell(p.merchantReference),
    inertCell(p.description),
    inertCell(p.cardBrand),
    // Only the last four digits are ever stored; the full number never reaches Till's database.
    inertCell(p.cardLast4),
    inertCell(p.declineCode),
  ];
}

export interface PaymentExport {
  csv: string;
  rowCount: number;
  truncated: boolean;
}

/** Payments as CSV (RFC 4180: CRLF line ends, fields quoted when they need it), newest first. */
export class PaymentExportService {
  constructor(private readonly payments: PaymentRepository) {}

  async export(principal: Principal, filter: PaymentFilter): Promise<PaymentExport> {
    const found = await this.payments.exportRows(principal, filter, EXPORT_MAX_ROWS + 1);
    const rows = found.slice(0, EXPORT_MAX_ROWS);
    const csv = stringify([[...EXPORT_COLUMNS], ...rows.map(row)], { record_delimiter: 'windows' });
    return { csv, rowCount: rows.length, truncated: found.length > EXPORT_MAX_ROWS };
  }
}
