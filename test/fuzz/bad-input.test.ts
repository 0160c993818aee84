import fc from 'fast-check';
import { accessToken } from '../support/api-dialect.js';
import { backends } from '../support/backends.js';
import { openCheckout, paidPayment } from '../support/checkout.js';
import { request } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

/**
 * Property-based fuzzing of every surface a merchant or a customer's browser can reach: generated
 * bodies, headers, query strings, paths and GraphQL variables against a real listening Till. For
 * every generated request: never a 5xx, a 4xx in that surface's own error format, a GraphQL answer
 * without INTERNAL_SERVER_ERROR, nothing written by a refused request, and the server still healthy
 * after each batch. The seed is fixed so every run is the same corpus; FUZZ_SEED and FUZZ_RUNS
 * explore further by hand. A counterexample fast-check reports is pinned in its surface's
 * regressions once fixed.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const RUNS = Number(process.env.FUZZ_RUNS ?? 250);

/** One generated HTTP request. */
interface Shot {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  /** Sent as bytes exactly, so no client adds a content type of its own. */
  body?: string | Uint8Array<ArrayBuffer>;
}

interface Answer {
  status: number;
  text: string;
  json: any;
}

type Surface = 'v1' | 'api' | 'checkout' | 'graphql' | 'oauth';

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null;
const isText = (v: unknown) => typeof v === 'string' && v.length > 0;

/** Each surface's error body, as README documents it. */
const ERROR_FORMAT: Record<Surface, (json: any) => boolean> = {
  v1: (j) =>
    isObject(j?.error) &&
    ['invalid_request_error', 'authentication_error', 'idempotency_error'].includes(j.error.type) &&
    isText(j.error.code) &&
    isText(j.error.message) &&
    (j.error.param === undefined || typeof j.error.param === 'string'),
  api: (j) =>
    j?.status === 'INVALID' &&
    Array.isArray(j.errors) &&
    j.errors.length > 0 &&
    j.errors.every((e: any) => typeof e.property === 'string' && isText(e.message)),
  checkout: (j) => isText(j?.error) && isText(j.message),
  graphql: (j) =>
    Array.isArray(j?.errors) &&
    j.errors.length > 0 &&
    j.errors.every((e: any) => isText(e.message) && isText(e.extensions?.code)),
  oauth: (j) => isText(j?.error),
};

// ---------------------------------------------------------------------------------------------
// Generators

/** Header values a real client can send: printable ASCII and Latin-1, no control characters. */
const headerText = (maxLength = 80) =>
  fc.string({
    unit: fc
      .oneof(
        { weight: 9, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
        { weight: 1, arbitrary: fc.integer({ min: 0xa0, max: 0xff }) },
      )
      .map((c) => String.fromCharCode(c)),
    maxLength,
  });

/** Percent-encodes any generated string (lone surrogates included, which encodeURIComponent refuses). */
const encode = (s: string) => encodeURIComponent(s.toWellFormed());

const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

/** Values of every JSON type, with unicode (lone surrogates included) and prototype-ish keys. */
const anyJson = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' });
const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: anyJson },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(
      0,
      -1,
      1,
      0.5,
      2 ** 31,
      2 ** 53 - 1,
      2 ** 53,
      -(2 ** 53),
      1e308,
      Number.MIN_VALUE,
      '',
      ' ',
      '0',
      '100',
      'EUR',
      'eur',
      'PURCHASE',
      'TERM001',
      'null',
      'https://shop.example.com/ok',
      'javascript:alert(1)',
      'http://',
      'x'.repeat(501),
      'x'.repeat(9000),
      '\u0000',
      '\ud800',
      '😀'.repeat(300),
      '<script>alert(1)</script>',
      "'; drop table payment; --",
      [],
      {},
      { save_card_for_future_payments: 'yes' },
      { simulated_flow: 'TELEPORT' },
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 600 }) },
  {
    weight: 1,
    arbitrary: fc.dictionary(
      fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), fc.string({ maxLength: 45 })),
      fc.oneof(fc.string({ maxLength: 510 }), fc.integer(), fc.constant(null)),
      { maxKeys: 60 },
    ),
  },
);

/** Number literals JSON allows but JavaScript cannot hold exactly (or at all). */
const hugeNumber = fc.constantFrom(
  '1e999',
  '-1e999',
  '9'.repeat(400),
  '1e-400',
  '-0',
  '0.1e1',
  '123456789012345678901234567890',
  '9007199254740993',
);

