/** Money is an integer number of minor units, never a float, end to end. */

/** The largest amount any surface accepts: 2^53 − 1, so JSON numbers stay exact everywhere. */
export const MAX_AMOUNT = Number.MAX_SAFE_INTEGER;

/** ISO 4217 minor-unit exponents for the currencies Till knows. */
export const CURRENCY_EXPONENT: Record<string, number> = { EUR: 2, BAM: 2, USD: 2, GBP: 2, JPY: 0 };

/** Currencies the hosted-payment flows accept (seed 004: "Currently supported for card acquiring: EUR"). */
export const V1_CURRENCIES = ['EUR'] as const;

export function isValidAmount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= MAX_AMOUNT;
}

/** Formats minor units for people, e.g. 2500 EUR → "€25.00" (en locale). Exact: no float maths. */
export function formatMoney(amount: number, currency: string, locale = 'en'): string {
  const exponent = CURRENCY_EXPONENT[currency] ?? 2;
  const divisor = 10n ** BigInt(exponent);
  const whole = BigInt(amount) / divisor;
  const fraction = BigInt(amount) % divisor;
  const decimal = exponent === 0 ? `${whole}` : `${whole}.${fraction.toString().padStart(exponent, '0')}`;
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  }).format(decimal as unknown as number);
}
