import { BUNDLED_TOOL_CSP, strictCsp } from '../../src/http/csp.js';

describe('strictCsp', () => {
  it('states the strict policy when a page needs nothing more', () => {
    expect(strictCsp()).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
  });

  it('replaces only the directives a page loosens, in the fixed directive order', () => {
    expect(strictCsp({ 'script-src': "'self' 'nonce-abc'", 'worker-src': "'self' blob:" })).toBe(
      "default-src 'none'; script-src 'self' 'nonce-abc'; style-src 'self'; img-src 'self' data:; " +
        "connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
  });

  it('gives bundled tools inline styles, data: fonts and blob: workers, and nothing from elsewhere', () => {
    expect(BUNDLED_TOOL_CSP).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; " +
        "form-action 'none'; frame-ancestors 'none'",
    );
  });
});
