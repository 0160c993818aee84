import { invalidFields, type FieldProblem } from '../../domain/errors.js';
import type { CreateHostedPaymentInput, Customer, TransactionType } from '../../domain/payment.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Seed 000's flat `customer_*` fields of POST /api/hosted-payment-page, by domain customer key. */
const FLAT_CUSTOMER: Record<keyof Customer, string> = {
  id: 'customer_id',
  first_name: 'customer_first_name',
  last_name: 'customer_last_name',
  email: 'customer_email',
  phone: 'customer_phone_number',
  address: 'customer_address',
  city: 'customer_city',
  country: 'customer_country',
  postal_code: 'customer_postal_code',
};
/** The nested `customer` of POST /api/sessions (seed 000's createSession sample). */
const NESTED_CUSTOMER: Record<keyof Customer, string> = {
  id: 'customer.id',
  first_name: 'customer.first_name',
  last_name: 'customer.last_name',
  email: 'customer.email',
  phone: 'customer.phone',
  address: 'customer.address',
  city: 'customer.city',
  country: 'customer.country',
  postal_code: 'customer.postal_code',
};

const TOP: Record<string, string> = {
  amount: 'amount',
  currency: 'currency',
  merchantReference: 'reference',
  terminalId: 'terminal_id',
  transactionType: 'transaction_type',
  successUrl: 'success_url',
  cancelUrl: 'cancel_url',
  errorUrl: 'error_url',
  description: 'description',
  tokenization: 'tokenization',
  metadata: 'metadata',
  country: 'country',
  locale: 'locale',
};

/** Domain field path → the wire property of one endpoint. */
export function propertyNamer(shape: 'flat' | 'nested'): (field: string) => string {
  const customer = shape === 'flat' ? FLAT_CUSTOMER : NESTED_CUSTOMER;
  // Own properties only: a field a client named `toString` or `constructor` is reported as itself.
  const own = (names: Record<string, string>, key: string) =>
    Object.hasOwn(names, key) ? names[key] : undefined;
  return (field) => {
    if (field.startsWith('customer.')) return own(customer, field.slice('customer.'.length)) ?? field;
    if (field.startsWith('metadata.')) return field;
    return own(TOP, field) ?? field;
  };
}

const COMMON_KEYS = [
  'reference',
  'terminal_id',
  'currency',
  'amount',
  'transaction_type',
  'description',
  'success_url',
  'cancel_url',
  'error_url',
  'tokenization',
  'metadata',
  'country',
  'locale',
];

/**
 * Reads a body of POST /api/hosted-payment-page (`flat`) or POST /api/sessions (`nested`) into the
 * domain input. Wrong types and unknown fields come back as problems (domain paths) for the route to
 * report together with the domain's rules, so a response lists every bad field at once.
 */
export function parseApiPayment(
  body: unknown,
  shape: 'flat' | 'nested',
): { input: CreateHostedPaymentInput; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  if (!isObject(body))
    throw invalidFields([{ field: 'body', message: 'The request body must be a JSON object' }]);
  const customerKeys = Object.values(FLAT_CUSTOMER);
  const allowed = shape === 'flat' ? [...COMMON_KEYS, ...customerKeys] : [...COMMON_KEYS, 'customer'];
  for (const key of Object.keys(body))
    if (!allowed.includes(key)) problems.push({ field: key, message: `${key} is not a known field` });

  const str = (key: string, field: string, value: unknown = body[key]): string | null => {
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') {
      problems.push({ field, message: `${key.replace(/^.*\./, '')} must be a string` });
      return null;
    }
    return value;
  };

  let amount = Number.NaN;
  if (body.amount !== undefined && body.amount !== null) {
    if (typeof body.amount === 'number' && Number.isInteger(body.amount)) amount = body.amount;
    else
      problems.push({
        field: 'amount',
        message: 'amount must be an integer (minor units, e.g. 100 = €1.00)',
      });
  } else problems.push({ field: 'amount', message: 'amount is required' });

  let customer: Customer | null = null;
  if (shape === 'flat') {
    const entries = Object.entries(FLAT_CUSTOMER).map(
      ([k, wire]) => [k, str(wire, `customer.${k}`)] as const,
    );
    if (entries.some(([, v]) => v !== null)) customer = Object.fromEntries(entries) as Customer;
  } else if (body.customer !== undefined && body.customer !== null) {
    if (!isObject(body.customer)) problems.push({ field: 'customer', message: 'customer must be an object' });
    else {
      const c = body.customer;
      for (const key of Object.keys(c))
        if (!Object.hasOwn(NESTED_CUSTOMER, key))
          problems.push({ field: `customer.${key}`, message: `${key} is not a known customer field` });
      customer = Object.fromEntries(
        Object.keys(NESTED_CUSTOMER).map((k) => [k, str(`customer.${k}`, `customer.${k}`, c[k])]),
      ) as Customer;
    }
  }

  let saveCard = false;
  if (body.tokenization !== undefined && body.tokenization !== null) {
    const t = body.tokenization;
    if (
      !isObject(t) ||
      (t.save_card_for_future_payments !== undefined && typeof t.save_card_for_future_payments !== 'boolean')
    )
      problems.push({
        field: 'tokenization',
        message: 'tokenization must be {"save_card_for_future_payments": true|false}',
      });
    else saveCard = t.save_card_for_future_payments === true;
  }

  let metadata: Json | null = null;
  if (body.metadata !== undefined && body.metadata !== null) {
    if (!isObject(body.metadata))
      problems.push({ field: 'metadata', message: 'metadata must be a JSON object' });
    else metadata = body.metadata;
  }

  const currency = str('currency', 'currency');
  const transactionType = str('transaction_type', 'transactionType');
  const input: CreateHostedPaymentInput = {
    rules: 'api',
    amount,
    currency: currency ?? '',
    merchantReference: str('reference', 'merchantReference'),
    terminalId: str('terminal_id', 'terminalId'),
    transactionType: (transactionType ?? undefined) as TransactionType | undefined,
    successUrl: str('success_url', 'successUrl'),
    cancelUrl: str('cancel_url', 'cancelUrl'),
    errorUrl: str('error_url', 'errorUrl'),
    errorUrlOptional: shape === 'nested',
    description: str('description', 'description'),
    country: str('country', 'country'),
    locale: str('locale', 'locale'),
    customer,
    saveCard,
    metadata,
  };
  return { input, problems };
}
