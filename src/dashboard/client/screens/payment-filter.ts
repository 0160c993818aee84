/** The payments screen's filter form, as the `PaymentFilter` it sends and as a test for live rows. */
import { parseMajorAmount } from '../../../domain/money.js';
import type { PaymentFilter, PaymentRow, PaymentStatus } from '../operations.js';

export interface FilterForm {
  status: PaymentStatus | '';
  /** yyyy-mm-dd, the browser's local day. */
  from: string;
  to: string;
  /** Major units (12.50), as typed. */
  min: string;
  max: string;
  search: string;
}

export const EMPTY_FORM: FilterForm = { status: '', from: '', to: '', min: '', max: '', search: '' };

const DAY_MS = 86_400_000;
const startOfDay = (date: string) => Math.floor(new Date(`${date}T00:00:00`).getTime() / 1000);
/** The amounts typed are in major units of two decimals (the common case); the API counts minor units. */
const minor = (value: string) => parseMajorAmount(value, 'EUR');

export function filterOf(form: FilterForm): PaymentFilter | null {
  const filter: PaymentFilter = {};
  if (form.status) filter.statuses = [form.status];
  if (form.from) filter.createdFrom = startOfDay(form.from);
  // The whole of the last day counts.
  if (form.to) filter.createdTo = startOfDay(form.to) + DAY_MS / 1000 - 1;
  const min = form.min === '' ? null : minor(form.min);
  const max = form.max === '' ? null : minor(form.max);
  if (min !== null) filter.amountMin = min;
  if (max !== null) filter.amountMax = max;
  if (form.search.trim()) filter.search = form.search.trim();
  return Object.keys(filter).length ? filter : null;
}

/** Whether a payment reported live belongs in the table the filter shows. */
export function matches(filter: PaymentFilter | null, p: PaymentRow): boolean {
  if (!filter) return true;
  if (filter.statuses && !filter.statuses.includes(p.status)) return false;
  if (filter.createdFrom != null && p.createdAt < filter.createdFrom) return false;
  if (filter.createdTo != null && p.createdAt > filter.createdTo) return false;
  if (filter.amountMin != null && p.amount < filter.amountMin) return false;
  if (filter.amountMax != null && p.amount > filter.amountMax) return false;
  if (filter.currency && p.currency !== filter.currency) return false;
  if (filter.search && p.id !== filter.search && !(p.merchantReference ?? '').startsWith(filter.search))
    return false;
  return true;
}
