import type { FieldProblem } from './errors.js';
import { localeProblem } from './locale.js';
import { MAX_AMOUNT, V1_CURRENCIES } from './money.js';
import {
  LIMITS,
  TRANSACTION_TYPES,
  type BillingDetails,
  type CreateHostedPaymentInput,
  type Customer,
} from './payment.js';
import { simulationProblems } from './simulation.js';

/** Absolute http(s) URL of at most 2048 characters, or null with the reason. */
export function urlProblem(value: string): string | null {
  if (value.length > 2048) return 'must be at most 2048 characters';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an absolute http(s) URL';
  if (!url.hostname) return 'must be an absolute http(s) URL';
  return null;
}

const COUNTRY = /^[A-Z]{2}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function checkBilling(b: BillingDetails, out: FieldProblem[]): void {
  const base = 'billingDetails';
  const text = (path: string, v: string | null | undefined) => {
    if (v != null && v.length > LIMITS.billingField)
      out.push({
        field: path,
        message: `${path.split('.').pop()} must be at most ${LIMITS.billingField} characters`,
      });
  };
  text(`${base}.email`, b.email);
  if (b.email != null && !EMAIL.test(b.email))
    out.push({ field: `${base}.email`, message: 'email must be a valid email address' });
  text(`${base}.first_name`, b.first_name);
  text(`${base}.last_name`, b.last_name);
  text(`${base}.phone`, b.phone);
  const a = b.address;
  if (a) {
    for (const key of ['line1', 'line2', 'city', 'state', 'postal_code'] as const)
      text(`${base}.address.${key}`, a[key]);
    if (a.country != null && !COUNTRY.test(a.country))
      out.push({
        field: `${base}.address.country`,
        message: 'country must be a two-letter ISO 3166-1 alpha-2 code in upper case',
      });
  }
}

/** A terminal as the rules need it. */
export interface TerminalFacts {
  id: string;
  currencies: string[];
  paymentMethods: string[];
  tokenization: boolean;
}

/** Seed 000's exact refusal when tokenization is asked of a terminal that does not support it. */
export const TOKENIZATION_UNSUPPORTED = 'one of requested features not supported=[TOKENIZATION]';

const CURRENCY = /^[A-Z]{3}$/;

function checkCustomer(c: Customer, out: FieldProblem[]): void {
  for (const key of [
    'id',
    'first_name',
    'last_name',
    'email',
    'phone',
    'address',
    'city',
    'postal_code',
  ] as const) {
    const v = c[key];
    if (v != null && v.length > LIMITS.billingField)
      out.push({
        field: `customer.${key}`,
        message: `${key} must be at most ${LIMITS.billingField} characters`,
      });
  }
  if (c.email != null && !EMAIL.test(c.email))
    out.push({ field: 'customer.email', message: 'email must be a valid email address' });
  if (c.country != null && !COUNTRY.test(c.country))
    out.push({
      field: 'customer.country',
      message: 'country must be a two-letter ISO 3166-1 alpha-2 code in upper case',
    });
}

/** A metadata value's length: a string's own, anything else's as JSON text (a nested object counts whole). */
const metadataValueLength = (value: unknown) =>
  typeof value === 'string' ? value.length : (JSON.stringify(value) ?? '').length;

function checkMetadata(metadata: Record<string, unknown>, out: FieldProblem[]): void {
  const keys = Object.keys(metadata);
  if (keys.length > LIMITS.metadataKeys)
    out.push({ field: 'metadata', message: `metadata may have at most ${LIMITS.metadataKeys} keys` });
  const longKey = keys.find((k) => k.length === 0 || k.length > LIMITS.metadataKeyLength);
  if (longKey !== undefined)
    out.push({
      field: 'metadata',
      message: `metadata keys must be 1 to ${LIMITS.metadataKeyLength} characters (got '${longKey.slice(0, 60)}')`,
    });
  const longValue = keys.find((k) => metadataValueLength(metadata[k]) > LIMITS.metadataValueLength);
  if (longValue !== undefined)
    out.push({
      field: 'metadata',
      message: `metadata values must be at most ${LIMITS.metadataValueLength} characters (the value of '${longValue.slice(0, 60)}' is longer)`,
    });
  if (Buffer.byteLength(JSON.stringify(metadata)) > LIMITS.metadataBytes)
    out.push({
      field: 'metadata',
      message: `metadata must be at most ${LIMITS.metadataBytes} bytes as JSON`,
    });
}

