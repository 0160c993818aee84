import {
  MAX_JSON_DEPTH,
  jsonTextTooDeep,
  jsonValueProblem,
  unstorableText,
} from '../../src/http/json-body.js';

const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const objects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('the JSON nesting limit', () => {
  it('is 32 levels', () => expect(MAX_JSON_DEPTH).toBe(32));

  it.each([
    ['arrays', arrays],
    ['objects', objects],
  ])('accepts %s nested 32 deep and refuses 33, as text and as a value', (_name, nest) => {
    expect(jsonTextTooDeep(nest(32))).toBe(false);
    expect(jsonTextTooDeep(nest(33))).toBe(true);
    expect(jsonValueProblem(JSON.parse(nest(32)))).toBeNull();
    expect(jsonValueProblem(JSON.parse(nest(33)))).toMatchObject({ problem: 'too_deep' });
  });

  it('counts only brackets outside strings, escaped quotes included', () => {
    const text = JSON.stringify({ note: `${'['.repeat(100)}"\\"{{{` });
    expect(jsonTextTooDeep(text)).toBe(false);
    expect(jsonTextTooDeep(`{"a\\"[[[[":${arrays(31)}}`)).toBe(false);
    expect(jsonTextTooDeep(`{"a\\"":${arrays(32)}}`)).toBe(true);
  });

  it('measures siblings separately: wide is not deep', () => {
    const wide = `[${Array.from({ length: 1000 }, () => arrays(31)).join(',')}]`;
    expect(jsonTextTooDeep(wide)).toBe(false);
    expect(jsonValueProblem(JSON.parse(wide))).toBeNull();
  });

  it('checks 100,000 levels without overflowing the stack', () => {
    expect(jsonTextTooDeep(arrays(100_000))).toBe(true);
    expect(jsonValueProblem(JSON.parse(arrays(100_000)))).toMatchObject({ problem: 'too_deep' });
  });

  it('takes scalars as depth 0', () => {
    for (const value of [null, 1, 'x', true, undefined]) expect(jsonValueProblem(value, 0)).toBeNull();
    expect(jsonValueProblem({}, 0)).toMatchObject({ problem: 'too_deep', path: '' });
  });
});

describe('text Till cannot store', () => {
  it.each([
    ['NUL', 'a\u0000b', true],
    ['an unpaired high surrogate', 'a\ud800', true],
    ['an unpaired low surrogate', '\udc00b', true],
    ['a surrogate pair', '😀', false],
    ['other control characters', '\u0001\t\n', false],
  ])('%s', (_name, text, refused) => expect(unstorableText(text)).toBe(refused));

  it('is found in values and keys, with the path to it', () => {
    expect(jsonValueProblem({ metadata: { note: 'x\u0000' } })).toEqual({
      problem: 'bad_text',
      path: 'metadata.note',
    });
    expect(jsonValueProblem({ items: ['ok', '\ud800'] })).toEqual({ problem: 'bad_text', path: 'items.1' });
    // A bad key is named by its object, never echoed.
    expect(jsonValueProblem({ metadata: { ['\udc00']: 1 } })).toEqual({
      problem: 'bad_text',
      path: 'metadata',
    });
    expect(jsonValueProblem('\u0000')).toEqual({ problem: 'bad_text', path: '' });
    expect(jsonValueProblem({ fine: ['😀', { k: 'v' }] })).toBeNull();
  });
});
