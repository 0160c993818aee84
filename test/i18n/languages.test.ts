import { cardProblems } from '../../src/domain/card.js';
import { formatMoney } from '../../src/domain/money.js';
import { canonicalLocale, chooseLocale, localeProblem, supportedLocale } from '../../src/i18n/locales.js';
import { LOCALES, RESOURCES } from '../../src/i18n/resources/index.js';
import { languageFor, translator } from '../../src/i18n/translate.js';

const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
const NBSP = '\u00a0';

describe("the hosted page's languages", () => {
  const english = RESOURCES.en;

  it.each(LOCALES.filter((l) => l !== 'en'))(
    '%s has every English key, no other, with the same placeholders',
    (locale) => {
      const messages = RESOURCES[locale] as Record<string, string>;
      expect(Object.keys(messages).sort()).toEqual(Object.keys(english).sort());
      for (const [key, text] of Object.entries(english)) {
        expect(messages[key]!.trim()).not.toBe('');
        expect({ key, placeholders: placeholders(messages[key]!) }).toEqual({
          key,
          placeholders: placeholders(text),
        });
      }
    },
  );

  it.each(LOCALES)('%s is plain text: no markup a page would have to trust', (locale) => {
    for (const text of Object.values(RESOURCES[locale])) expect(text).not.toMatch(/[<>&]/);
  });

  it.each(LOCALES.filter((l) => l !== 'en'))('%s translates what the form shows', (locale) => {
    const t = translator(locale);
    for (const key of [
      'form.cardNumber',
      'form.name',
      'page.securedBy',
      'page.noscript',
      'card.number.invalid',
    ] as const)
      expect(t(key)).not.toBe(RESOURCES.en[key]);
    expect(t('form.pay', { amount: formatMoney(123456, 'EUR', locale) })).toContain('234');
  });

  it('fills in values and words card problems in the language', () => {
    const problems = cardProblems({
      number: '4242424242424241',
      expMonth: 1,
      expYear: 2001,
      cvc: '1',
      name: '',
    });
    const de = translator('de');
    const word = (locale: 'de' | 'bs', field: string) => {
      const p = problems[field]!;
      return translator(locale)(p.key, 'values' in p ? p.values : undefined);
    };
    expect(word('de', 'number')).toBe('Diese Kartennummer ist ungültig.');
    expect(word('de', 'expiry')).toBe('Diese Karte ist abgelaufen.');
    expect(word('de', 'cvc')).toBe('Geben Sie den 3-stelligen Sicherheitscode ein.');
    expect(word('bs', 'cvc')).toBe('Unesite sigurnosni kod od 3 cifre.');
    expect(word('bs', 'name')).toBe('Unesite ime na kartici.');
    expect(de('form.cancel', { merchant: 'Mugs & Co' })).toBe('Abbrechen und zurück zu Mugs & Co');
  });
});

describe('money in the customer’s language (Intl, exact minor units)', () => {
  it('German euros and Bosnian convertible marks', () => {
    expect(formatMoney(123456, 'EUR', 'de')).toBe(`1.234,56${NBSP}€`);
    expect(formatMoney(123456, 'BAM', 'bs')).toBe(`1.234,56${NBSP}KM`);
    expect(formatMoney(123456, 'EUR', 'bs')).toBe(`1.234,56${NBSP}€`);
    expect(formatMoney(123456, 'EUR', 'en')).toBe('€1,234.56');
    expect(formatMoney(123456, 'JPY', 'de')).toBe(`123.456${NBSP}¥`);
  });

  it('formats Bosnian as Croatian with the KM sign, so a browser without Bosnian data shows the same', () => {
    for (const currency of ['EUR', 'BAM', 'USD', 'JPY'])
      expect(formatMoney(98765432, currency, 'bs-BA')).toBe(
        formatMoney(98765432, currency, 'hr').replace('BAM', 'KM'),
      );
    expect(formatMoney(5, 'BAM', 'bs')).toBe(`0,05${NBSP}KM`);
  });

  it.each(LOCALES)('%s formats amounts beyond float precision exactly', (locale) => {
    const text = formatMoney(900719925474099, 'EUR', locale);
    expect(text.replace(/\D/g, '')).toBe('900719925474099');
  });
});

describe('choosing the language', () => {
  it.each([
    ['de', 'de'],
    ['de-AT,en;q=0.5', 'de'],
    ['bs-Latn-BA', 'bs'],
    ['hr-HR, en;q=0.8', 'hr'],
    ['fr-CA;q=0.4, nl;q=0.9', 'nl'],
    ['en-US,de;q=0.9', 'en'],
    ['sr', 'en'],
    ['pt-BR, es;q=0.2', 'es'],
    ['*', 'en'],
    ['', 'en'],
    ['de;q=0', 'en'],
    [';;;,,q=', 'en'],
  ])('Accept-Language %j → %s', (header, expected) => {
    expect(chooseLocale(null, header)).toBe(expected);
  });

  it("the payment's locale beats the browser, and one Till does not speak lets the browser choose", () => {
    expect(chooseLocale('bs-BA', 'de')).toBe('bs');
    expect(chooseLocale('it', 'fr')).toBe('it');
    expect(chooseLocale('pt', 'fr')).toBe('fr');
    expect(chooseLocale('pt', null)).toBe('en');
    expect(chooseLocale(null, undefined)).toBe('en');
    expect(languageFor('nl-BE', 'de').locale).toBe('nl');
  });

  it('maps region and script variants to their language', () => {
    expect(supportedLocale('de-CH')).toBe('de');
    expect(supportedLocale('BS-latn-ba')).toBe('bs');
    expect(supportedLocale('sr-Latn')).toBeNull();
    expect(supportedLocale('not a tag')).toBeNull();
  });

  it('accepts BCP 47 tags in canonical spelling and refuses anything else', () => {
    expect(canonicalLocale('de-at')).toBe('de-AT');
    expect(canonicalLocale('bs-latn-ba')).toBe('bs-Latn-BA');
    for (const bad of ['en_US', '', 'x', 'de-', '123', 'de AT', 'a'.repeat(36), '<script>'])
      expect(localeProblem(bad)).toMatch(/BCP 47/);
    expect(localeProblem('zh-Hant-TW')).toBeNull();
  });
});
