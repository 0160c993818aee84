import {
  fromUnixSeconds,
  fromUnixSecondsOrNull,
  unixSeconds,
  unixSecondsOrNull,
} from '../../src/domain/time.js';

describe('unix seconds', () => {
  it('rounds a time down to its whole second', () => {
    expect(unixSeconds(new Date('2026-11-23T00:00:01.999Z'))).toBe(1795392001);
    expect(unixSecondsOrNull(new Date('2026-11-23T00:00:01.001Z'))).toBe(1795392001);
  });

  it('reads whole seconds back as the same instant', () => {
    expect(fromUnixSeconds(1795392001).toISOString()).toBe('2026-11-23T00:00:01.000Z');
    expect(fromUnixSecondsOrNull(1795392001)?.toISOString()).toBe('2026-11-23T00:00:01.000Z');
  });

  it('keeps an absent time absent both ways', () => {
    expect(unixSecondsOrNull(null)).toBeNull();
    expect(fromUnixSecondsOrNull(null)).toBeNull();
  });
});
