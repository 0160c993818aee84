import { createI18n, fixedTranslator, type Translate } from './instance.js';
import { chooseLocale } from './locales.js';
import { DEFAULT_LOCALE, RESOURCES, type Locale } from './resources/index.js';

export type { Translate } from './instance.js';

const shared = createI18n(RESOURCES, DEFAULT_LOCALE);

/** The translate function of one supported language. */
export function translator(locale: Locale): Translate {
  return fixedTranslator(shared, locale);
}

/** The language of one answer: its tag (for `<html lang>`, `Content-Language` and `Intl`) and its text. */
export interface Language {
  locale: Locale;
  t: Translate;
}

/** The language for a customer: the payment's `locale` if Till speaks it, else their browser's choice, else English. */
export function languageFor(preferred: string | null | undefined, acceptLanguage?: string | null): Language {
  const locale = chooseLocale(preferred, acceptLanguage);
  return { locale, t: translator(locale) };
}
