import { ErrorCode, invalid, TillError } from '../domain/errors.js';
import { LIMITS } from '../domain/payment.js';
import { badTextMessage, unstorableText } from './json-body.js';

export type QueryString = Record<string, string | string[] | undefined>;

/** One page of a list, as the services take it. */
export interface ListWindow {
  limit: number;
  startingAfter: string | null;
}

export interface ListBounds {
  /** Page size when none is asked for (default `LIMITS.listDefault`). */
  fallback?: number;
  /** Largest page (default `LIMITS.listMax`). */
  max?: number;
}

/**
 * The page of every list on every surface: a size from 1 to `max` (`fallback` when not given) and
 * an optional cursor, which `decodeCursor` turns into the id to start after (null: not a cursor).
 * `names` are the surface's spellings (`limit`/`starting_after` on REST, `first`/`after` on GraphQL).
 */
export function listWindow(
  requested: { limit: number | undefined; cursor: string | null | undefined },
  names: { limit: string; cursor: string },
  bounds: ListBounds & { decodeCursor?: (cursor: string) => string | null } = {},
): ListWindow {
  const max = bounds.max ?? LIMITS.listMax;
  const limit = requested.limit ?? bounds.fallback ?? LIMITS.listDefault;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > max)
    throw invalid(names.limit, `${names.limit} must be an integer from 1 to ${max}`);
  if (requested.cursor === undefined || requested.cursor === null) return { limit, startingAfter: null };
  const startingAfter = bounds.decodeCursor ? bounds.decodeCursor(requested.cursor) : requested.cursor;
  if (!startingAfter) throw invalid(names.cursor, `${names.cursor} is not a valid cursor`);
  return { limit, startingAfter };
}

/**
 * The query string of a REST list endpoint: `limit` and `starting_after` (see {@link listWindow})
 * and the endpoint's own filters. Unknown or repeated parameters, and text no column could store,
 * are refused by name.
 */
export function parseListQuery<F extends string>(
  query: QueryString,
  filters: readonly F[],
  bounds: ListBounds = {},
): ListWindow & { filters: Partial<Record<F, string>> } {
  const allowed = new Set<string>(['limit', 'starting_after', ...filters]);
  for (const key of Object.keys(query))
    if (!allowed.has(key)) throw invalid(key, `Received unknown parameter: ${key}`);
  const single = (key: string): string | undefined => {
    const v = query[key];
    if (Array.isArray(v)) throw invalid(key, `${key} may be given only once`);
    if (v !== undefined && unstorableText(v)) throw invalid(key, badTextMessage(key));
    return v;
  };
  const limitText = single('limit');
  const window = listWindow(
    {
      // Digits only: `1e1`, ` 5` and `0x10` are not page sizes.
      limit: limitText === undefined ? undefined : /^\d{1,3}$/.test(limitText) ? Number(limitText) : NaN,
      cursor: single('starting_after'),
    },
    { limit: 'limit', cursor: 'starting_after' },
    bounds,
  );
  const values: Partial<Record<F, string>> = {};
  for (const f of filters) {
    const v = single(f);
    if (v !== undefined) values[f] = v;
  }
  return { ...window, filters: values };
}

/**
 * For a REST list's `.catch`: a `starting_after` that names nothing of the caller's is a bad
 * parameter (400), not a missing resource.
 */
export function unknownCursor(what: string, startingAfter: string | null): (error: unknown) => never {
  return (error) => {
    if (error instanceof TillError && error.code === ErrorCode.NotFound)
      throw invalid('starting_after', `starting_after: no such ${what} '${startingAfter}'`);
    throw error;
  };
}
