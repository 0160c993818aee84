import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { getIntrospectionQuery } from 'graphql';
import type { Client } from 'graphql-ws';
import { ConfigError, loadConfig } from '../../src/config.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';
import { backends } from '../support/backends.js';
import { wsClient } from '../support/graphql.js';
import { eventually, request, SEED_004_SAMPLE } from '../support/http.js';
import { RawGraphQLSocket } from '../support/raw-ws.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';

/**
 * How long a refusal, and a request made while one is refused, may take: a few trivial round trips
 * of the same machine at the same moment (`baselineMs`), never less than 50 ms — what an idle
 * machine needs — and never more than 1 s, however loaded the machine is. Work proportional to a
 * hostile document (parsing, validating or running it) costs far more than that.
 */
const cheapWithin = (baselineMs: number) => Math.min(1000, Math.max(50, 10 * baselineMs));

const PAYMENT_FIELDS = `id amount currency status integrationType amountRefunded amountRefundable amountCaptured
  createdAt livemode merchantReference description metadata declineCode declineMessage hostedPaymentUrl
  transactionType returnUrl expiresAt version statusTransitions { succeededAt canceledAt }
  billingDetails { email address { country postalCode } }`;

/** What a merchant dashboard asks for: a page of 50 payments with their refunds, through a fragment. */
const DASHBOARD = `query Dashboard {
  payments(first: 50) {
    edges { cursor node { ...DashboardPayment refunds { id amount status reason createdAt } } }
    pageInfo { hasNextPage endCursor }
  }
}
fragment DashboardPayment on Payment { ${PAYMENT_FIELDS} }`;

const STATUS_CHANGED = 'subscription($id: ID) { paymentStatusChanged(paymentId: $id) { id status version } }';

const aliases = (count: number, selection = 'payments(first:100){nodes{id}}') =>
  Array.from({ length: count }, (_, i) => `a${i}:${selection}`).join(' ');

/** A chain of named fragments, each spreading the next: no field nests, only fragments do. */
const fragmentChain = (levels: number) =>
  `{ payments(first: 1) { nodes { ...F1 } } } ` +
  Array.from(
    { length: levels },
    (_, i) => `fragment F${i + 1} on Payment { id ${i + 1 < levels ? `...F${i + 2}` : ''} }`,
  ).join(' ');

/** Five pages of 100 payments with a real selection: within the alias, depth and token limits, not the cost. */
const COSTLY = `{ ${aliases(5, `payments(first: 100) { nodes { ${PAYMENT_FIELDS} refunds { id amount } } }`)} }`;

