/**
 * The dashboard's UI languages (i18next). English is in the first load; every other language is
 * its own chunk, fetched when picked. Money and dates go through `Intl` in the same language.
 */
import { CURRENCY_EXPONENT, formatMoney } from '../../domain/money.js';
import i18next from 'i18next';
import en, { type Messages } from './locales/en.js';

export const LANGUAGES = {
  en: 'English',
  de: 'Deutsch',
  fr: 'Français',
  es: 'Español',
  it: 'Italiano',
  nl: 'Nederlands',
  hr: 'Hrvatski',
  bs: 'Bosanski',
} as const;
export type Language = keyof typeof LANGUAGES;

const loaders: Record<Exclude<Language, 'en'>, () => Promise<{ default: Messages }>> = {
  de: () => import('./locales/de.js'),
  fr: () => import('./locales/fr.js'),
  es: () => import('./locales/es.js'),
  it: () => import('./locales/it.js'),
  nl: () => import('./locales/nl.js'),
  hr: () => import('./locales/hr.js'),
  bs: () => import('./locales/bs.js'),
};

const STORAGE_KEY = 'till.dashboard.language';

const isLanguage = (tag: string): tag is Language => Object.hasOwn(LANGUAGES, tag);

/** The stored choice, else the first of the browser's languages the dashboard speaks, else English. */
export function preferredLanguage(): Language {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored && isLanguage(stored)) return stored;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split('-')[0] ?? '';
    if (isLanguage(base)) return base;
  }
  return 'en';
}

export async function setLanguage(language: Language): Promise<void> {
  if (language !== 'en' && !i18next.hasResourceBundle(language, 'translation')) {
    const messages = (await loaders[language]()).default;
    i18next.addResourceBundle(language, 'translation', messages);
  }
  await i18next.changeLanguage(language);
  localStorage.setItem(STORAGE_KEY, language);
  document.documentElement.lang = language;
}

export async function initI18n(): Promise<Language> {
  await i18next.init({
    lng: 'en',
    fallbackLng: 'en',
    resources: { en: { translation: en } },
    interpolation: { escapeValue: false }, // Preact escapes what it renders
    returnNull: false,
  });
  const language = preferredLanguage();
  await setLanguage(language);
  return language;
}

/** Dotted paths to every string, e.g. `payments.title`. */
type Paths<T, Prefix extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${Prefix}${K}` : Paths<T[K], `${Prefix}${K}.`>;
}[keyof T & string];
export type MessageKey = Paths<Messages>;

export function t(key: MessageKey, values?: Record<string, string | number>): string {
  return values ? i18next.t(key, values) : i18next.t(key);
}

export const currentLanguage = (): string => i18next.language || 'en';

/** The number of minor units in one major unit of a currency (100 for EUR, 1 for JPY). */
export function minorUnits(currency: string): number {
  return 10 ** (CURRENCY_EXPONENT[currency] ?? 2);
}

/**
 * An amount in minor units, in the UI language: "1.234,56 €" in German, "1.234,56 KM" for BAM in
 * Bosnian — formatted exactly as the hosted page does, never through float division.
 */
export function money(amount: number, currency: string): string {
  try {
    return formatMoney(amount, currency, currentLanguage());
  } catch {
    return `${amount} ${currency}`;
  }
}

/** A Unix time (seconds) as a date and time in the UI language and the browser's time zone. */
export function dateTime(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  return new Intl.DateTimeFormat(currentLanguage(), { dateStyle: 'medium', timeStyle: 'short' }).format(
    seconds * 1000,
  );
}

export function day(seconds: number): string {
  return new Intl.DateTimeFormat(currentLanguage(), { month: 'short', day: 'numeric' }).format(
    seconds * 1000,
  );
}

export function percent(ratio: number | null): string {
  if (ratio === null) return '—';
  return new Intl.NumberFormat(currentLanguage(), { style: 'percent', maximumFractionDigits: 1 }).format(
    ratio,
  );
}
