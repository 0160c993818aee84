import { newId, randomBase62 } from '../../src/domain/ids.js';
import { formatMoney, isValidAmount, MAX_AMOUNT, parseMajorAmount } from '../../src/domain/money.js';
import { checkCreateHostedPayment } from '../../src/domain/payment-rules.js';
import { canTransition, isTerminal, PAYMENT_STATUSES } from '../../src/domain/payment-status.js';

describe('ids', () => {
  it('makes pay_ + 24 base62 characters, all distinct', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => newId.payment()));
    expect(ids.size).toBe(2000);
    for (const id of ids) expect(id).toMatch(/^pay_[A-Za-z0-9]{24}$/);
  });
  it('uses every base62 character, about equally often', () => {
    const text = Array.from({ length: 2500 }, () => randomBase62(24)).join('');
    const counts = new Map<string, number>();
    for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // 60,000 draws: each character's expected count is ~968 (sd ~31); a biased one strays far.
    for (const n of counts.values()) expect(Math.abs(n - text.length / 62)).toBeLessThan(200);
  });
});

describe('money', () => {
  it('accepts integers from 1 to 2^53 − 1 only', () => {
    expect([1, 2500, MAX_AMOUNT].every(isValidAmount)).toBe(true);
    expect([0, -1, 1.5, MAX_AMOUNT + 1, Number.NaN, '100'].some(isValidAmount)).toBe(false);
  });
  it('formats minor units exactly, without float rounding', () => {
    expect(formatMoney(2500, 'EUR')).toBe('€25.00');
    expect(formatMoney(1, 'EUR')).toBe('€0.01');
    expect(formatMoney(MAX_AMOUNT, 'EUR')).toBe('€90,071,992,547,409.91');
    expect(formatMoney(500, 'JPY')).toBe('¥500');
  });
});

describe('typed amounts', () => {
  it('become minor units exactly, with a point or a comma', () => {
    expect(parseMajorAmount('0.29', 'EUR')).toBe(29);
    expect(parseMajorAmount('12,5', 'EUR')).toBe(1250);
    expect(parseMajorAmount(' 7 ', 'EUR')).toBe(700);
    expect(parseMajorAmount('90071992547409.91', 'EUR')).toBe(MAX_AMOUNT);
    expect(parseMajorAmount('500', 'JPY')).toBe(500);
  });
  it('refuse what is not a plain amount of the currency', () => {
    for (const text of ['', '-1', '+1', '1e3', '1.234', '1.2.3', '0x10', 'abc', '90071992547409.92', '5.0'])
      expect([text, parseMajorAmount(text, text === '5.0' ? 'JPY' : 'EUR')]).toEqual([text, null]);
  });
});

describe('payment state machine', () => {
  it('allows the documented paths and nothing out of a terminal status', () => {
    expect(canTransition('PENDING', 'REQUIRES_ACTION')).toBe(true);
    expect(canTransition('REQUIRES_ACTION', 'PROCESSING')).toBe(true);
    expect(canTransition('PROCESSING', 'SUCCEEDED')).toBe(true);
    expect(canTransition('PROCESSING', 'AUTHORIZED')).toBe(true);
    expect(canTransition('AUTHORIZED', 'SUCCEEDED')).toBe(true);
    expect(canTransition('AUTHORIZED', 'CANCELED')).toBe(true);
    expect(canTransition('PENDING', 'SUCCEEDED')).toBe(false);
    expect(canTransition('PROCESSING', 'CANCELED')).toBe(false);
    for (const terminal of ['SUCCEEDED', 'FAILED', 'CANCELED', 'EXPIRED'] as const) {
      expect(isTerminal(terminal)).toBe(true);
      for (const to of PAYMENT_STATUSES) expect(canTransition(terminal, to)).toBe(false);
    }
  });
});

describe('create rules', () => {
  const ok = { rules: 'v1' as const, amount: 2500, currency: 'EUR', returnUrl: 'https://shop.example.com/x' };
  it('accepts the seed sample', () => expect(checkCreateHostedPayment(ok)).toEqual([]));
  it('reports every problem at once', () => {
    const problems = checkCreateHostedPayment({
      ...ok,
      amount: 0,
      currency: 'GBP',
      description: 'x'.repeat(501),
    });
    expect(problems.map((p) => p.field)).toEqual(['amount', 'currency', 'description']);
  });
  it('counts metadata size in bytes, not characters', () => {
    // Values are at most 500 characters each: 16 values of 400 characters are 6.4 k characters,
    // under 8 KiB as ASCII and three times over it as '€' (3 bytes each in UTF-8).
    const metadataOf = (c: string) =>
      Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, c.repeat(400)]));
    expect(checkCreateHostedPayment({ ...ok, metadata: metadataOf('€') })[0]?.field).toBe('metadata');
    expect(checkCreateHostedPayment({ ...ok, metadata: metadataOf('e') })).toEqual([]);
  });
});
