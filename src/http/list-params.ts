import { invalid } from '../domain/errors.js';
import { badTextMessage, unstorableText } from './json-body.js';

export type QueryString = Record<string, string | string[] | undefined>;

/**
 * The query string of a list endpoint: `limit` (1 to `max`, default `fallback`), `starting_after`,
 * and the endpoint's own filters. Unknown or repeated parameters, and text no column could store,
 * are refused by name.
 */
export function parseListQuery<F extends string>(
  query: QueryString,
  filters: readonly F[],
  limits: { fallback: number; max: number } = { fallback: 10, max: 100 },
): { limit: number; startingAfter: string | null; filters: Partial<Record<F, string>> } {
  const allowed = new Set<string>(['limit', 'starting_after', ...filters]);
  for (const key of Object.keys(query))
    if (!allowed.has(key)) throw invalid(key, `Received unknown parameter: ${key}`);
  const single = (key: string): string | undefined => {
    const v = query[key];
    if (Array.isArray(v)) throw invalid(key, `${key} may be given only once`);
    if (v !== undefined && unstorableText(v)) throw invalid(key, badTextMessage(key));
    return v;
  };
  const limitRaw = single('limit');
  let limit = limits.fallback;
  if (limitRaw !== undefined) {
    if (!/^\d{1,3}$/.test(limitRaw) || Number(limitRaw) < 1 || Number(limitRaw) > limits.max)
      throw invalid('limit', `limit must be an integer from 1 to ${limits.max}`);
    limit = Number(limitRaw);
  }
  const values: Partial<Record<F, string>> = {};
  for (const f of filters) {
    const v = single(f);
    if (v !== undefined) values[f] = v;
  }
  return { limit, startingAfter: single('starting_after') ?? null, filters: values };
}