/**
 * The rules for a new hosted payment, whatever surface it came through: seed 004's (`v1`) or seed
 * 000's (`api`, which also needs the merchant's terminal, or null when it does not exist). Returns
 * every problem found (empty when acceptable); field paths use the domain's spelling.
 */
export function checkCreateHostedPayment(
  input: CreateHostedPaymentInput,
  terminal: TerminalFacts | null = null,
): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (input.locale != null) {
    const problem = localeProblem(input.locale);
    if (problem) out.push({ field: 'locale', message: problem });
  }
  if (!Number.isSafeInteger(input.amount) || input.amount < 1 || input.amount > MAX_AMOUNT)
    out.push({ field: 'amount', message: `amount must be an integer from 1 to ${MAX_AMOUNT}` });

  if (input.rules === 'v1') {
    if (!(V1_CURRENCIES as readonly string[]).includes(input.currency))
      out.push({
        field: 'currency',
        message: `currency '${input.currency}' is not supported; supported: ${V1_CURRENCIES.join(', ')}`,
      });
    const urlError = input.returnUrl == null ? 'is required' : urlProblem(input.returnUrl);
    if (urlError) out.push({ field: 'returnUrl', message: `return_url ${urlError}` });
  } else {
    if (!input.merchantReference) out.push({ field: 'merchantReference', message: 'reference is required' });
    if (!input.terminalId) out.push({ field: 'terminalId', message: 'terminal_id is required' });
    else if (!terminal)
      out.push({
        field: 'terminalId',
        message: `terminal_id '${input.terminalId}' is not one of your terminals`,
      });
    if (!CURRENCY.test(input.currency))
      out.push({
        field: 'currency',
        message: 'currency must be a three-letter ISO 4217 code in upper case (e.g. "EUR")',
      });
    else if (terminal && !terminal.currencies.includes(input.currency))
      out.push({
        field: 'currency',
        message: `currency '${input.currency}' is not supported by terminal ${terminal.id}; supported: ${terminal.currencies.join(', ')}`,
      });
    if (!input.transactionType || !TRANSACTION_TYPES.includes(input.transactionType))
      out.push({ field: 'transactionType', message: 'transaction_type must be "PURCHASE" or "AUTHORIZE"' });
    const urls = [
      ['successUrl', 'success_url', input.successUrl, false],
      ['cancelUrl', 'cancel_url', input.cancelUrl, false],
      ['errorUrl', 'error_url', input.errorUrl, input.errorUrlOptional === true],
    ] as const;
    for (const [field, name, value, optional] of urls) {
      if (value == null) {
        if (!optional) out.push({ field, message: `${name} is required` });
        continue;
      }
      const problem = urlProblem(value);
      if (problem) out.push({ field, message: `${name} ${problem}` });
    }
    if (input.customer) checkCustomer(input.customer, out);
    if (input.country != null && !COUNTRY.test(input.country))
      out.push({
        field: 'country',
        message: 'country must be a two-letter ISO 3166-1 alpha-2 code in upper case',
      });
    if (input.saveCard && terminal && !terminal.tokenization)
      out.push({ field: 'tokenization', message: TOKENIZATION_UNSUPPORTED });
    out.push(...simulationProblems(input.metadata));
  }

  if (input.merchantReference != null && input.merchantReference.length > LIMITS.merchantReference)
    out.push({
      field: 'merchantReference',
      message: `${input.rules === 'v1' ? 'merchant_reference' : 'reference'} must be at most ${LIMITS.merchantReference} characters`,
    });
  if (input.description != null && input.description.length > LIMITS.description)
    out.push({
      field: 'description',
      message: `description must be at most ${LIMITS.description} characters`,
    });
  if (input.metadata != null) checkMetadata(input.metadata, out);
  if (input.billingDetails) checkBilling(input.billingDetails, out);
  return out;
}
