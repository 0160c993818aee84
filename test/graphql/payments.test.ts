import {
  CancelPaymentDocument,
  CreateHostedPaymentDocument,
  PaymentDocument,
  PaymentsDocument,
  type CreateHostedPaymentInput,
} from '../__generated__/graphql.js';
import { print } from 'graphql';
import { backends } from '../support/backends.js';
import { gql, wsClient } from '../support/graphql.js';
import { request } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

const INPUT: CreateHostedPaymentInput = {
  amount: 2500,
  currency: 'EUR',
  merchantReference: 'ord_5678',
  returnUrl: 'https://shop.example.com/checkout/complete',
};

describe.each(backends)('GraphQL payments (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  const create = (
    input: CreateHostedPaymentInput,
    key = merchant.test_secret_key,
    headers?: Record<string, string>,
  ) => gql(app.url, CreateHostedPaymentDocument, { input }, { key, headers });

  beforeAll(async () => {
    app = await startTill({ backend });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    merchant = await newMerchant(app);
  });

  it('creates a hosted payment that REST v1 returns with the same fields', async () => {
    const res = await create({
      ...INPUT,
      description: 'Order #5678',
      metadata: { order_id: 'ord_5678' },
      billingDetails: { email: 'jenny@example.com', address: { postalCode: '10719', country: 'DE' } },
    });
    expect(res.status).toBe(200);
    const out = res.data!.createHostedPayment;
    expect(out.userErrors).toEqual([]);
    const p = out.payment!;
    expect(p).toMatchObject({
      amount: 2500,
      currency: 'EUR',
      status: 'PENDING',
      integrationType: 'HOSTED_PAYMENT_PAGE',
      livemode: false,
      merchantReference: 'ord_5678',
      description: 'Order #5678',
      metadata: { order_id: 'ord_5678' },
      billingDetails: {
        email: 'jenny@example.com',
        address: { postalCode: '10719', country: 'DE', line1: null },
      },
      version: 1,
    });
    expect(out.hostedPaymentUrl).toBe(`${app.till.config.publicUrl}/hpp/${p.id}`);
    const v1 = await request(app.url, 'GET', `/v1/payments/${p.id}`, { key: merchant.test_secret_key });
    expect(v1.json).toMatchObject({
      id: p.id,
      amount: p.amount,
      created_at: p.createdAt,
      hosted_payment_url: p.hostedPaymentUrl,
      billing_details: { email: 'jenny@example.com', address: { postal_code: '10719', country: 'DE' } },
    });
    const read = await gql(app.url, PaymentDocument, { id: p.id }, { key: merchant.test_secret_key });
    expect(read.data!.payment).toEqual(p);
  });

  it('returns validation failures as userErrors listing every bad field, and creates nothing', async () => {
    const res = await create({
      ...INPUT,
      amount: 0,
      currency: 'USD',
      returnUrl: 'ftp://x',
      billingDetails: { address: { country: 'Deutschland' } },
    });
    expect(res.status).toBe(200);
    const out = res.data!.createHostedPayment;
    expect(out.payment).toBeNull();
    expect(out.userErrors.map((e) => e.field)).toEqual([
      ['input', 'amount'],
      ['input', 'currency'],
      ['input', 'returnUrl'],
      ['input', 'billingDetails', 'address', 'country'],
    ]);
    expect(out.userErrors.every((e) => e.code === 'invalid_request')).toBe(true);
    const list = await gql(app.url, PaymentsDocument, { first: 10 }, { key: merchant.test_secret_key });
    expect(list.data!.payments.nodes).toEqual([]);
  });

  it('rejects an amount beyond 2^53 − 1 at the scalar, with a 400', async () => {
    const res = await create({ ...INPUT, amount: 2 ** 53 + 2 });
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('replays an idempotent create and refuses the key for a different input', async () => {
    const first = await create({ ...INPUT, idempotencyKey: 'order-5678' });
    const again = await create({ ...INPUT, idempotencyKey: 'order-5678' });
    expect(again.data!.createHostedPayment.payment!.id).toBe(first.data!.createHostedPayment.payment!.id);
    const viaHeader = await create(INPUT, merchant.test_secret_key, { 'Idempotency-Key': 'order-5678' });
    expect(viaHeader.data!.createHostedPayment.payment!.id).toBe(first.data!.createHostedPayment.payment!.id);
    const different = await create({ ...INPUT, amount: 2501, idempotencyKey: 'order-5678' });
    expect(different.data!.createHostedPayment.payment).toBeNull();
    expect(different.data!.createHostedPayment.userErrors[0]?.code).toBe('idempotency_key_reused');
    const list = await gql(app.url, PaymentsDocument, { first: 10 }, { key: merchant.test_secret_key });
    expect(list.data!.payments.nodes).toHaveLength(1);
  });

  it('refuses a malformed idempotencyKey as a user error on the input field, creating nothing', async () => {
    const res = await create({ ...INPUT, idempotencyKey: 'has space' });
    expect(res.data!.createHostedPayment.payment).toBeNull();
    expect(res.data!.createHostedPayment.userErrors).toEqual([
      expect.objectContaining({ field: ['input', 'idempotencyKey'], code: 'invalid_request' }),
    ]);
    const list = await gql(app.url, PaymentsDocument, { first: 10 }, { key: merchant.test_secret_key });
    expect(list.data!.payments.nodes).toHaveLength(0);
  });

  it('pages with Relay cursors and filters by status', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await create(INPUT)).data!.createHostedPayment.payment!.id);
    const key = merchant.test_secret_key;
    const page1 = await gql(app.url, PaymentsDocument, { first: 2 }, { key });
    expect(page1.data!.payments.edges.map((e) => e.node.id)).toEqual([ids[2], ids[1]]);
    expect(page1.data!.payments.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const page2 = await gql(
      app.url,
      PaymentsDocument,
      { first: 2, after: page1.data!.payments.pageInfo.endCursor },
      { key },
    );
    expect(page2.data!.payments.edges.map((e) => e.node.id)).toEqual([ids[0]]);
    expect(page2.data!.payments.pageInfo.hasNextPage).toBe(false);
    await gql(app.url, CancelPaymentDocument, { id: ids[1]! }, { key });
    const canceled = await gql(
      app.url,
      PaymentsDocument,
      { first: 10, filter: { status: 'CANCELED' } },
      { key },
    );
    expect(canceled.data!.payments.nodes.map((n) => n.id)).toEqual([ids[1]]);
  });

  it.each([
    ['first 0', { first: 0 }],
    ['first 101', { first: 101 }],
    ['a garbage cursor', { first: 5, after: 'not-a-cursor' }],
  ])('refuses %s with BAD_USER_INPUT and a 400', async (_name, variables) => {
    const res = await gql(app.url, PaymentsDocument, variables, { key: merchant.test_secret_key });
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('cancels once; a second cancel is a userError and changes nothing', async () => {
    const id = (await create(INPUT)).data!.createHostedPayment.payment!.id;
    const key = merchant.test_secret_key;
    const first = await gql(app.url, CancelPaymentDocument, { id }, { key });
    expect(first.data!.cancelPayment).toMatchObject({
      payment: { id, status: 'CANCELED', version: 2 },
      userErrors: [],
    });
    const second = await gql(app.url, CancelPaymentDocument, { id }, { key });
    expect(second.data!.cancelPayment.payment).toBeNull();
    expect(second.data!.cancelPayment.userErrors[0]).toMatchObject({ code: 'payment_unexpected_state' });
    const read = await gql(app.url, PaymentDocument, { id }, { key });
    expect(read.data!.payment.version).toBe(2);
  });

  describe('top-level errors', () => {
    it('no credentials → UNAUTHENTICATED with 401', async () => {
      const res = await create(INPUT, '');
      expect(res.status).toBe(401);
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });
    it('a wrong key → 401, and the key is not echoed', async () => {
      const res = await create(INPUT, 'api_test_sk_00000000000000000000000000000000');
      expect(res.status).toBe(401);
      expect(JSON.stringify(res)).not.toContain('api_test_sk_0000');
    });
    it('an unknown payment → NOT_FOUND with 404', async () => {
      const res = await gql(
        app.url,
        PaymentDocument,
        { id: 'pay_000000000000000000000000' },
        { key: merchant.test_secret_key },
      );
      expect(res.status).toBe(404);
      expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    });
    it("another merchant's payment → NOT_FOUND, and its cancel changes nothing", async () => {
      const id = (await create(INPUT)).data!.createHostedPayment.payment!.id;
      const other = await newMerchant(app, 'Other');
      const res = await gql(app.url, PaymentDocument, { id }, { key: other.test_secret_key });
      expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const cancel = await gql(app.url, CancelPaymentDocument, { id }, { key: other.test_secret_key });
      expect(cancel.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const mine = await gql(app.url, PaymentDocument, { id }, { key: merchant.test_secret_key });
      expect(mine.data!.payment.status).toBe('PENDING');
    });
    it.each([
      ['malformed JSON', '{"query": "{ payments', 'application/json'],
      ['a query that does not parse', JSON.stringify({ query: '{ payments(' }), 'application/json'],
      ['an unknown field', JSON.stringify({ query: '{ nothing }' }), 'application/json'],
      ['a missing query', JSON.stringify({ variables: {} }), 'application/json'],
      [
        'wrong variable types',
        JSON.stringify({ query: 'query($id: ID!){ payment(id: $id) { id } }', variables: { id: 5.5 } }),
        'application/json',
      ],
    ])('%s → 400 with a GraphQL error body', async (_name, body, type) => {
      const res = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': type, authorization: `Bearer ${merchant.test_secret_key}` },
        body,
      });
      expect(res.status).toBe(400);
      const json = (await res.json()) as { errors: { message: string }[] };
      expect(json.errors[0]!.message).toEqual(expect.any(String));
    });
    it('answers queries over GET with just the Bearer key', async () => {
      const id = (await create(INPUT)).data!.createHostedPayment.payment!.id;
      const query = encodeURIComponent('{ payments(first: 1) { nodes { id } } }');
      const res = await fetch(`${app.url}/graphql?query=${query}`, {
        headers: { authorization: `Bearer ${merchant.test_secret_key}` },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ data: { payments: { nodes: [{ id }] } } });
    });
    it('refuses operations beyond the size limits with a 400', async () => {
      const aliases = Array.from(
        { length: 21 },
        (_, i) => `p${i}: payments(first: 100) { nodes { id } }`,
      ).join(' ');
      const many = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${merchant.test_secret_key}` },
        body: JSON.stringify({ query: `{ ${aliases} }` }),
      });
      expect(many.status).toBe(400);
      expect(((await many.json()) as any).errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
      const huge = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${merchant.test_secret_key}` },
        body: JSON.stringify({ query: `{ payments(first: 1) { nodes { ${'id '.repeat(5000)} } } }` }),
      });
      expect(huge.status).toBe(400);
    });
    it('an oversized body → 413', async () => {
      const res = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${merchant.test_secret_key}` },
        body: JSON.stringify({ query: `{ payments { nodes { id } } } # ${'x'.repeat(300 * 1024)}` }),
      });
      expect(res.status).toBe(413);
    });
  });

  describe('metadata limits', () => {
    it.each([
      ['51 keys', Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']))],
      ['a key of 41 characters', { ['k'.repeat(41)]: 'v' }],
      ['a value of 501 characters', { note: 'x'.repeat(501) }],
      ['a nested value of 501 characters as JSON', { note: { text: 'x'.repeat(490), more: [1, 2, 3] } }],
    ])('metadata with %s → a userError on input.metadata, and nothing created', async (_name, metadata) => {
      const res = await create({ ...INPUT, metadata });
      expect(res.status).toBe(200);
      expect(res.data!.createHostedPayment.payment).toBeNull();
      expect(res.data!.createHostedPayment.userErrors[0]).toMatchObject({
        field: ['input', 'metadata'],
        code: 'invalid_request',
      });
      const list = await gql(app.url, PaymentsDocument, { first: 10 }, { key: merchant.test_secret_key });
      expect(list.data!.payments.nodes).toEqual([]);
    });
    it('accepts metadata at the limits: 50 keys of 40 characters, values of 500', async () => {
      const metadata = Object.fromEntries(
        Array.from({ length: 50 }, (_, i) => [`${i}`.padStart(40, 'k'), i === 0 ? 'x'.repeat(500) : 'v']),
      );
      const res = await create({ ...INPUT, metadata });
      expect(res.data!.createHostedPayment.userErrors).toEqual([]);
      expect(res.data!.createHostedPayment.payment!.metadata).toEqual(metadata);
    });
  });

  describe('input rules: nesting, storable text, nulls', () => {
    const deep = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    const CREATE = print(CreateHostedPaymentDocument);
    const nothingCreated = async () => {
      const list = await gql(app.url, PaymentsDocument, { first: 10 }, { key: merchant.test_secret_key });
      expect(list.data!.payments.nodes).toEqual([]);
    };
    const post = async (body: unknown) => {
      const res = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${merchant.test_secret_key}` },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as any };
    };

    it('a body with 3,000-deep variables → 400 BAD_REQUEST before anything runs', async () => {
      const res = await post({
        query: CREATE,
        variables: { input: { ...INPUT, metadata: { a: deep(3000) } } },
      });
      expect(res.status).toBe(400);
      expect(res.json.errors[0].extensions.code).toBe('BAD_REQUEST');
      expect(res.json.errors[0].message).toMatch(/deeper than 32 levels/);
      await nothingCreated();
    });

    it('variables in a GET query string → 400 BAD_USER_INPUT naming the variable', async () => {
      const query = encodeURIComponent(
        'query($f: PaymentFilter) { payments(first: 1, filter: $f) { nodes { id } } }',
      );
      const variables = encodeURIComponent(JSON.stringify({ f: { status: deep(2000) } }));
      const res = await fetch(`${app.url}/graphql?query=${query}&variables=${variables}`, {
        headers: { authorization: `Bearer ${merchant.test_secret_key}` },
      });
      expect(res.status).toBe(400);
      const json = (await res.json()) as any;
      expect(json.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', variable: 'f' });
      expect(json.errors[0].message).toMatch(/"\$f" nests arrays and objects deeper than 32 levels/);
    });

    it('a literal nested 40 deep in the document → 400 BAD_USER_INPUT, nothing created', async () => {
      const literal = `${'['.repeat(40)}${']'.repeat(40)}`;
      const res = await post({
        query: `mutation { createHostedPayment(input: {amount: 100, currency: "EUR", returnUrl: "https://a.example/r", metadata: {a: ${literal}}}) { payment { id } } }`,
      });
      expect(res.status).toBe(400);
      expect(res.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(res.json.errors[0].message).toMatch(/deeper than 32 levels/);
      await nothingCreated();
    });

    it('a NUL or an unpaired surrogate in a body, a variable or a literal → 400, nothing created', async () => {
      const inBody = await post({
        query: CREATE,
        variables: { input: { ...INPUT, description: 'a\u0000b' } },
      });
      expect(inBody.status).toBe(400);
      expect(inBody.json.errors[0].extensions.code).toBe('BAD_REQUEST');
      expect(inBody.json.errors[0].message).toContain("'variables.input.description'");
      const inMetadataKey = await post({
        query: CREATE,
        variables: { input: { ...INPUT, metadata: { '\ud800': 'v' } } },
      });
      expect(inMetadataKey.status).toBe(400);
      const query = encodeURIComponent(
        'query($f: PaymentFilter) { payments(first: 1, filter: $f) { nodes { id } } }',
      );
      const variables = encodeURIComponent(JSON.stringify({ f: { status: 'PENDING\u0000' } }));
      const inVariable = await fetch(`${app.url}/graphql?query=${query}&variables=${variables}`, {
        headers: { authorization: `Bearer ${merchant.test_secret_key}` },
      });
      expect(inVariable.status).toBe(400);
      expect(((await inVariable.json()) as any).errors[0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        variable: 'f',
      });
      const inLiteral = await post({
        query: `mutation { createHostedPayment(input: {amount: 100, currency: "EUR", returnUrl: "https://a.example/r", description: "a\\u0000b"}) { payment { id } } }`,
      });
      expect(inLiteral.status).toBe(400);
      expect(inLiteral.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      await nothingCreated();
    });

    it('an explicit null for a non-null argument with a default → 400 BAD_USER_INPUT, not an internal error', async () => {
      const res = await post({
        query: 'query($first: Int) { payments(first: $first) { nodes { id } } }',
        variables: { first: null },
      });
      expect(res.status).toBe(400);
      expect(res.json.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', variable: 'first' });
      const omitted = await post({
        query: 'query($first: Int) { payments(first: $first) { nodes { id } } }',
        variables: {},
      });
      expect(omitted.status).toBe(200);
      expect(omitted.json.data.payments.nodes).toEqual([]);
      // The same document again (its checks are kept per document): the null is still refused.
      const again = await post({
        query: 'query($first: Int) { payments(first: $first) { nodes { id } } }',
        variables: { first: null },
      });
      expect(again.status).toBe(400);
      expect(again.json.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', variable: 'first' });
    });

    it('3,000-deep variables over graphql-ws → an error for that operation, nothing created', async () => {
      const client = wsClient(app.url, merchant.test_secret_key);
      try {
        const errors = await new Promise<unknown>((resolve) => {
          client.subscribe(
            { query: CREATE, variables: { input: { ...INPUT, metadata: { a: deep(3000) } } } },
            { next: (value) => resolve(value.errors), error: resolve, complete: () => resolve(null) },
          );
        });
        expect(errors).toEqual([
          expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
        ]);
      } finally {
        await client.dispose();
      }
      await nothingCreated();
    });
  });
});
