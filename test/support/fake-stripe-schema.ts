import { readFileSync } from 'node:fs';

/**
 * Stripe's published example objects (fixtures3.json): the fake answers with them and checks every
 * parameter the client sends against them.
 */
export const FIXTURES = JSON.parse(
  readFileSync(new URL('../fixtures/stripe/fixtures3.json', import.meta.url), 'utf8'),
).resources as Record<
  'charge' | 'event' | 'payment_intent' | 'payment_method' | 'refund',
  Record<string, any>
>;

/** The type of one parameter, as read from a fixture value. */
export type Shape =
  | 'string'
  | 'integer'
  | 'boolean'
  | { object: Record<string, Shape>; /** any key, each holding a string (metadata) */ open?: boolean }
  | { array: Shape };

/**
 * Fields the fixtures leave `null`, so their value says nothing of their type: the type of each one
 * the client may send.
 */
const NULL_FIELD_TYPES: Record<string, Shape> = {
  description: 'string',
  name: 'string',
  payment_intent: 'string',
  cancellation_reason: 'string',
  reason: 'string',
};

/** The shape of a fixture value; `{}` and `metadata` are open maps of strings. */
export function shapeOf(value: unknown, field = ''): Shape | null {
  if (value === null) return NULL_FIELD_TYPES[field] ?? null;
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return 'integer';
  if (Array.isArray(value)) {
    const element = value.length > 0 ? shapeOf(value[0]) : 'string';
    return element ? { array: element } : null;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (field === 'metadata' || entries.length === 0) return { object: {}, open: true };
  const object: Record<string, Shape> = {};
  for (const [key, child] of entries) {
    const shape = shapeOf(child, key);
    if (shape) object[key] = shape;
  }
  return { object };
}

/** `base` with `extra`'s fields added (recursively for objects both name). */
export function withFields(base: Shape, extra: Record<string, Shape>): Shape {
  if (typeof base !== 'object' || !('object' in base)) throw new Error('withFields needs an object shape');
  const object = { ...base.object };
  for (const [key, shape] of Object.entries(extra)) {
    const existing = object[key];
    object[key] =
      existing &&
      typeof existing === 'object' &&
      'object' in existing &&
      typeof shape === 'object' &&
      'object' in shape
        ? withFields(existing, shape.object)
        : shape;
  }
  return { ...base, object };
}

function resource(name: keyof typeof FIXTURES): Shape {
  return shapeOf(FIXTURES[name])!;
}

/**
 * What each endpoint accepts: the fields of its resource object, plus the parameters that exist only
 * in requests — a resource object never echoes them (the card number and CVC above all).
 */
export const ENDPOINT_PARAMS = {
  'payment_intents.create': withFields(resource('payment_intent'), {
    // Confirm in the same call.
    confirm: 'boolean',
    // Where 3-D Secure sends the customer back.
    return_url: 'string',
    // The card-only restriction as the pinned API version names it (the fixtures predate it; their
    // PaymentIntent only has the older `payment_method_types`).
    allowed_payment_method_types: { array: 'string' },
    // The PaymentMethod to create and use: a payment_method object plus the raw card's number and CVC.
    payment_method_data: withFields(resource('payment_method'), {
      card: { object: { number: 'string', cvc: 'string' } },
    }),
  }),
  'payment_intents.retrieve': { object: {} },
  // Search takes a query (Stripe's search language) and paging, never resource fields.
  'payment_intents.search': { object: { query: 'string', limit: 'integer', page: 'string' } },
  // Capture names how much of the authorization to take.
  'payment_intents.capture': withFields({ object: {} }, { amount_to_capture: 'integer' }),
  'payment_intents.cancel': { object: { cancellation_reason: 'string' } },
  'refunds.create': resource('refund'),
} satisfies Record<string, Shape>;

export type Endpoint = keyof typeof ENDPOINT_PARAMS;

/** A form body or query string, as nested objects and arrays of strings (`a[b][0]=x`). */
export type FormValue = string | FormTree | FormValue[];
export interface FormTree {
  [key: string]: FormValue;
}

export function parseForm(text: string): FormTree {
  const root: FormTree = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const parts = key.match(/^[^[]+|\[[^\]]*\]/g)?.map((part) => part.replace(/^\[|\]$/g, '')) ?? [key];
    let node: any = root;
    parts.forEach((part, index) => {
      const last = index === parts.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(parts[index + 1]!);
      if (last) node[part] = value;
      else node = node[part] ??= nextIsIndex ? [] : {};
    });
  }
  return root;
}

/** Every parameter that is not a field of the endpoint's shape, or has the wrong type. */
export function checkParams(params: FormValue, shape: Shape, path = ''): string[] {
  if (shape === 'string') return typeof params === 'string' ? [] : [`${path}: expected a string`];
  if (shape === 'integer') {
    return typeof params === 'string' && /^-?\d+$/.test(params) ? [] : [`${path}: expected an integer`];
  }
  if (shape === 'boolean') {
    return params === 'true' || params === 'false' ? [] : [`${path}: expected a boolean`];
  }
  if ('array' in shape) {
    if (!Array.isArray(params)) return [`${path}: expected an array`];
    return params.flatMap((item, index) => checkParams(item, shape.array, `${path}[${index}]`));
  }
  if (typeof params !== 'object' || Array.isArray(params)) return [`${path}: expected an object`];
  return Object.entries(params).flatMap(([key, value]) => {
    const at = path ? `${path}[${key}]` : key;
    if (shape.open) return typeof value === 'string' ? [] : [`${at}: expected a string`];
    const field = shape.object[key];
    return field ? checkParams(value, field, at) : [`${at}: unknown parameter`];
  });
}
