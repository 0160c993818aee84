/** The longest language tag Till stores (RFC 5646 advises that 35 characters hold any real tag). */
export const MAX_LOCALE_LENGTH = 35;

/**
 * A BCP 47 language tag in its canonical spelling (`de-at` → `de-AT`), or null when the value is not
 * one (`en_US`, `x`, an empty string, longer than {@link MAX_LOCALE_LENGTH}).
 */
export function canonicalLocale(tag: string): string | null {
  if (tag.length === 0 || tag.length > MAX_LOCALE_LENGTH) return null;
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? null;
  } catch {
    return null;
  }
}

/** Why a requested `locale` cannot be stored, or null when it is a valid BCP 47 tag. */
export function localeProblem(tag: string): string | null {
  return canonicalLocale(tag)
    ? null
    : `locale must be a BCP 47 language tag of at most ${MAX_LOCALE_LENGTH} characters, such as "de" or "bs-BA"`;
}