/** Four pages whose size is a variable: over the cost limit with `n: 100`, well under it with `n: 10`. */
const COSTLY_BY_VARIABLE = `query($n: Int!) { ${aliases(4, `payments(first: $n) { nodes { ${PAYMENT_FIELDS} } }`)} }`;

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe.each(backends)('GraphQL operation limits (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  let paymentIds: string[];
  const sockets: RawGraphQLSocket[] = [];
  const clients: Client[] = [];

  const post = async (body: Record<string, unknown>) => {
    const res = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${merchant.test_secret_key}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as any };
  };
  const healthz = async () => {
    const res = await fetch(`${app.url}/healthz`);
    await res.arrayBuffer();
    return res.status;
  };
  /**
   * Warms the keep-alive connections a request and a concurrent /healthz will use, and answers the
   * median time of a trivial round trip now: the baseline a refusal's time is judged against.
   */
  const warm = async () => {
    await Promise.all([healthz(), healthz()]);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push((await timed(healthz)).ms);
    return times.sort((a, b) => a - b)[2]!;
  };
  const open = async (key = merchant.test_secret_key) => {
    const socket = await RawGraphQLSocket.open(app.url, key);
    sockets.push(socket);
    expect(socket.acked).toBe(true);
    return socket;
  };
  const createPayment = async () =>
    (
      await request(app.url, 'POST', '/v1/payments/hpp', {
        key: merchant.test_secret_key,
        body: SEED_004_SAMPLE,
      })
    ).json.id as string;
  /** Runs one operation over the real graphql-ws client and resolves with its result or error. */
  const overWs = (query: string) => {
    const client = wsClient(app.url, merchant.test_secret_key);
    clients.push(client);
    return new Promise<{ data?: any; errors?: any[] }>((resolve) => {
      let result: { data?: any; errors?: any[] } = {};
      client.subscribe(
        { query },
        {
          next: (value) => (result = value as typeof result),
          error: (error) => resolve({ errors: error as any[] }),
          complete: () => resolve(result),
        },
      );
    });
  };

  beforeAll(async () => {
    // The production sweep interval: the tests' usual 50 ms sweep would put database work on the
    // event loop whose latency the timing assertions measure.
    app = await startTill({ backend, env: { WORKER_INTERVAL_MS: '1000' } });
    merchant = await newMerchant(app);
    paymentIds = [await createPayment(), await createPayment()];
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    for (const client of clients) await client.dispose();
    await app.close();
  });

  describe('over graphql-ws', () => {
    it('closes the socket of a ~260 KB subscribe message with 1009, quickly, and nobody else notices', async () => {
      const bystander = await open();
      bystander.subscribe('live', STATUS_CHANGED, { id: paymentIds[0] });
      await bystander.message('live', 'next');
      const query = `query{${aliases(8200)}}`;
      expect(JSON.stringify({ id: 'big', type: 'subscribe', payload: { query } }).length).toBeGreaterThan(
        256 * 1024,
      );
      const warmUp = await open();
      warmUp.subscribe('big', query);
      expect((await warmUp.closed).code).toBe(1009);
      const attacker = await open();
      const bound = cheapWithin(await warm());

      const sent = performance.now();
      attacker.subscribe('big', query);
      const [closed, health] = await Promise.all([
        attacker.closed.then((c) => ({ ...c, ms: performance.now() - sent })),
        timed(healthz),
      ]);

      expect(closed.code).toBe(1009);
      expect(closed.ms).toBeLessThan(bound);
      expect(health.value).toBe(200);
      expect(health.ms).toBeLessThan(bound);
      expect(attacker.of('big')).toEqual([]);
      // The other socket and its subscription carry on, and the instance is ready.
      expect(bystander.isOpen).toBe(true);
      await request(app.url, 'POST', `/v1/payments/${paymentIds[0]}/cancel`, {
        key: merchant.test_secret_key,
      });
      await bystander.until(() =>
        bystander.of('live').some((m) => m.payload?.data?.paymentStatusChanged?.status === 'CANCELED'),
      );
      expect((await request(app.url, 'GET', '/readyz')).status).toBe(200);
    });

    it('answers a token-limit document that fits in one message with an error for that id, socket open', async () => {
      const socket = await open();
      // As many aliases (in steps of 100) as one message under the 64 KiB cap holds.
      const message = (n: number) =>
        JSON.stringify({ id: 'fits', type: 'subscribe', payload: { query: `query{${aliases(n)}}` } });
      let count = 1000;
      while (message(count + 100).length < 64 * 1024) count += 100;
      expect(message(count).length).toBeGreaterThan(60 * 1024);
      const query = `query{${aliases(count)}}`;
      socket.subscribe('warm-up', query);
      await socket.message('warm-up', 'error');
      const bound = cheapWithin(await warm());

      const sent = performance.now();
      socket.subscribe('fits', query);
      const error = await socket.message('fits', 'error');
      const ms = performance.now() - sent;

      expect(error.payload[0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'maxTokens' });
      expect(ms).toBeLessThan(bound);
      expect(socket.of('fits')).toHaveLength(1);
      expect(socket.isOpen).toBe(true);
      socket.subscribe('normal', STATUS_CHANGED, { id: paymentIds[1] });
      const next = await socket.message('normal', 'next');
      expect(next.payload.data.paymentStatusChanged.id).toBe(paymentIds[1]);
    });

    it('refuses a 30-level fragment chain, too many directives and too costly an operation, per operation id', async () => {
      const socket = await open();
      socket.subscribe('chain', fragmentChain(30));
      socket.subscribe('costly', COSTLY);
      socket.subscribe('costly-by-variable', COSTLY_BY_VARIABLE, { n: 100 });
      const directives = Array.from({ length: 21 }, () => 'id @include(if: true)').join(' ');
      socket.subscribe('directives', `{ payments(first: 1) { nodes { ${directives} } } }`);
      expect((await socket.message('chain', 'error')).payload[0].extensions).toEqual({
        code: 'QUERY_TOO_COMPLEX',
        limit: 'maxDepth',
      });
      expect((await socket.message('costly', 'error')).payload[0].extensions).toEqual({
        code: 'QUERY_TOO_COMPLEX',
        limit: 'maxCost',
      });
      expect((await socket.message('costly-by-variable', 'error')).payload[0].extensions).toEqual({
        code: 'QUERY_TOO_COMPLEX',
        limit: 'maxCost',
      });
      expect((await socket.message('directives', 'error')).payload[0].extensions).toEqual({
        code: 'QUERY_TOO_COMPLEX',
        limit: 'maxDirectives',
      });
      expect(socket.isOpen).toBe(true);
    });

    it('answers a syntax error with an error message instead of closing the socket', async () => {
      const socket = await open();
      socket.subscribe('broken', '{ payments(');
      const error = await socket.message('broken', 'error');
      expect(error.payload[0].message).toMatch(/^Syntax Error/);
      expect(socket.isOpen).toBe(true);
    });

    it("runs a dashboard's page of 50 payments with their refunds", async () => {
      const result = await overWs(DASHBOARD);
      expect(result.errors).toBeUndefined();
      expect(result.data.payments.edges.map((e: any) => e.node.id).sort()).toEqual([...paymentIds].sort());
      expect(result.data.payments.edges[0].node.refunds).toEqual([]);
    });
  });

  describe('over HTTP', () => {
    it('refuses 320 aliases hidden in an inline fragment with a 400 at once; /healthz stays fast', async () => {
      const query = `{ ... on Query { ${aliases(320, 'payments(first: 100) { nodes { id } }')} } }`;
      await post({ query });
      const bound = cheapWithin(await warm());

      const [refused, health] = await Promise.all([timed(() => post({ query })), timed(healthz)]);

      expect(refused.value.status).toBe(400);
      expect(refused.value.json.errors[0].extensions).toEqual({
        code: 'QUERY_TOO_COMPLEX',
        limit: 'maxTokens',
      });
      expect(refused.value.json.data).toBeUndefined();
      expect(refused.ms).toBeLessThan(bound);
      expect(health.value).toBe(200);
      expect(health.ms).toBeLessThan(bound);
    });

    it('counts aliases through inline fragments', async () => {
      const res = await post({ query: `{ ... on Query { ${aliases(21)} } }` });
      expect(res.status).toBe(400);
      expect(res.json.errors[0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'maxAliases' });
      expect((await post({ query: `{ ... on Query { ${aliases(20)} } }` })).status).toBe(200);
    });

    it('refuses a 30-level named-fragment chain', async () => {
      const res = await post({ query: fragmentChain(30) });
      expect(res.status).toBe(400);
      expect(res.json.errors[0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'maxDepth' });
      expect((await post({ query: fragmentChain(2) })).status).toBe(200);
    });

    it('refuses too many directives', async () => {
      const directives = Array.from({ length: 21 }, () => 'id @include(if: true)').join(' ');
      const res = await post({ query: `{ payments(first: 1) { nodes { ${directives} } } }` });
      expect(res.status).toBe(400);
      expect(res.json.errors[0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'maxDirectives' });
    });

    it('refuses an operation by its cost alone, page sizes given as variables included', async () => {
      const res = await post({ query: COSTLY });
      expect(res.status).toBe(400);
      expect(res.json.errors).toEqual([
        {
          message: expect.stringMatching(/cost limit of 10000 exceeded/),
          extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'maxCost' },
        },
      ]);
      const big = await post({ query: COSTLY_BY_VARIABLE, variables: { n: 100 } });
      expect(big.status).toBe(400);
      expect(big.json.errors[0].extensions.limit).toBe('maxCost');
      const small = await post({ query: COSTLY_BY_VARIABLE, variables: { n: 10 } });
      expect(small.status).toBe(200);
      expect(small.json.data.a0.nodes).toHaveLength(2);
      // Estimates are kept per document and page size: the large page is still refused after the small.
      const bigAgain = await post({ query: COSTLY_BY_VARIABLE, variables: { n: 100 } });
      expect(bigAgain.status).toBe(400);
      expect(bigAgain.json.errors[0].extensions.limit).toBe('maxCost');
    });

    it('counts what `@include` and `@skip` keep, by their variables, each time', async () => {
      // Each group alone is over the cost limit; the first page alone is well under it.
      const group = (prefix: string, directive: string) =>
        aliases(4, `payments(first: 100) ${directive} { nodes { ${PAYMENT_FIELDS} } }`).replace(
          /\ba(\d):/g,
          `${prefix}$1:`,
        );
      const query = `query($all: Boolean!, $lean: Boolean!) {
        first: payments(first: 10) { nodes { id } }
        ${group('b', '@include(if: $all)')}
        ${group('c', '@skip(if: $lean)')}
      }`;
      const verdicts = [];
      for (const variables of [
        { all: false, lean: true },
        { all: true, lean: true },
        { all: false, lean: true },
        { all: false, lean: false },
        { all: false, lean: true },
      ]) {
        const res = await post({ query, variables });
        verdicts.push(res.status === 400 ? res.json.errors[0].extensions.limit : res.status);
      }
      expect(verdicts).toEqual([200, 'maxCost', 200, 'maxCost', 200]);
    });

    it('an estimate that met an argument it could not coerce is not reused for one that coerces', async () => {
      const query = `query($n: Int!, $s: PaymentStatus) {
        ${aliases(4, `payments(first: $n, filter: { status: $s }) { nodes { ${PAYMENT_FIELDS} } }`)}
      }`;
      const bogus = await post({ query, variables: { n: 100, s: 'BOGUS' } });
      expect(bogus.status).toBe(400);
      expect(bogus.json.errors[0].extensions.limit).toBeUndefined();
      const valid = await post({ query, variables: { n: 100, s: 'SUCCEEDED' } });
      expect(valid.status).toBe(400);
      expect(valid.json.errors[0].extensions.limit).toBe('maxCost');
    });

    it("runs a dashboard's page of 50 payments with their refunds, and introspection", async () => {
      const res = await post({ query: DASHBOARD });
      expect(res.status).toBe(200);
      expect(res.json.errors).toBeUndefined();
      expect(res.json.data.payments.edges).toHaveLength(2);
      const schema = await post({ query: getIntrospectionQuery() });
      expect(schema.status).toBe(200);
      expect(schema.json.data.__schema.queryType.name).toBe('Query');
    });

    it('runs a normal automatic persisted query: registered once, then by its hash', async () => {
      const query = '{ payments(first: 5) { nodes { id status } } }';
      const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(query) } };
      const unknown = await post({ extensions });
      expect(unknown.json.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      const registered = await post({ query, extensions });
      expect(registered.status).toBe(200);
      expect(registered.json.data.payments.nodes).toHaveLength(2);
      const byHash = await post({ extensions });
      expect(byHash.status).toBe(200);
      expect(byHash.json.data).toEqual(registered.json.data);
    });

    it.each([
      ['too many aliases', `{ ${aliases(21)} }`, 'maxAliases'],
      ['too many tokens', `{ payments(first: 1) { nodes { ${'id '.repeat(2100)} } } }`, 'maxTokens'],
      ['too costly', COSTLY, 'maxCost'],
    ])('refuses an automatic persisted query with %s, and never stores it', async (_name, query, limit) => {
      const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(query) } };
      const refused = await post({ query, extensions });
      expect(refused.status).toBe(400);
      expect(refused.json.errors[0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit });
      const byHash = await post({ extensions });
      expect(byHash.json.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      expect(byHash.json.data).toBeUndefined();
    });
  });
});

