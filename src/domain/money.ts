/** Money is an integer number of minor units, never a float, end to end. */

/** The largest amount any surface accepts: 2^53 − 1, so JSON numbers stay exact everywhere. */
export const MAX_AMOUNT = Number.MAX_SAFE_INTEGER;

/** ISO 4217 minor-unit exponents for the currencies Till knows. */
export const CURRENCY_EXPONENT: Record<string, number> = { EUR: 2, BAM: 2, USD: 2, GBP: 2, JPY: 0 };

/** Currencies the v1 hosted-payment flow accepts: card acquiring is offered in EUR only. */
export const V1_CURRENCIES = ['EUR'] as const;

export function isValidAmount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= MAX_AMOUNT;
}

/**
 * Languages formatted through another one. Browsers ship partial ICU data: Chromium formats Bosnian
 * with the root locale ("BAM 1,234.56"). Bosnian writes numbers and places the currency sign exactly
 * as Croatian does, and CLDR's Bosnian sign for the convertible mark is "KM", so Bosnian amounts are
 * formatted as Croatian with that sign: "1.234,56 KM", the same text in Node and in every browser.
 */
const FORMAT_AS: Record<string, { locale: string; symbols: Record<string, string> }> = {
  bs: { locale: 'hr', symbols: { BAM: 'KM' } },
};

/**
 * Formats minor units for people in a language, e.g. 2500 EUR → "€25.00" (en), "25,00 €" (de).
 * Exact: the amount reaches Intl as a decimal string, never through float maths.
 */
export function formatMoney(amount: number, currency: string, locale = 'en'): string {
  const exponent = CURRENCY_EXPONENT[currency] ?? 2;
  const divisor = 10n ** BigInt(exponent);
  const whole = BigInt(amount) / divisor;
  const fraction = BigInt(amount) % divisor;
  const decimal = exponent === 0 ? `${whole}` : `${whole}.${fraction.toString().padStart(exponent, '0')}`;
  const as = FORMAT_AS[locale.split('-')[0]!.toLowerCase()];
  return new Intl.NumberFormat(as?.locale ?? locale, {
    style: 'currency',
    currency,
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  })
    .formatToParts(decimal as unknown as number)
    .map((part) => (part.type === 'currency' ? (as?.symbols[currency] ?? part.value) : part.value))
    .join('');
}

/**
 * Minor units from an amount typed in major units ("12.5" EUR → 1250), exactly: digits with at
 * most the currency's decimals after a point or comma. Null for anything else (signs, exponents,
 * too many decimals, more than MAX_AMOUNT).
 */
export function parseMajorAmount(text: string, currency: string): number | null {
  const exponent = CURRENCY_EXPONENT[currency] ?? 2;
  const match = /^(\d{1,16})(?:[.,](\d+))?$/.exec(text.trim());
  if (!match || (match[2] ?? '').length > exponent || (exponent === 0 && match[2] !== undefined)) return null;
  const minor =
    BigInt(match[1]!) * 10n ** BigInt(exponent) + BigInt((match[2] ?? '').padEnd(exponent, '0') || '0');
  return minor <= BigInt(MAX_AMOUNT) ? Number(minor) : null;
}
