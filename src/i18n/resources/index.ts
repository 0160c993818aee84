import bs from './bs.js';
import de from './de.js';
import en, { type Messages } from './en.js';
import es from './es.js';
import fr from './fr.js';
import hr from './hr.js';
import it from './it.js';
import nl from './nl.js';

export type { MessageKey, Messages } from './en.js';

/** Every language the hosted page speaks, English first (the fallback). */
export const LOCALES = ['en', 'de', 'fr', 'es', 'it', 'nl', 'hr', 'bs'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

export const RESOURCES: Record<Locale, Messages> = { en, de, fr, es, it, nl, hr, bs };