describe.each(backends)('graphql-ws socket caps (%s)', (backend) => {
  let app: RunningTill;
  const sockets: RawGraphQLSocket[] = [];
  const open = async (key: string) => {
    const socket = await RawGraphQLSocket.open(app.url, key);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    app = await startTill({
      backend,
      env: { GRAPHQL_WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '5', GRAPHQL_WS_MAX_SOCKETS_PER_MERCHANT: '3' },
    });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await app.close();
  });

  it('reads the caps from the environment', () => {
    expect(app.till.config.graphql.ws).toEqual({
      maxPayloadBytes: 64 * 1024,
      maxSubscriptionsPerSocket: 5,
      maxSocketsPerMerchant: 3,
    });
  });

  it('refuses the operation beyond the per-socket cap; the socket and its subscriptions keep working', async () => {
    const merchant = await newMerchant(app);
    const key = merchant.test_secret_key;
    const id = (await request(app.url, 'POST', '/v1/payments/hpp', { key, body: SEED_004_SAMPLE })).json.id;
    const socket = await open(key);
    const ids = ['s1', 's2', 's3', 's4', 's5'];
    for (const sub of ids) socket.subscribe(sub, STATUS_CHANGED, { id });
    socket.subscribe('s6', STATUS_CHANGED, { id });

    const refused = await socket.message('s6', 'error');
    expect(refused.payload[0].extensions).toEqual({ code: 'TOO_MANY_SUBSCRIPTIONS' });
    for (const sub of ids) await socket.message(sub, 'next');
    expect(socket.isOpen).toBe(true);

    await request(app.url, 'POST', `/v1/payments/${id}/cancel`, { key });
    for (const sub of ids)
      await socket.until(() =>
        socket.of(sub).some((m) => m.payload?.data?.paymentStatusChanged?.status === 'CANCELED'),
      );

    // Completing one frees its place.
    socket.send({ id: 's1', type: 'complete' });
    socket.subscribe('s7', STATUS_CHANGED, { id });
    expect((await socket.message('s7', 'next')).payload.data.paymentStatusChanged.status).toBe('CANCELED');
    expect(socket.of('s7').some((m) => m.type === 'error')).toBe(false);
  });

  it('closes the merchant and mode socket beyond the per-instance cap with 4429; other merchants and modes connect', async () => {
    const merchant = await newMerchant(app);
    const other = await newMerchant(app, 'Other');
    const first = [
      await open(merchant.test_secret_key),
      await open(merchant.test_secret_key),
      await open(merchant.test_secret_key),
    ];
    expect(first.every((s) => s.acked)).toBe(true);

    const over = await open(merchant.test_secret_key);
    expect(over.acked).toBe(false);
    const closed = await over.closed;
    expect(closed.code).toBe(4429);
    expect(closed.reason).toMatch(/Too many open sockets/);

    expect((await open(merchant.live_secret_key)).acked).toBe(true);
    expect((await open(other.test_secret_key)).acked).toBe(true);
    expect(first.every((s) => s.isOpen)).toBe(true);

    // A closed socket gives its place back (the refused one never took one).
    first[0]!.socket.close(1000);
    await first[0]!.closed;
    // The place is free once the server has handled the close.
    let again!: RawGraphQLSocket;
    await eventually(async () => (again = await open(merchant.test_secret_key)).acked);
    expect(again.acked).toBe(true);
  });
});

