import { invalidFields, type FieldProblem } from './errors.js';
import { PAYMENT_STATUSES, type PaymentStatus } from './payment-status.js';

/** Which of a scope's payments a list or an export covers; every criterion given must hold. */
export interface PaymentFilter {
  statuses: readonly PaymentStatus[] | null;
  /** Created at or after (inclusive). */
  createdFrom: Date | null;
  /** Created before (exclusive). */
  createdTo: Date | null;
  amountMin: number | null;
  amountMax: number | null;
  currency: string | null;
  /** A payment id (matched exactly) or the start of a merchant reference. */
  search: string | null;
}

/** A filter as a client sends it: times in Unix seconds, nothing checked yet. */
export interface PaymentFilterInput {
  status?: PaymentStatus | null;
  statuses?: readonly PaymentStatus[] | null;
  createdFrom?: number | null;
  createdTo?: number | null;
  amountMin?: number | null;
  amountMax?: number | null;
  currency?: string | null;
  search?: string | null;
}

export const SEARCH_MAX_LENGTH = 200;
/** The largest Unix time a filter accepts (year 9999), so every bound is a valid timestamp. */
export const MAX_UNIX_SECONDS = 253402300799;

export const NO_FILTER: PaymentFilter = {
  statuses: null,
  createdFrom: null,
  createdTo: null,
  amountMin: null,
  amountMax: null,
  currency: null,
  search: null,
};

/**
 * The checked filter, or every problem at once (fields named `<prefix>.<field>`). `status` and
 * `statuses` both narrow: a payment must match each one given.
 */
export function checkPaymentFilter(
  input: PaymentFilterInput | null | undefined,
  prefix = 'filter',
): PaymentFilter {
  if (!input) return NO_FILTER;
  const problems: FieldProblem[] = [];
  const problem = (field: string, message: string) => problems.push({ field: `${prefix}.${field}`, message });

  let statuses: PaymentStatus[] | null = input.statuses ? [...new Set(input.statuses)] : null;
  if (statuses?.some((s) => !PAYMENT_STATUSES.includes(s)))
    problem('statuses', `statuses must be payment statuses (${PAYMENT_STATUSES.join(', ')})`);
  if (statuses && statuses.length === 0) problem('statuses', 'statuses must name at least one status');
  if (input.status) statuses = statuses ? statuses.filter((s) => s === input.status) : [input.status];

  const time = (field: 'createdFrom' | 'createdTo'): Date | null => {
    const value = input[field];
    if (value == null) return null;
    if (!Number.isSafeInteger(value) || value < 0 || value > MAX_UNIX_SECONDS) {
      problem(field, `${field} must be a Unix time in seconds from 0 to ${MAX_UNIX_SECONDS}`);
      return null;
    }
    return new Date(value * 1000);
  };
  const createdFrom = time('createdFrom');
  const createdTo = time('createdTo');
  if (createdFrom && createdTo && createdFrom >= createdTo)
    problem('createdTo', 'createdTo must be later than createdFrom');

  const amount = (field: 'amountMin' | 'amountMax'): number | null => {
    const value = input[field];
    if (value == null) return null;
    if (!Number.isSafeInteger(value) || value < 0) {
      problem(field, `${field} must be a whole number of minor units, 0 or more`);
      return null;
    }
    return value;
  };
  const amountMin = amount('amountMin');
  const amountMax = amount('amountMax');
  if (amountMin !== null && amountMax !== null && amountMin > amountMax)
    problem('amountMax', 'amountMax must not be less than amountMin');

  let currency: string | null = null;
  if (input.currency != null) {
    currency = input.currency.trim().toUpperCase();
    if (!/^[A-Z]{3}$/.test(currency)) problem('currency', 'currency must be an ISO 4217 code such as EUR');
  }

  let search: string | null = null;
  if (input.search != null) {
    search = input.search.trim() || null;
    if (search && search.length > SEARCH_MAX_LENGTH)
      problem('search', `search must be at most ${SEARCH_MAX_LENGTH} characters`);
  }

  if (problems.length) throw invalidFields(problems);
  return { statuses, createdFrom, createdTo, amountMin, amountMax, currency, search };
}
