import { invalid, invalidFields } from '../../domain/errors.js';
import { checkCreateHostedPayment } from '../../domain/payment-rules.js';
import type { Address, BillingDetails, CreateHostedPaymentInput } from '../../domain/payment.js';
import { toSnakePath } from './errors.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function rejectUnknown(obj: Json, allowed: readonly string[], prefix: string): void {
  for (const key of Object.keys(obj))
    if (!allowed.includes(key))
      throw invalid(`${prefix}${key}`, `Received unknown parameter: ${prefix}${key}`);
}

function optionalString(obj: Json, key: string, prefix: string): string | null {
  const value = obj[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalid(`${prefix}${key}`, `${prefix}${key} must be a string`);
  return value;
}

const ADDRESS_KEYS = ['line1', 'line2', 'city', 'state', 'postal_code', 'country'] as const;
const BILLING_KEYS = ['email', 'first_name', 'last_name', 'phone', 'address'] as const;
const BODY_KEYS = [
  'amount',
  'currency',
  'return_url',
  'merchant_reference',
  'billing_details',
  'description',
  'metadata',
  'locale',
] as const;

function parseBilling(value: unknown): BillingDetails | null {
  if (value === undefined || value === null) return null;
  const p = 'billing_details.';
  if (!isObject(value)) throw invalid('billing_details', 'billing_details must be an object');
  rejectUnknown(value, BILLING_KEYS, p);
  let address: Address | null = null;
  if (value.address !== undefined && value.address !== null) {
    if (!isObject(value.address)) throw invalid(`${p}address`, `${p}address must be an object`);
    const a = value.address;
    rejectUnknown(a, ADDRESS_KEYS, `${p}address.`);
    address = Object.fromEntries(
      ADDRESS_KEYS.map((k) => [k, optionalString(a, k, `${p}address.`)]),
    ) as Address;
  }
  return {
    email: optionalString(value, 'email', p),
    first_name: optionalString(value, 'first_name', p),
    last_name: optionalString(value, 'last_name', p),
    phone: optionalString(value, 'phone', p),
    address,
  };
}

/**
 * Seed 004's `POST /v1/payments/hpp` body → the domain input. Types and unknown fields are checked
 * here (the wire's business); the amount, URL, length and metadata rules are the domain's, shared
 * with GraphQL. Throws a TillError whose field is the wire's parameter name.
 */
export function parseCreateHppPayment(body: unknown): CreateHostedPaymentInput {
  if (!isObject(body)) throw invalid('body', 'The request body must be a JSON object');
  rejectUnknown(body, BODY_KEYS, '');
  for (const key of ['amount', 'currency', 'return_url'] as const)
    if (body[key] === undefined || body[key] === null) throw invalid(key, `Missing required param: ${key}`);
  if (typeof body.amount !== 'number' || !Number.isInteger(body.amount))
    throw invalid('amount', 'amount must be an integer number of minor units');
  if (typeof body.currency !== 'string') throw invalid('currency', 'currency must be a string');
  if (typeof body.return_url !== 'string') throw invalid('return_url', 'return_url must be a string');
  if (body.metadata !== undefined && body.metadata !== null && !isObject(body.metadata))
    throw invalid('metadata', 'metadata must be a JSON object');
  const input: CreateHostedPaymentInput = {
    rules: 'v1',
    amount: body.amount,
    currency: body.currency,
    returnUrl: body.return_url,
    merchantReference: optionalString(body, 'merchant_reference', ''),
    description: optionalString(body, 'description', ''),
    locale: optionalString(body, 'locale', ''),
    billingDetails: parseBilling(body.billing_details),
    metadata: (body.metadata as Json | null | undefined) ?? null,
  };
  const problems = checkCreateHostedPayment(input);
  if (problems.length > 0) throw invalidFields(problems.map((p) => ({ ...p, field: toSnakePath(p.field) })));
  return input;
}