/** JSON text nested `depth` levels: arrays, objects, or both in turn. */
function nested(depth: number, kind: 'array' | 'object' | 'mixed'): string {
  const open = (i: number) => (kind === 'array' || (kind === 'mixed' && i % 2) ? '[' : '{"a":');
  const close = (i: number) => (kind === 'array' || (kind === 'mixed' && i % 2) ? ']' : '}');
  let text = '';
  for (let i = 0; i < depth; i++) text += open(i);
  text += '1';
  for (let i = depth - 1; i >= 0; i--) text += close(i);
  return text;
}
const deepText = fc
  .tuple(
    fc.constantFrom(31, 32, 33, 100, 3000, 100_000),
    fc.constantFrom('array', 'object', 'mixed') as fc.Arbitrary<'array' | 'object' | 'mixed'>,
  )
  .map(([depth, kind]) => nested(depth, kind));

/** A value as raw JSON text: ordinary, a huge number literal, or deep nesting. */
const rawValue = fc.oneof(
  { weight: 8, arbitrary: nastyValue.map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 1, arbitrary: hugeNumber },
  { weight: 1, arbitrary: deepText },
);

/**
 * A JSON body for an endpoint whose valid body is `base`: some of its fields kept, others set to
 * generated raw values (known names, prototype names, anything), or something else entirely.
 */
