import i18next from 'i18next';
import type { Locale, MessageKey } from './resources/index.js';

/** Text of one language: a key and its `{{values}}`. Values go in as given; the caller escapes for HTML. */
export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

/**
 * One i18next instance over the given languages (the server's: all; the page's script: its own). Keys are flat (`form.cardNumber`), so neither
 * `.` nor `:` separates anything; a missing key falls back to English.
 */
export function createI18n(resources: Partial<Record<Locale, Record<string, string>>>, lng: Locale) {
  const instance = i18next.createInstance();
  void instance.init({
    lng,
    fallbackLng: 'en' satisfies Locale,
    resources: Object.fromEntries(
      Object.entries(resources).map(([locale, messages]) => [locale, { translation: messages }]),
    ),
    keySeparator: false,
    nsSeparator: false,
    interpolation: { escapeValue: false },
    initAsync: false,
    showSupportNotice: false,
  } as Parameters<typeof instance.init>[0]);
  return instance;
}

/** The translate function of one language of an instance. */
export function fixedTranslator(instance: ReturnType<typeof createI18n>, locale: Locale): Translate {
  const t = instance.getFixedT(locale);
  return (key, values) => t(key, values ?? {});
}
