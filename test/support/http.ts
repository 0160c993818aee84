import { randomUUID } from 'node:crypto';

export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

/** A real HTTP request (undici fetch) against a listening Till; parses JSON when there is some. */
export async function request<T = any>(
  base: string,
  method: string,
  path: string,
  options: {
    key?: string | null;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
    idempotencyKey?: string | null;
  } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
    headers['content-type'] = 'application/json';
  if (method === 'POST' && options.idempotencyKey !== null && path.startsWith('/v1/'))
    headers['idempotency-key'] ??= options.idempotencyKey ?? randomUUID();
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, text, json: json as T };
}

/** Seed 004's sample request body, exactly as the seed shows it. */
export const SEED_004_SAMPLE = {
  amount: 2500,
  currency: 'EUR',
  merchant_reference: 'ord_5678',
  return_url: 'https://shop.example.com/checkout/complete',
};

/** Resolves with the moment (performance.now()) `predicate` first held, polling every 20 ms; throws after `ms`. */
export async function eventually(predicate: () => Promise<boolean> | boolean, ms = 5000): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await predicate()) return performance.now();
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
