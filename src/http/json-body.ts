import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';

/** Largest request body any surface accepts; bigger bodies get 413 in the surface's format. */
export const BODY_LIMIT = 256 * 1024;

/**
 * Deepest nesting of arrays and objects any JSON document Till accepts (a request body, GraphQL
 * `variables`): `{}` is one level, `{"a":[]}` two. Code that walks a value recursively (the ORM's
 * parameter mapping, fingerprints, serializers) then never meets a value deep enough to exhaust
 * the stack, and no legitimate request comes near it.
 */
export const MAX_JSON_DEPTH = 32;

/** `code` of the error for a body nested deeper than {@link MAX_JSON_DEPTH}; each surface names it its way. */
export const JSON_TOO_DEEP = 'TILL_JSON_TOO_DEEP';
/** `code` of the error for a body with text Till cannot store (see {@link unstorableText}). */
export const JSON_BAD_TEXT = 'TILL_JSON_BAD_TEXT';

export const jsonTooDeepMessage = (what: string) =>
  `${what} nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels.`;
export const badTextMessage = (what: string) =>
  `${what} contains a NUL character (\\u0000) or an unpaired surrogate (such as \\ud800), which cannot be stored.`;

/**
 * Text PostgreSQL refuses to store in `text` and `jsonb` columns: NUL, and UTF-16 surrogates without
 * their pair (JSON's `\ud800` escape). Refused at the edge, so such a string never reaches a write.
 */
export const unstorableText = (text: string): boolean => text.includes('\u0000') || !text.isWellFormed();

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether JSON text nests deeper than `max`, by one linear pass over the brackets outside strings,
 * before anything is parsed. Hand-rolled because neither V8's JSON.parse nor secure-json-parse has a
 * depth option, and a pass over at most {@link BODY_LIMIT} characters costs less than the parse. Text
 * that is not JSON may pass; the parser refuses it next.
 */
export function jsonTextTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

/** What is wrong with a parsed JSON value, and where (a dotted path; '' for the value itself). */
export interface JsonProblem {
  problem: 'too_deep' | 'bad_text';
  path: string;
}

/**
 * The first place a parsed value (a body, GraphQL variables from a query string or a graphql-ws
 * message) nests deeper than `max` or holds {@link unstorableText} in a key or a string, or null.
 * Iterative, so the check itself cannot overflow the stack.
 */
export function jsonValueProblem(value: unknown, max = MAX_JSON_DEPTH): JsonProblem | null {
  interface Visit {
    value: unknown;
    depth: number;
    key: string;
    parent: Visit | null;
  }
  const pathOf = (visit: Visit) => {
    const keys: string[] = [];
    for (let v: Visit | null = visit; v?.parent; v = v.parent) keys.unshift(v.key);
    return keys.join('.');
  };
  const stack: Visit[] = [{ value, depth: 0, key: '', parent: null }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const v = visit.value;
    if (typeof v === 'string') {
      if (unstorableText(v)) return { problem: 'bad_text', path: pathOf(visit) };
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (visit.depth + 1 > max) return { problem: 'too_deep', path: pathOf(visit) };
    const entries: [string, unknown][] = Array.isArray(v)
      ? v.map((item, i) => [String(i), item])
      : Object.entries(v);
    for (const [key, child] of entries) {
      // A bad key is reported at its object: echoing the key would echo the text refused.
      if (unstorableText(key)) return { problem: 'bad_text', path: pathOf(visit) };
      stack.push({ value: child, depth: visit.depth + 1, key, parent: visit });
    }
  }
  return null;
}

/** A 400 for a JSON body, with the code its surface maps and the body's path at fault. */
function bodyError(code: string, message: string, path: string) {
  return Object.assign(new Error(message), { statusCode: 400, code, path });
}

/**
 * JSON bodies: parsed with prototype-poisoning protection, the nesting limit and the text rule. An
 * empty body parses to undefined. Every JSON body of every surface (REST, OAuth, admin, the checkout
 * API and Apollo's GraphQL route) comes through here; each surface's error handler words the 400.
 */
export function registerJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    (request, body, done) => {
      const text = body as string;
      if (text.trim() === '') return done(null, undefined);
      if (jsonTextTooDeep(text))
        return done(bodyError(JSON_TOO_DEEP, jsonTooDeepMessage('The request body'), ''), undefined);
      let parsed: unknown;
      try {
        parsed = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
      } catch (error) {
        const err = error as Error & { statusCode?: number; code?: string };
        err.statusCode = 400;
        err.code = 'FST_ERR_CTP_INVALID_JSON_BODY';
        return done(err, undefined);
      }
      const found = jsonValueProblem(parsed);
      if (found?.problem === 'too_deep')
        return done(bodyError(JSON_TOO_DEEP, jsonTooDeepMessage('The request body'), ''), undefined);
      if (found)
        return done(
          bodyError(
            JSON_BAD_TEXT,
            badTextMessage(found.path ? `'${found.path}'` : 'The request body'),
            found.path,
          ),
          undefined,
        );
      done(null, parsed);
    },
  );
}