describe('GraphQL limits configuration', () => {
  const VARIABLES = {
    GRAPHQL_MAX_TOKENS: ['3000', 3000],
    GRAPHQL_MAX_DEPTH: ['12', 12],
    GRAPHQL_MAX_ALIASES: ['30', 30],
    GRAPHQL_MAX_DIRECTIVES: ['5', 5],
    GRAPHQL_MAX_COST: ['50000', 50000],
    GRAPHQL_WS_MAX_PAYLOAD_BYTES: ['131072', 131072],
    GRAPHQL_WS_MAX_SUBSCRIPTIONS_PER_SOCKET: ['10', 10],
    GRAPHQL_WS_MAX_SOCKETS_PER_MERCHANT: ['20000', 20000],
  } as const;

  it('defaults to the documented limits', () => {
    expect(loadConfig({}).graphql).toEqual({
      maxTokens: 2000,
      maxDepth: 10,
      maxAliases: 20,
      maxDirectives: 20,
      maxCost: 10_000,
      ws: { maxPayloadBytes: 65_536, maxSubscriptionsPerSocket: 100, maxSocketsPerMerchant: 1000 },
    });
  });

  it('reads every limit from its variable', () => {
    const env = Object.fromEntries(Object.entries(VARIABLES).map(([name, [raw]]) => [name, raw]));
    expect(loadConfig(env).graphql).toEqual({
      maxTokens: 3000,
      maxDepth: 12,
      maxAliases: 30,
      maxDirectives: 5,
      maxCost: 50_000,
      ws: { maxPayloadBytes: 131_072, maxSubscriptionsPerSocket: 10, maxSocketsPerMerchant: 20_000 },
    });
  });

  it('names every bad limit in one error', () => {
    const bad = ['0', 'lots', '-1', '2.5', '1e9', '0', '0', '0'];
    const env = Object.fromEntries(Object.keys(VARIABLES).map((name, i) => [name, bad[i]!]));
    try {
      loadConfig(env);
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(Object.keys(VARIABLES).length);
      for (const name of Object.keys(VARIABLES))
        expect(problems.some((p) => p.startsWith(`${name} must be an integer`))).toBe(true);
    }
  });
});
