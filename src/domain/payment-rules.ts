import type { FieldProblem } from './errors.js';
import { MAX_AMOUNT, V1_CURRENCIES } from './money.js';
import { LIMITS, type BillingDetails, type CreateHostedPaymentInput } from './payment.js';

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

/**
 * Seed 004's rules for a new hosted payment, whatever surface it came through. Returns every
 * problem found (empty when the input is acceptable); field paths use the domain's spelling.
 */
export function checkCreateHostedPayment(input: CreateHostedPaymentInput): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (!Number.isSafeInteger(input.amount) || input.amount < 1 || input.amount > MAX_AMOUNT)
    out.push({ field: 'amount', message: `amount must be an integer from 1 to ${MAX_AMOUNT}` });
  if (!(V1_CURRENCIES as readonly string[]).includes(input.currency))
    out.push({
      field: 'currency',
      message: `currency '${input.currency}' is not supported; supported: ${V1_CURRENCIES.join(', ')}`,
    });
  const urlError = urlProblem(input.returnUrl);
  if (urlError) out.push({ field: 'returnUrl', message: `return_url ${urlError}` });
  if (input.merchantReference != null && input.merchantReference.length > LIMITS.merchantReference)
    out.push({
      field: 'merchantReference',
      message: `merchant_reference must be at most ${LIMITS.merchantReference} characters`,
    });
  if (input.description != null && input.description.length > LIMITS.description)
    out.push({
      field: 'description',
      message: `description must be at most ${LIMITS.description} characters`,
    });
  if (input.metadata != null) {
    const keys = Object.keys(input.metadata);
    if (keys.length > LIMITS.metadataKeys)
      out.push({ field: 'metadata', message: `metadata may have at most ${LIMITS.metadataKeys} keys` });
    const longKey = keys.find((k) => k.length === 0 || k.length > LIMITS.metadataKeyLength);
    if (longKey !== undefined)
      out.push({
        field: 'metadata',
        message: `metadata keys must be 1 to ${LIMITS.metadataKeyLength} characters (got '${longKey.slice(0, 60)}')`,
      });
    if (Buffer.byteLength(JSON.stringify(input.metadata)) > LIMITS.metadataBytes)
      out.push({
        field: 'metadata',
        message: `metadata must be at most ${LIMITS.metadataBytes} bytes as JSON`,
      });
  }
  if (input.billingDetails) checkBilling(input.billingDetails, out);
  return out;
}
