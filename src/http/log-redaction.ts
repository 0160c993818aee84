import type { Config } from '../config.js';

const REDACTED = '[redacted]';

/**
 * Every shape of secret that can end up in a log line — in a request URL, an error message, a
 * stack, any field — with what replaces it. Headers are also censored by path in the logger's
 * `redact`; these patterns catch the same secrets wherever else they appear. A token stops at a
 * quote or backslash, so a JSON log line stays valid JSON. Each pattern starts with a literal (or
 * at the start of a run of token characters) and never backtracks over what it consumed: log lines
 * carry what clients send, and scrubbing must stay linear in their length.
 */
const PATTERNS: readonly (readonly [RegExp, string])[] = [
  // The token of a hosted page URL `/hpp/payment/<token>/<session_id>` opens the checkout.
  [/(\/hpp\/payment\/)[^/\s"'\\?#]+/g, `$1${REDACTED}`],
  // Secret keys (`api_test_sk_…`, `api_live_sk_…`); publishable `_pk_` keys are public by design.
  [/_sk_[A-Za-z0-9]+/g, `_sk_${REDACTED}`],
  // The api dialect's `x-api-key`.
  [/\b(api_key_)[A-Za-z0-9]{8,}/g, `$1${REDACTED}`],
  // Webhook signing secrets (Standard Webhooks: `whsec_` + base64).
  [/\b(whsec_)[A-Za-z0-9+/=]+/g, `$1${REDACTED}`],
  // Any bearer credential written out in text (the Authorization header itself is censored too).
  [/\b(Bearer\s+)[^\s"'\\,;]+/gi, `$1${REDACTED}`],
  // JWTs (OIDC access tokens), wherever they are quoted.
  [/(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, REDACTED],
];

/** Literal secrets shorter than this are not searched for: they would censor ordinary words. */
const MIN_LITERAL = 8;

/** A function that removes every known secret from a text: the given literals and the patterns. */
export function secretScrubber(
  literals: readonly (string | null | undefined)[] = [],
): (text: string) => string {
  const forms = new Set<string>();
  for (const literal of literals) {
    if (!literal || literal.length < MIN_LITERAL) continue;
    forms.add(literal);
    forms.add(JSON.stringify(literal).slice(1, -1)); // as it appears inside a JSON log line
  }
  const exact = forms.size
    ? new RegExp(
        [...forms]
          .sort((a, b) => b.length - a.length)
          .map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('|'),
        'g',
      )
    : null;
  return (text) => {
    // Literals first: a pattern could cut into a literal and leave the rest of it behind.
    let out = exact ? text.replace(exact, REDACTED) : text;
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  };
}

/** The secrets Till is configured with, which must never be logged whatever their shape. */
export function configuredSecrets(config: Config): string[] {
  const keys = config.encryption?.keys ?? [];
  return [
    config.adminToken,
    config.metricsToken,
    ...keys.flatMap(({ key }) => [key.toString('base64'), key.toString('base64url'), key.toString('hex')]),
  ].filter((s): s is string => typeof s === 'string');
}

/**
 * A log destination that scrubs every line before it reaches `destination`: the one place every log
 * line passes, so no serializer or message can carry a secret past it.
 */
export function redactingStream(
  destination: { write(chunk: string): unknown },
  literals: readonly (string | null | undefined)[],
): { write(chunk: string): void } {
  const scrub = secretScrubber(literals);
  return {
    write(chunk: string) {
      destination.write(scrub(chunk));
    },
  };
}
