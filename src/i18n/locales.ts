import Negotiator from 'negotiator';
import { canonicalLocale } from '../domain/locale.js';
import { DEFAULT_LOCALE, LOCALES, type Locale } from './resources/index.js';

/** The supported language a tag asks for: its own language subtag (de-AT → de, bs-Latn-BA → bs), if Till speaks it. */
export function supportedLocale(tag: string | null | undefined): Locale | null {
  const canonical = tag ? canonicalLocale(tag) : null;
  if (!canonical) return null;
  const language = new Intl.Locale(canonical).language;
  return (LOCALES as readonly string[]).includes(language) ? (language as Locale) : null;
}

/**
 * The language of a page: the payment's own `locale` when Till speaks it, else the best of the
 * browser's `Accept-Language` (quality values and region fallbacks as the negotiator ranks them),
 * else English.
 */
export function chooseLocale(preferred: string | null | undefined, acceptLanguage?: string | null): Locale {
  const own = supportedLocale(preferred);
  if (own) return own;
  if (!acceptLanguage) return DEFAULT_LOCALE;
  const best = new Negotiator({ headers: { 'accept-language': acceptLanguage } }).language([...LOCALES]);
  return (best as Locale | undefined) ?? DEFAULT_LOCALE;
}

export { canonicalLocale, localeProblem } from '../domain/locale.js';