function jsonBody(base: Record<string, unknown>, extraKeys: string[] = []): fc.Arbitrary<string> {
  const keys = [...Object.keys(base), ...extraKeys];
  const object = fc
    .tuple(
      fc.oneof(fc.constant(Object.keys(base)), fc.subarray(Object.keys(base))),
      fc.array(
        fc.tuple(
          fc.oneof(
            { weight: 6, arbitrary: fc.constantFrom(...keys) },
            { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
            { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 50 }) },
          ),
          rawValue,
        ),
        { maxLength: 5 },
      ),
    )
    .map(([kept, changes]) => {
      const fields = new Map(kept.map((k) => [k, JSON.stringify(base[k])]));
      for (const [k, v] of changes) fields.set(k, v);
      return `{${[...fields].map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
    });
  return fc.oneof(
    { weight: 12, arbitrary: object },
    { weight: 1, arbitrary: fc.json({ maxDepth: 4, stringUnit: 'binary' }) },
    { weight: 1, arbitrary: deepText },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        '   ',
        'null',
        '[]',
        '{',
        '{"amount":',
        '\ufeff{}',
        '{"__proto__":{"x":1}}',
        '{"constructor":{"prototype":{"x":1}}}',
        '{"a":1}trailing',
        '"just a string"',
        '1e999',
        '{"a":"\\ud800"}',
        '{"a":"\\u0000"}',
        `{"a":${'1'.repeat(100_000)}}`,
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  );
}

/** Sometimes the body's bytes are not UTF-8 at all. */
const bodyBytes = (text: fc.Arbitrary<string>): fc.Arbitrary<string | Uint8Array<ArrayBuffer>> =>
  fc.oneof(
    { weight: 12, arbitrary: text },
    {
      weight: 1,
      arbitrary: fc
        .tuple(text, fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.nat())
        .map(([t, junk, at]) => {
          const bytes = new TextEncoder().encode(t);
          const i = bytes.length ? at % bytes.length : 0;
          return new Uint8Array([...bytes.subarray(0, i), 0xff, 0xc0, ...junk, ...bytes.subarray(i)]);
        }),
    },
  );

const contentType = fc.oneof(
  { weight: 10, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json; charset=latin1',
      'application/json;charset=UTF-8;foo=bar',
      'application/vnd.api+json',
      'application/jsonx',
      'text/plain',
      'text/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/graphql',
      '*/*',
      ';',
      '',
    ),
  },
  { weight: 1, arbitrary: headerText(40) },
);

const idempotencyKey = fc.oneof(
  { weight: 8, arbitrary: fc.uuid() },
  {
    weight: 2,
    arbitrary: fc.constantFrom('', ' ', 'a b', 'k'.repeat(255), 'k'.repeat(256), 'clé', '\t', '%00'),
  },
  { weight: 2, arbitrary: headerText(300) },
);

/** Authorization header shapes around one good credential. */
function authorization(good: string, others: string[]): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 24, arbitrary: fc.constant(`Bearer ${good}`) },
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        undefined,
        '',
        'Bearer',
        'Bearer ',
        `bearer ${good}`,
        `Bearer  ${good}`,
        `Bearer ${good}x`,
        `Bearer ${good.slice(0, -1)}`,
        `Basic ${Buffer.from(`${good}:`).toString('base64')}`,
        'Bearer eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4In0.',
        'Bearer a.b.c',
        ...others.map((o) => `Bearer ${o}`),
      ),
    },
    { weight: 1, arbitrary: headerText(200).map((t) => `Bearer ${t}`) },
  );
}

/** A query string: known and unknown parameters, repeated, with odd and broken percent-encodings. */
function queryString(names: string[], values: string[]): fc.Arbitrary<string> {
  const name = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...names) },
    { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS, 'limit[]', 'a[b]', '', '%', '%zz') },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map(encode) },
  );
  const value = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...values) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        '',
        '0',
        '-1',
        '1.5',
        '101',
        '1e2',
        '0x10',
        '99999999999999999999',
        '%',
        '%zz',
        '%C0%AF',
        '%00',
        '%E2%82',
        '+',
        '%2B',
        'a=b',
        'a&b',
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map(encode) },
  );
  return fc
    .array(fc.tuple(name, value, fc.boolean()), { maxLength: 6 })
    .map((pairs) =>
      pairs.length === 0 ? '' : `?${pairs.map(([k, v, bare]) => (bare && !v ? k : `${k}=${v}`)).join('&')}`,
    );
}

/**
 * A path segment: a real id, a foreign one, garbage, too long, or broken percent-encoding. Dot
 * segments are left out: the client resolves them, so the request would leave the surface.
 */
function pathSegment(good: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...good) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'pay_000000000000000000000000',
        'pay_',
        'x',
        '%',
        '%zz',
        '%C0%AF',
        '%00',
        'a%2Fb',
        '%2F',
        `pay_${'a'.repeat(200)}`,
        'a'.repeat(5000),
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .string({ unit: 'binary', maxLength: 120 })
        .filter((s) => s !== '.' && s !== '..')
        .map(encode),
    },
  );
}

// ---------------------------------------------------------------------------------------------
// The harness

describe.each(backends)('fuzzing every surface with generated input (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  let other: MerchantCredentials;
  let token: string;
  let otherToken: string;
  let v1Payment: string;
  let apiPayment: { id: string; sessionId: string; secret: string };
  let v1Checkout: { sessionId: string; secret: string };
  let oddSimulation: { sessionId: string; secret: string };
  let paid: string;
  let lastWrites = '';

  beforeAll(async () => {
    // Workers off: nothing but the requests themselves changes the merchant's rows.
    app = await startTill({
      backend,
      workers: false,
      env: { CHECKOUT_ATTEMPTS_PER_CLIENT: '1000000', LOG_LEVEL: 'warn' },
    });
    merchant = await newMerchant(app, 'Fuzzed');
    other = await newMerchant(app, 'Other');
    token = await accessToken(app.url, merchant);
    otherToken = await accessToken(app.url, other);
    const v1 = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: merchant.test_secret_key,
      body: { amount: 1000, currency: 'EUR', return_url: 'https://shop.example.com/r' },
    });
    v1Payment = v1.json.id;
    const v1Page = await openCheckout(v1.json.hosted_payment_url);
    v1Checkout = { sessionId: v1Page.init.session_id, secret: v1Page.hpp.session_secret };
    const api = await request(app.url, 'POST', '/api/hosted-payment-page', {
      key: token,
      body: API_BODY,
    });
    const apiPage = await openCheckout(api.json.redirect_url);
    apiPayment = {
      id: apiPage.hpp.payment_id,
      sessionId: apiPage.init.session_id,
      secret: apiPage.hpp.session_secret,
    };
    paid = await paidPayment(app, merchant, { amount: 100_000 });
    // v1 metadata is not checked against the simulation's values, yet the sandbox reads them.
    const odd = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: merchant.test_secret_key,
      body: {
        amount: 1000,
        currency: 'EUR',
        return_url: 'https://shop.example.com/r',
        metadata: { response_code: 'toString', simulated_flow: 'constructor' },
      },
    });
    const oddPage = await openCheckout(odd.json.hosted_payment_url);
    oddSimulation = { sessionId: oddPage.init.session_id, secret: oddPage.hpp.session_secret };
    lastWrites = await writes();
  });
  afterAll(() => app?.close());

  const API_BODY = {
    reference: 'ORDER-1',
    terminal_id: 'TERM001',
    currency: 'EUR',
    amount: 100,
    transaction_type: 'PURCHASE',
    description: 'Order',
    success_url: 'https://shop.example.com/s',
    cancel_url: 'https://shop.example.com/c',
    error_url: 'https://shop.example.com/e',
    customer_email: 'a@example.com',
    metadata: { simulated_flow: 'FRICTIONLESS', order: '1' },
    tokenization: { save_card_for_future_payments: false },
  };

  /** Everything a request could have written for the merchant: rows, and payment versions. */
  async function writes(): Promise<string> {
    const m = merchant.merchant_id;
    const [row] = await app.till.db.em.fork().execute(
      `select (select count(*) from payment where merchant_id = ?) as payments,
              (select coalesce(sum(version), 0) from payment where merchant_id = ?) as versions,
              (select count(*) from event where merchant_id = ?) as events,
              (select count(*) from idempotency_key where merchant_id = ?) as keys,
              (select count(*) from refund where merchant_id = ?) as refunds`,
      [m, m, m, m, m],
    );
    return JSON.stringify(row);
  }

  async function send(shot: Shot): Promise<Answer> {
    const res = await fetch(`${app.url}${shot.path}`, {
      method: shot.method,
      headers: shot.headers,
      body: typeof shot.body === 'string' ? new TextEncoder().encode(shot.body) : shot.body,
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json };
  }

  /**
   * Sends every generated request and checks it. `refused` says whether the answer refused the
   * request (a 4xx; for GraphQL also errors or userErrors); only an accepted one may write.
   */
  async function fuzz(
    surface: Surface,
    shots: fc.Arbitrary<Shot>,
    regressions: Shot[] = [],
    extra: (shot: Shot, answer: Answer) => void = () => {},
  ): Promise<void> {
    await fc.assert(
      fc.asyncProperty(shots, async (shot) => {
        const answer = await send(shot);
        const where = `${shot.method} ${shot.path.slice(0, 200)} → ${answer.status} ${answer.text.slice(0, 300)}`;
        if (answer.status >= 500) throw new Error(`5xx: ${where}`);
        if (answer.status >= 400 && !ERROR_FORMAT[surface](answer.json))
          throw new Error(`not a ${surface} error: ${where}`);
        const graphqlErrors: any[] = surface === 'graphql' ? (answer.json?.errors ?? []) : [];
        if (graphqlErrors.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR'))
          throw new Error(`internal error: ${where}`);
        extra(shot, answer);
        const refused =
          answer.status >= 400 ||
          graphqlErrors.length > 0 ||
          (surface === 'graphql' &&
            Object.values(answer.json?.data ?? {}).some(
              (payload: any) => isObject(payload) && payload.userErrors?.length > 0,
            ));
        const now = await writes();
        if (refused && now !== lastWrites)
          throw new Error(`a refused request wrote (${lastWrites} → ${now}): ${where}`);
        lastWrites = now;
      }),
      { seed: SEED, numRuns: RUNS, examples: regressions.map((r) => [r]), endOnFailure: true },
    );
    const health = await fetch(`${app.url}/healthz`);
    expect(health.status).toBe(200);
  }

  const json = (headers: Record<string, string | undefined>): Record<string, string> =>
    Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined));

  it('every JSON body nested deeper than 32 levels is a 400 in its surface’s format, writing nothing', async () => {
    const deep = nested(3000, 'mixed');
    const cases: [Surface, Shot, (json: any) => void][] = [
      [
        'v1',
        {
          method: 'POST',
          path: '/v1/payments/hpp',
          headers: { authorization: `Bearer ${merchant.test_secret_key}`, 'idempotency-key': 'deep-1' },
          body: deep,
        },
        (j) => expect(j.error).toMatchObject({ code: 'json_too_deep', param: 'body' }),
      ],
      [
        'v1',
        {
          method: 'POST',
          path: `/admin/v1/merchants/${merchant.merchant_id}/api_keys`,
          headers: { authorization: `Bearer test-admin-token-0123456789` },
          body: `{"type":"secret","livemode":${deep}}`,
        },
        (j) => expect(j.error).toMatchObject({ code: 'json_too_deep', param: 'body' }),
      ],
      [
        'api',
        {
          method: 'POST',
          path: '/api/hosted-payment-page',
          headers: { authorization: `Bearer ${token}` },
          body: `{"metadata":${deep}}`,
        },
        (j) => expect(j.errors).toEqual([{ property: 'body', message: expect.stringMatching(/32 levels/) }]),
      ],
      [
        'oauth',
        { method: 'POST', path: '/api/oauth2/login/token', headers: {}, body: `{"username":${deep}}` },
        (j) =>
          expect(j).toEqual({
            error: 'invalid_request',
            error_description: expect.stringMatching(/32 levels/),
          }),
      ],
      [
        'checkout',
        {
          method: 'POST',
          path: `/hpp/api/sessions/${v1Checkout.sessionId}/pay`,
          headers: { 'x-client-key': merchant.client_key, 'x-session-secret': v1Checkout.secret },
          body: `{"number":${deep}}`,
        },
        (j) => expect(j).toEqual({ error: 'invalid_request', message: expect.stringMatching(/32 levels/) }),
      ],
      [
        'graphql',
        {
          method: 'POST',
          path: '/graphql',
          headers: { authorization: `Bearer ${merchant.test_secret_key}` },
          body: `{"query":"{ payments { nodes { id } } }","variables":{"a":${deep}}}`,
        },
        (j) => expect(j.errors[0].extensions.code).toBe('BAD_REQUEST'),
      ],
    ];
    for (const [surface, shot, detail] of cases) {
      const answer = await send({
        ...shot,
        headers: { 'content-type': 'application/json', ...shot.headers },
      });
      expect([shot.path, answer.status]).toEqual([shot.path, 400]);
      expect(ERROR_FORMAT[surface](answer.json)).toBe(true);
      detail(answer.json);
    }
    expect(await writes()).toBe(lastWrites);
  });

  // -------------------------------------------------------------------------------------------
  // REST v1

  const v1Auth = () =>
    authorization(merchant.test_secret_key, [merchant.client_key, token, merchant.live_secret_key]);

  it('REST v1 POST /v1/payments/hpp', async () => {
    const base = {
      amount: 2500,
      currency: 'EUR',
      return_url: 'https://shop.example.com/r',
      merchant_reference: 'ord_1',
      description: 'Order',
      billing_details: { email: 'a@example.com', address: { country: 'DE' } },
      metadata: { order: '1' },
    };
    const shots = fc
      .record({
        body: bodyBytes(jsonBody(base)),
        contentType,
        key: idempotencyKey,
        auth: v1Auth(),
      })
      .map(({ body, contentType, key, auth }): Shot => ({
        method: 'POST',
        path: '/v1/payments/hpp',
        headers: json({ 'content-type': contentType, 'idempotency-key': key, authorization: auth }),
        body,
      }));
    const post = (body: string): Shot => ({
      method: 'POST',
      path: '/v1/payments/hpp',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': `regression-${body.length}-${body.slice(-20)}`,
        authorization: `Bearer ${merchant.test_secret_key}`,
      },
      body,
    });
    await fuzz('v1', shots, [
      // metadata nested 3,000 deep: the ORM's parameter mapping overflowed the stack (500).
      post(
        `{"amount":100,"currency":"EUR","return_url":"https://a.example/","metadata":{"a":${nested(3000, 'array')}}}`,
      ),
      post(nested(100_000, 'array')),
      // A NUL or an unpaired surrogate reached PostgreSQL, which cannot store either (500).
      post(`{"amount":100,"currency":"EUR","return_url":"https://a.example/","metadata":{"a":"\\ud800"}}`),
      post(`{"amount":100,"currency":"EUR","return_url":"https://a.example/","description":"a\\u0000b"}`),
    ]);
  });

  it('REST v1 GET /v1/payments (list)', async () => {
    const shots = fc
      .record({
        query: queryString(
          ['limit', 'starting_after', 'status'],
          [
            '1',
            '10',
            '100',
            'PENDING',
            'SUCCEEDED',
            'pending',
            v1Payment,
            paid,
            'pay_000000000000000000000000',
          ],
        ),
        auth: v1Auth(),
      })
      .map(({ query, auth }): Shot => ({
        method: 'GET',
        path: `/v1/payments${query}`,
        headers: json({ authorization: auth }),
      }));
    await fuzz('v1', shots);
  });

  it('REST v1 GET /v1/payments/{id} and its refunds', async () => {
    const shots = fc
      .record({
        id: pathSegment([v1Payment, paid, apiPayment.id]),
        refunds: fc.boolean(),
        query: queryString(['expand'], ['x']),
        auth: v1Auth(),
      })
      .map(({ id, refunds, query, auth }): Shot => ({
        method: 'GET',
        path: `/v1/payments/${id}${refunds ? '/refunds' : ''}${query}`,
        headers: json({ authorization: auth }),
      }));
    await fuzz('v1', shots, [
      // An id longer than the router's parameter limit answered 414 in Fastify's own format.
      {
        method: 'GET',
        path: `/v1/payments/${'a'.repeat(5000)}`,
        headers: { authorization: `Bearer ${merchant.test_secret_key}` },
      },
      // A broken percent-encoding answered 400 in Fastify's own format.
      {
        method: 'GET',
        path: '/v1/payments/%',
        headers: { authorization: `Bearer ${merchant.test_secret_key}` },
      },
    ]);
  });

  it('REST v1 POST /v1/payments/{id}/cancel and /refunds', async () => {
    const shots = fc
      .record({
        id: pathSegment([v1Payment, paid, apiPayment.id]),
        action: fc.constantFrom('cancel', 'refunds'),
        body: bodyBytes(
          fc.oneof(
            fc.constant(''),
            fc.constant('{}'),
            jsonBody({ amount: 100, reason: 'requested_by_customer' }, ['reason']),
          ),
        ),
        contentType,
        key: idempotencyKey,
        auth: v1Auth(),
      })
      .map(({ id, action, body, contentType, key, auth }): Shot => ({
        method: 'POST',
        path: `/v1/payments/${id}/${action}`,
        headers: json({ 'content-type': contentType, 'idempotency-key': key, authorization: auth }),
        body,
      }));
    await fuzz('v1', shots);
  });

  // -------------------------------------------------------------------------------------------
  // The api dialect

  it('api dialect POST /api/hosted-payment-page and /api/sessions', async () => {
    const flatExtra = ['customer_id', 'customer_first_name', 'customer_country', 'country', 'customer'];
    const nestedBase = {
      ...API_BODY,
      customer_email: undefined,
      customer: { email: 'a@example.com', country: 'DE' },
      country: 'DE',
    };
    const shots = fc
      .record({
        endpoint: fc.constantFrom('/api/hosted-payment-page', '/api/sessions'),
        flat: bodyBytes(jsonBody(API_BODY, flatExtra)),
        nested: bodyBytes(jsonBody(nestedBase, flatExtra)),
        contentType,
        key: fc.option(idempotencyKey, { freq: 3 }),
        auth: authorization(token, [merchant.test_secret_key, merchant.client_key, otherToken]),
        apiKey: fc.oneof(
          { weight: 6, arbitrary: fc.constant<string | undefined>(merchant.api_key) },
          { weight: 1, arbitrary: fc.constantFrom<string | undefined>(undefined, '', other.api_key, 'nope') },
        ),
      })
      .map(({ endpoint, flat, nested, contentType, key, auth, apiKey }): Shot => ({
        method: 'POST',
        path: endpoint,
        headers: json({
          'content-type': contentType,
          'idempotency-key': key ?? undefined,
          authorization: auth,
          'x-api-key': apiKey,
        }),
        body: endpoint === '/api/sessions' ? nested : flat,
      }));
    const post = (path: string, body: string): Shot => ({
      method: 'POST',
      path,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        'x-api-key': merchant.api_key,
      },
      body,
    });
    await fuzz('api', shots, [
      post(
        '/api/hosted-payment-page',
        JSON.stringify(API_BODY).replace('"order":"1"', `"order":${nested(3000, 'object')}`),
      ),
      post('/api/sessions', `{"metadata":${nested(5000, 'mixed')}}`),
      post('/api/hosted-payment-page', JSON.stringify({ ...API_BODY, description: 'x\udc00' })),
    ]);
  });

  // -------------------------------------------------------------------------------------------
  // The hosted page's checkout API

  it('checkout API GET /hpp/api/sessions/{id} and POST …/pay', async () => {
    const sessions = [v1Checkout.sessionId, apiPayment.sessionId, oddSimulation.sessionId];
    const shots = fc
      .record({
        session: pathSegment(sessions),
        action: fc.constantFrom('', '', '/pay', '/pay', '/pay', '/pay', '/pay', '/cancel'),
        clientKey: fc.oneof(
          { weight: 6, arbitrary: fc.constant<string | undefined>(merchant.client_key) },
          {
            weight: 1,
            arbitrary: fc.constantFrom<string | undefined>(
              undefined,
              '',
              other.client_key,
              merchant.test_secret_key,
            ),
          },
          { weight: 1, arbitrary: headerText(120) },
        ),
        secret: fc.oneof(
          {
            weight: 6,
            arbitrary: fc.constantFrom<string | undefined>(
              v1Checkout.secret,
              apiPayment.secret,
              oddSimulation.secret,
            ),
          },
          // An api-dialect payment's id is not its secret.
          {
            weight: 2,
            arbitrary: fc.constantFrom<string | undefined>(apiPayment.id, undefined, '', 'x'.repeat(101)),
          },
          { weight: 1, arbitrary: headerText(120) },
        ),
        body: bodyBytes(
          jsonBody(
            { number: '4000000000000002', exp_month: 12, exp_year: 2034, cvc: '123', name: 'Jenny Rosen' },
            ['number', 'cvc'],
          ),
        ),
        contentType,
      })
      .map(({ session, action, clientKey, secret, body, contentType }): Shot => ({
        method: action ? 'POST' : 'GET',
        path: `/hpp/api/sessions/${session}${action}`,
        headers: json({
          'x-client-key': clientKey,
          'x-session-secret': secret,
          ...(action ? { 'content-type': contentType } : {}),
        }),
        ...(action ? { body } : {}),
      }));
    const pay = (session: { sessionId: string; secret: string }, body: unknown): Shot => ({
      method: 'POST',
      path: `/hpp/api/sessions/${session.sessionId}/pay`,
      headers: {
        'content-type': 'application/json',
        'x-client-key': merchant.client_key,
        'x-session-secret': session.secret,
      },
      body: JSON.stringify(body),
    });
    const regressions = [
      // metadata.response_code "toString" named Object.prototype.toString as the forced outcome (500).
      pay(oddSimulation, {
        number: '4242424242424242',
        exp_month: 12,
        exp_year: 2034,
        cvc: '123',
        name: 'J R',
      }),
    ];
    await fuzz('checkout', shots, regressions, (shot, answer) => {
      // The payment id never opens an api-dialect payment, whatever else the request says.
      if (shot.headers['x-session-secret'] === apiPayment.id && answer.status < 400)
        throw new Error(`an api-dialect payment opened by its id: ${answer.text}`);
    });
  });

  // -------------------------------------------------------------------------------------------
  // GraphQL

  const CREATE = `mutation Create($input: CreateHostedPaymentInput!) {
    createHostedPayment(input: $input) { payment { id status metadata } hostedPaymentUrl userErrors { field message code } }
  }`;
  const PAYMENTS = `query Payments($first: Int, $after: String, $filter: PaymentFilter) {
    payments(first: $first, after: $after, filter: $filter) { edges { cursor node { id status } } pageInfo { hasNextPage } }
  }`;
  const graphqlPost = (body: string, auth: string | undefined, contentType = 'application/json'): Shot => ({
    method: 'POST',
    path: '/graphql',
    headers: json({ 'content-type': contentType, authorization: auth }),
    body,
  });

  it('GraphQL createHostedPayment with generated input variables', async () => {
    const input = {
      amount: 2500,
      currency: 'EUR',
      returnUrl: 'https://shop.example.com/r',
      merchantReference: 'ord_1',
      description: 'Order',
      billingDetails: { email: 'a@example.com', address: { country: 'DE', postalCode: '10719' } },
      metadata: { order: '1' },
    };
    const apiInput = {
      amount: 100,
      currency: 'EUR',
      terminalId: 'TERM001',
      transactionType: 'AUTHORIZE',
      successUrl: 'https://shop.example.com/s',
      cancelUrl: 'https://shop.example.com/c',
      errorUrl: 'https://shop.example.com/e',
      customer: { email: 'a@example.com' },
      saveCardForFuturePayments: true,
      metadata: { simulated_flow: 'CHALLENGE' },
    };
    const variables = fc.oneof(
      { weight: 5, arbitrary: jsonBody(input, ['idempotencyKey', 'terminalId', 'customer']) },
      { weight: 3, arbitrary: jsonBody(apiInput, ['returnUrl', 'idempotencyKey']) },
    );
    const shots = fc
      .record({
        variables: fc.oneof(
          { weight: 8, arbitrary: variables.map((v) => `{"input":${v}}`) },
          { weight: 1, arbitrary: jsonBody({ input }) },
        ),
        auth: authorization(merchant.test_secret_key, [token, merchant.client_key]),
        key: fc.option(idempotencyKey, { freq: 4 }),
        contentType,
      })
      .map(({ variables, auth, key, contentType }) => {
        const shot = graphqlPost(
          `{"query":${JSON.stringify(CREATE)},"variables":${variables}}`,
          auth,
          contentType,
        );
        if (key) shot.headers['idempotency-key'] = key;
        return shot;
      });
    const auth = `Bearer ${merchant.test_secret_key}`;
    await fuzz('graphql', shots, [
      // A 3,000-deep metadata overflowed the stack inside the resolver (200 with INTERNAL_SERVER_ERROR).
      graphqlPost(
        `{"query":${JSON.stringify(CREATE)},"variables":{"input":{"amount":1,"currency":"EUR","returnUrl":"https://a.example/","metadata":{"a":${nested(3000, 'array')}}}}}`,
        auth,
      ),
      // Text PostgreSQL cannot store, in a variable and in a string literal (200 with INTERNAL_SERVER_ERROR).
      graphqlPost(
        JSON.stringify({
          query: CREATE,
          variables: {
            input: { amount: 1, currency: 'EUR', returnUrl: 'https://a.example/', description: '\u0000' },
          },
        }),
        auth,
      ),
      graphqlPost(
        JSON.stringify({
          query: `mutation { createHostedPayment(input: {amount: 1, currency: "EUR", returnUrl: "https://a.example/", metadata: {a: "\\u0000"}}) { payment { id } } }`,
        }),
        auth,
      ),
    ]);
  });

  it('GraphQL payments with generated arguments, as variables (POST and GET) and as literals', async () => {
    const literal: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.integer().map(String),
        fc.constantFrom(
          '99999999999999999999',
          '1e400',
          '-0',
          '0.5',
          'PENDING',
          'SUCCEEDED',
          'null',
          'true',
          '$first',
        ),
        fc.string({ unit: 'binary', maxLength: 30 }).map((s) => JSON.stringify(s)),
        fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(' ')}]`),
        fc
          .array(fc.tuple(fc.constantFrom('status', 'a', '__proto__', 'first'), tie('value')), {
            maxLength: 3,
          })
          .map((fields) => `{${fields.map(([k, v]) => `${k}: ${v}`).join(' ')}}`),
      ),
    })).value;
    const deepLiteral = fc
      .constantFrom(33, 200, 900)
      .map((depth) => `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`);
    const argumentsText = fc
      .array(
        fc.tuple(
          fc.constantFrom('first', 'after', 'filter', 'last', 'status'),
          fc.oneof({ weight: 6, arbitrary: literal }, { weight: 1, arbitrary: deepLiteral }),
        ),
        { maxLength: 3 },
      )
      .map((args) => (args.length ? `(${args.map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''));
    const variables = jsonBody({ first: 5, after: null, filter: { status: 'PENDING' } });
    const auth = authorization(merchant.test_secret_key, [token, merchant.client_key]);
    const shots = fc.oneof(
      fc
        .record({ variables, auth, contentType })
        .map(({ variables, auth, contentType }) =>
          graphqlPost(`{"query":${JSON.stringify(PAYMENTS)},"variables":${variables}}`, auth, contentType),
        ),
      // Within what a request line may carry (Node refuses larger headers itself, before Till).
      fc
        .record({ variables: variables.filter((v) => encode(v).length < 8000), auth })
        .map(({ variables, auth }): Shot => ({
          method: 'GET',
          path: `/graphql?query=${encodeURIComponent(PAYMENTS)}&variables=${encode(variables)}`,
          headers: json({ authorization: auth, 'apollo-require-preflight': 'true' }),
        })),
      fc
        .record({ args: argumentsText, auth })
        .map(({ args, auth }) =>
          graphqlPost(JSON.stringify({ query: `{ payments${args} { edges { node { id } } } }` }), auth),
        ),
    );
    const auth0 = `Bearer ${merchant.test_secret_key}`;
    await fuzz('graphql', shots, [
      // Variables arriving in a query string never pass the body parser's nesting limit.
      {
        method: 'GET',
        path: `/graphql?query=${encodeURIComponent(PAYMENTS)}&variables=${encodeURIComponent(`{"filter":${nested(2000, 'array')}}`)}`,
        headers: { authorization: auth0, 'apollo-require-preflight': 'true' },
      },
      graphqlPost(
        JSON.stringify({
          query: `{ payments(filter: ${'{a: '.repeat(900)}1${'}'.repeat(900)}) { edges { cursor } } }`,
        }),
        auth0,
      ),
      // An explicit null for `first`, a non-null argument with a default: graphql-js failed the field
      // at execution (200 with INTERNAL_SERVER_ERROR).
      graphqlPost(JSON.stringify({ query: PAYMENTS, variables: { first: null } }), auth0),
    ]);
  });

  // -------------------------------------------------------------------------------------------
  // OAuth's JSON login

  it('OAuth POST /api/oauth2/login/token (JSON), /api/oauth2/token and /revoke (form)', async () => {
    const login = fc
      .record({
        body: bodyBytes(jsonBody({ username: merchant.oauth.username, password: 'wrong-password' })),
        contentType,
      })
      .map(({ body, contentType }): Shot => ({
        method: 'POST',
        path: '/api/oauth2/login/token',
        headers: { 'content-type': contentType },
        body,
      }));
    const form = fc
      .record({
        endpoint: fc.constantFrom('/api/oauth2/token', '/api/oauth2/revoke'),
        body: queryString(
          ['grant_type', 'scope', 'client_id', 'client_secret', 'username', 'password', 'token'],
          ['client_credentials', 'password', 'payments', merchant.oauth.client_id, 'wrong', token],
        ).map((q) => q.slice(1)),
        contentType: fc.oneof(
          { weight: 4, arbitrary: fc.constant('application/x-www-form-urlencoded') },
          { weight: 1, arbitrary: contentType },
        ),
        auth: fc.option(
          fc.constantFrom(
            `Basic ${Buffer.from(`${merchant.oauth.client_id}:wrong`).toString('base64')}`,
            'Basic !!!',
            'Basic',
            `Bearer ${token}`,
          ),
        ),
      })
      .map(({ endpoint, body, contentType, auth }): Shot => ({
        method: 'POST',
        path: endpoint,
        headers: json({ 'content-type': contentType, authorization: auth ?? undefined }),
        body,
      }));
    await fuzz(
      'oauth',
      fc.oneof(login, form),
      [
        // A NUL in the username reached PostgreSQL (500).
        {
          method: 'POST',
          path: '/api/oauth2/login/token',
          headers: { 'content-type': 'application/json' },
          body: '{"username":"a\\u0000","password":"x"}',
        },
        {
          method: 'POST',
          path: '/api/oauth2/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=password&username=a%00&password=b',
        },
        // A form parameter named after an Object.prototype member was taken for a repeated one.
        {
          method: 'POST',
          path: '/api/oauth2/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=password&toString=1&username=a&password=b',
        },
      ],
      (shot, answer) => {
        const names = String(shot.body)
          .split('&')
          .map((pair) => pair.split('=')[0]);
        const once = names.filter((n) => n === 'toString').length === 1;
        if (once && /Parameter toString was sent more than once/.test(answer.text))
          throw new Error(`a prototype name taken for a repeated parameter: ${answer.text}`);
      },
    );
  });
});
