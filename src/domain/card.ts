/**
 * Card number, expiry and CVC rules, shared by the hosted page (in the browser, before submit) and
 * the checkout service (on the server, which never trusts the browser). No I/O, no dependencies.
 */

export type CardBrand =
  'visa' | 'mastercard' | 'amex' | 'discover' | 'diners' | 'jcb' | 'unionpay' | 'unknown';

const BRANDS: [CardBrand, RegExp][] = [
  ['amex', /^3[47]/],
  ['diners', /^3(?:0[0-5]|[68])/],
  ['jcb', /^35(?:2[89]|[3-8])/],
  ['visa', /^4/],
  ['mastercard', /^(?:5[1-5]|2(?:2[2-9]|[3-6]|7[01]|720))/],
  ['discover', /^(?:6011|65|64[4-9])/],
  ['unionpay', /^62/],
];

export const digitsOnly = (value: string): string => value.replace(/\D/g, '');

export function detectBrand(number: string): CardBrand {
  const digits = digitsOnly(number);
  return BRANDS.find(([, pattern]) => pattern.test(digits))?.[0] ?? 'unknown';
}

/** Groups digits as printed on the card: 4-6-5 for Amex, 4-4-4-4(-3) otherwise. */
export function formatCardNumber(number: string): string {
  const digits = digitsOnly(number).slice(0, 19);
  const groups = detectBrand(digits) === 'amex' ? [4, 6, 5] : [4, 4, 4, 4, 3];
  const out: string[] = [];
  let at = 0;
  for (const size of groups) {
    if (at >= digits.length) break;
    out.push(digits.slice(at, at + size));
    at += size;
  }
  return out.join(' ');
}

export function luhnValid(number: string): boolean {
  const digits = digitsOnly(number);
  if (digits.length < 12 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Parses "MM/YY", "MM / YY" or "MM/YYYY"; null when malformed. */
export function parseExpiry(value: string): { month: number; year: number } | null {
  const match = /^\s*(\d{1,2})\s*\/?\s*(\d{2}|\d{4})\s*$/.exec(value);
  if (!match) return null;
  const month = Number(match[1]);
  let year = Number(match[2]);
  if (year < 100) year += 2000;
  if (month < 1 || month > 12) return null;
  return { month, year };
}

/**
 * One thing wrong with a card field, as a message key of the hosted page's languages and the values
 * its text needs: the page and the checkout API show it in the customer's language.
 */
export type CardProblem =
  | { key: 'card.number.missing' | 'card.number.invalid' }
  | { key: 'card.expiry.format' | 'card.expiry.expired' | 'card.expiry.year' }
  | { key: 'card.cvc.invalid'; values: { length: number } }
  | { key: 'card.name.missing' | 'card.name.tooLong' };

/** A card is usable through the last day of its expiry month. */
export function expiryProblem(month: number, year: number, now = new Date()): CardProblem | null {
  if (!Number.isInteger(month) || month < 1 || month > 12 || !Number.isInteger(year))
    return { key: 'card.expiry.format' };
  const currentYear = now.getUTCFullYear();
  const currentMonth = now.getUTCMonth() + 1;
  if (year < currentYear || (year === currentYear && month < currentMonth))
    return { key: 'card.expiry.expired' };
  if (year > currentYear + 20) return { key: 'card.expiry.year' };
  return null;
}

export function cvcProblem(cvc: string, brand: CardBrand): CardProblem | null {
  const length = brand === 'amex' ? 4 : 3;
  return new RegExp(`^\\d{${length}}$`).test(cvc) ? null : { key: 'card.cvc.invalid', values: { length } };
}

export interface CardFields {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
  name: string;
}

/** Every problem with the card fields, keyed by field (number, expiry, cvc, name); empty when valid. */
export function cardProblems(card: CardFields, now = new Date()): Record<string, CardProblem> {
  const out: Record<string, CardProblem> = {};
  const digits = digitsOnly(card.number);
  if (!digits) out.number = { key: 'card.number.missing' };
  else if (!luhnValid(digits)) out.number = { key: 'card.number.invalid' };
  const expiry = expiryProblem(card.expMonth, card.expYear, now);
  if (expiry) out.expiry = expiry;
  const cvc = cvcProblem(card.cvc, detectBrand(digits));
  if (cvc) out.cvc = cvc;
  if (!card.name.trim()) out.name = { key: 'card.name.missing' };
  else if (card.name.length > 100) out.name = { key: 'card.name.tooLong' };
  return out;
}
