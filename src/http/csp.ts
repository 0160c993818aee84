/** The directives a policy may state, in the order the header lists them. */
const DIRECTIVES = [
  'default-src',
  'script-src',
  'style-src',
  'img-src',
  'font-src',
  'connect-src',
  'worker-src',
  'base-uri',
  'form-action',
  'frame-ancestors',
] as const;
type Directive = (typeof DIRECTIVES)[number];

/**
 * Nothing by default; scripts, styles, images and requests only from Till's own origin; no
 * `<base>`, no form targets, never framed. Fonts and workers fall back to `default-src 'none'`.
 */
const STRICT: Partial<Record<Directive, string>> = {
  'default-src': "'none'",
  'script-src': "'self'",
  'style-src': "'self'",
  'img-src': "'self' data:",
  'connect-src': "'self'",
  'base-uri': "'none'",
  'form-action': "'none'",
  'frame-ancestors': "'none'",
};

/**
 * A Content-Security-Policy header value: the strict policy, with each directive `loosen` names
 * replaced by its sources. A page states only what it needs beyond the strict policy.
 */
export function strictCsp(loosen: Partial<Record<Directive, string>> = {}): string {
  const sources = { ...STRICT, ...loosen };
  return DIRECTIVES.filter((d) => sources[d] !== undefined)
    .map((d) => `${d} ${sources[d]}`)
    .join('; ');
}

/**
 * For an in-browser tool served as a bundle from Till (GraphiQL, the API reference): the styles
 * its framework injects inline, images and fonts as data: or blob: URLs, and blob: workers.
 */
export const BUNDLED_TOOL_CSP = strictCsp({
  'style-src': "'self' 'unsafe-inline'",
  'img-src': "'self' data: blob:",
  'font-src': "'self' data:",
  'worker-src': "'self' blob:",
});
