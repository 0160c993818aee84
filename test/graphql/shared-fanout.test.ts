import type { AddressInfo } from 'node:net';
import { buildSchema, parse, print, type ExecutionArgs, type ExecutionResult, GraphQLError } from 'graphql';
import WebSocket, { WebSocketServer } from 'ws';
import { PaymentStatusChangedDocument } from '../__generated__/graphql.js';
import { backends } from '../support/backends.js';
import { DashboardBrowser, newUser } from '../support/dashboard.js';
import { Collector } from '../support/graphql.js';
import { eventually, request, SEED_004_SAMPLE } from '../support/http.js';
import { RawGraphQLSocket } from '../support/raw-ws.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import {
  frameOf,
  groupKeyOf,
  INTERNAL_ERROR,
  TillSocket,
  tillSocketClass,
} from '../../src/graphql/shared-fanout.js';
import { GraphQLOperationPolicy } from '../../src/graphql/policy.js';
import { policedSubscribe } from '../../src/graphql/ws-limits.js';
import type { Principal } from '../../src/services/principal.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

/** The same text the Collector sends, so raw sockets and graphql-ws clients run one operation. */
const QUERY = print(PaymentStatusChangedDocument);

describe('groupKeyOf', () => {
  const principal: Principal = {
    merchantId: 'mer_a',
    livemode: false,
    credentialId: 'key_1',
    kind: 'secret_key',
  };
  const args = (over: Partial<ExecutionArgs> & { principal?: Principal }): ExecutionArgs => ({
    schema: undefined as never,
    document: parse('subscription S($id: ID, $n: Int) { paymentStatusChanged(paymentId: $id) { id } }'),
    variableValues: { id: 'pay_1', n: 1 },
    operationName: 'S',
    ...over,
    contextValue: { principal: over.principal ?? principal },
  });

  it('is the same for another credential of the same scope and the same variables in another order', () => {
    expect(groupKeyOf(args({ variableValues: { n: 1, id: 'pay_1' } }))).toBe(groupKeyOf(args({})));
    expect(groupKeyOf(args({ principal: { ...principal, credentialId: 'key_2' } }))).toBe(
      groupKeyOf(args({})),
    );
  });

  it.each<[string, Partial<ExecutionArgs> & { principal?: Principal }]>([
    ['variables', { variableValues: { id: 'pay_2', n: 1 } }],
    ['operation name', { operationName: null }],
    [
      'document',
      { document: parse('subscription S($id: ID) { paymentStatusChanged(paymentId: $id) { status } }') },
    ],
    ['merchant', { principal: { ...principal, merchantId: 'mer_b' } }],
    ['mode', { principal: { ...principal, livemode: true } }],
    ['role', { principal: { ...principal, kind: 'session', role: 'analyst', userId: 'usr_1' } }],
  ])('differs by %s', (_name, over) => {
    expect(groupKeyOf(args(over))).not.toBe(groupKeyOf(args({})));
  });
});

describe('policedSubscribe', () => {
  const schema = buildSchema('type Query { a: Int } type Subscription { s(id: ID, n: Int): Int }');
  const policed = policedSubscribe({ schema, policy: new GraphQLOperationPolicy() });
  const run = (query: string, variables?: Record<string, unknown>) =>
    policed({ subscriptions: {} }, '1', { query, variables });

  it('parses and validates a text once: its subscribers share the document, each with its variables', () => {
    const query = 'subscription($id: ID) { s(id: $id) }';
    const first = run(query, { id: 'a' }) as ExecutionArgs;
    const second = run(query, { id: 'b' }) as ExecutionArgs;
    expect(second.document).toBe(first.document);
    expect(second.variableValues).toEqual({ id: 'b' });
  });

  it('a refused text is refused every time', () => {
    for (let i = 0; i < 2; i++) {
      expect(run('subscription { s(nope: 1) }')).toEqual([expect.any(GraphQLError)]);
      expect(run('subscription {')).toEqual([expect.any(GraphQLError)]);
    }
  });
});

describe('TillSocket', () => {
  let server: WebSocketServer;
  let port: number;
  const logged: string[] = [];
  let serverSide: Promise<TillSocket>;

  beforeAll(async () => {
    server = new WebSocketServer({
      port: 0,
      WebSocket: tillSocketClass({ frameMismatch: (m) => logged.push(m), protocolError: () => {} }),
    });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** A client connected to the server; `serverSide` resolves with the server's end of it. */
  async function connect(
    options: WebSocket.ClientOptions = {},
  ): Promise<{ client: WebSocket; received: string[]; closed: Promise<number> }> {
    serverSide = new Promise((resolve) =>
      server.once('connection', (socket) => resolve(socket as TillSocket)),
    );
    const client = new WebSocket(`ws://127.0.0.1:${port}`, options);
    const received: string[] = [];
    client.on('message', (data) => received.push(String(data)));
    const closed = new Promise<number>((resolve) => client.once('close', (code) => resolve(code)));
    await new Promise((resolve) => client.once('open', resolve));
    return { client, received, closed };
  }

  /** What graphql-ws sends for a `next` message whose payload onNext replaced with `payload`. */
  const message = (id: string, payload: unknown) => JSON.stringify({ id, type: 'next', payload });

  it('sends each announced frame with its own JSON, whatever order the messages leave in', async () => {
    const { client, received } = await connect();
    const socket = await serverSide;
    const a: ExecutionResult = { data: { paymentStatusChanged: { id: 'pay_a', status: 'CANCELED' } } };
    const b: ExecutionResult = {
      data: null,
      errors: [new GraphQLError('No such payment', { extensions: { code: 'NOT_FOUND' } })],
    };
    socket.expect(frameOf(a));
    socket.expect(frameOf(b));
    socket.send(message('2', frameOf(b).marker));
    socket.send(message('"1"}', frameOf(a).marker)); // an id that looks like the end of a message
    socket.send(JSON.stringify({ id: '3', type: 'complete' }));
    await eventually(() => received.length === 3);
    expect(received).toEqual([
      message('2', {
        data: null,
        errors: [{ message: 'No such payment', extensions: { code: 'NOT_FOUND' } }],
      }),
      message('"1"}', a),
      JSON.stringify({ id: '3', type: 'complete' }),
    ]);
    client.close();
  });

  it('the heartbeat keeps a socket that answers pings, and ends one that stopped answering', async () => {
    const answering = await connect();
    const alive = await serverSide;
    const silent = await connect({ autoPong: false });
    const dead = await serverSide;
    for (let beat = 0; beat < 3; beat++) {
      const pong = new Promise((resolve) => alive.once('pong', resolve));
      alive.heartbeat();
      dead.heartbeat();
      await pong;
    }
    expect(await silent.closed).toBe(1006); // terminated: no closing handshake
    expect(alive.readyState).toBe(WebSocket.OPEN);
    answering.client.close();
  });

  it('a frame nobody announced is never sent: the socket closes with 1011 and the mismatch is logged', async () => {
    const { received, closed } = await connect();
    const socket = await serverSide;
    const announced = frameOf({ data: { n: 1 } });
    socket.expect(announced);
    socket.send(message('1', frameOf({ data: { n: 2 } }).marker));
    expect(await closed).toBe(INTERNAL_ERROR);
    expect(received).toEqual([]);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('"id":"1"');
  });
});

describe.each(backends)('shared subscription execution over graphql-ws (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  const open: { close(): void }[] = [];
  /** Feeds listening with no test running. */
  let idle = 0;

  beforeAll(async () => {
    app = await startTill({ backend });
    idle = app.liveSubscriptions();
  });
  afterAll(async () => {
    for (const socket of open) socket.close();
    await app.close();
  });
  beforeEach(async () => {
    merchant = await newMerchant(app);
  });
  afterEach(async () => {
    for (const socket of open.splice(0)) socket.close();
    await eventually(() => app.liveSubscriptions() === idle);
  });

  const createPayment = async (key = merchant.test_secret_key) =>
    (await request(app.url, 'POST', '/v1/payments/hpp', { key, body: SEED_004_SAMPLE })).json.id as string;
  const cancel = async (id: string) => {
    const reply = await request(app.url, 'POST', `/v1/payments/${id}/cancel`, {
      key: merchant.test_secret_key,
    });
    expect(reply.status).toBe(200);
  };
  const executions = async () =>
    (await app.till.metrics.registry.getSingleMetric('till_subscription_executions_total')!.get()).values[0]
      ?.value ?? 0;

  /** A raw socket keeping every message's exact text. */
  async function socket(key = merchant.test_secret_key) {
    const raw = await RawGraphQLSocket.open(app.url, key);
    const frames: string[] = [];
    raw.socket.on('message', (data) => frames.push(String(data)));
    open.push(raw);
    return { raw, frames };
  }
  const nexts = (raw: RawGraphQLSocket, id: string) => raw.of(id).filter((m) => m.type === 'next');
  const statusesOf = (raw: RawGraphQLSocket, id: string) =>
    nexts(raw, id).map((m) => {
      const p = m.payload.data.paymentStatusChanged;
      return `${p.id}:${p.status}:${p.version}`;
    });

  it('subscribers of one operation get byte-identical frames, executed once per change', async () => {
    const id = await createPayment();
    const subscribers = await Promise.all(Array.from({ length: 6 }, () => socket()));
    for (const { raw } of subscribers) raw.subscribe('s', QUERY, { paymentId: id });
    for (const { raw } of subscribers) await raw.until(() => nexts(raw, 's').length === 1);
    const before = await executions();
    await cancel(id);
    for (const { raw } of subscribers) await raw.until(() => nexts(raw, 's').length === 2);
    expect((await executions()) - before).toBe(1);

    const canceled = subscribers.map(({ frames }) => frames.at(-1));
    expect(new Set(canceled).size).toBe(1);
    expect(JSON.parse(canceled[0]!)).toEqual({
      id: 's',
      type: 'next',
      payload: {
        data: { paymentStatusChanged: expect.objectContaining({ id, status: 'CANCELED', version: 2 }) },
      },
    });
    for (const { raw } of subscribers)
      expect(statusesOf(raw, 's')).toEqual([`${id}:PENDING:1`, `${id}:CANCELED:2`]);
  });

  it('other variables, another document and another role each execute on their own', async () => {
    const id = await createPayment();
    const [same1, same2, everyPayment, otherDocument] = await Promise.all([
      socket(),
      socket(),
      socket(),
      socket(),
    ]);
    same1.raw.subscribe('s', QUERY, { paymentId: id });
    same2.raw.subscribe('s', QUERY, { paymentId: id });
    everyPayment.raw.subscribe('s', QUERY, { paymentId: null });
    otherDocument.raw.subscribe(
      's',
      'subscription($p: ID) { paymentStatusChanged(paymentId: $p) { id status } }',
      {
        p: id,
      },
    );
    // An analyst signed in to the dashboard, with the very same operation and variables.
    const user = await newUser(app, merchant.merchant_id, 'analyst');
    const browser = new DashboardBrowser(app.url);
    await browser.signIn(user.email, user.password);
    const client = browser.socket(new URL(app.till.config.publicUrl).origin, 'test');
    open.push({ close: () => void client.dispose() });
    const analyst = new Collector(client, PaymentStatusChangedDocument, { paymentId: id });

    for (const { raw } of [same1, same2, otherDocument]) await raw.until(() => nexts(raw, 's').length === 1);
    await analyst.until((c) => c.items.length === 1);
    await eventually(() => app.liveSubscriptions() === idle + 5); // the all-payments feed is live too

    const before = await executions();
    await cancel(id);
    for (const { raw } of [same1, same2, everyPayment, otherDocument])
      await raw.until(() =>
        nexts(raw, 's').some((m) => m.payload.data.paymentStatusChanged.status === 'CANCELED'),
      );
    await analyst.until((c) => c.items.length === 2);
    // The two identical subscribers share; the other variables, document and role run their own.
    expect((await executions()) - before).toBe(4);
    expect(analyst.items[1]!.paymentStatusChanged).toMatchObject({ id, status: 'CANCELED', version: 2 });
    expect(otherDocument.frames.at(-1)).toBe(
      JSON.stringify({
        id: 's',
        type: 'next',
        payload: { data: { paymentStatusChanged: { id, status: 'CANCELED' } } },
      }),
    );
    expect(same1.frames.at(-1)).toBe(same2.frames.at(-1));
  });

  it('a subscriber joining after a change gets the current state first, then changes with the others', async () => {
    const id = await createPayment();
    const early = await socket();
    early.raw.subscribe('s', QUERY, { paymentId: id });
    await early.raw.until(() => nexts(early.raw, 's').length === 1);
    await cancel(id);
    await early.raw.until(() => nexts(early.raw, 's').length === 2);
    const late = await socket();
    late.raw.subscribe('s', QUERY, { paymentId: id });
    await late.raw.until(() => nexts(late.raw, 's').length === 1);
    expect(statusesOf(late.raw, 's')).toEqual([`${id}:CANCELED:2`]);
    expect(late.frames.at(-1)).toBe(early.frames.at(-1));
  });

  it('subscribers completing or disconnecting do not disturb the rest of their group', async () => {
    const id = await createPayment();
    const subscribers = await Promise.all(Array.from({ length: 4 }, () => socket()));
    for (const { raw } of subscribers) raw.subscribe('s', QUERY, { paymentId: id });
    for (const { raw } of subscribers) await raw.until(() => nexts(raw, 's').length === 1);
    const [completing, leaving, ...staying] = subscribers;
    const listening = app.liveSubscriptions();
    completing!.raw.send({ id: 's', type: 'complete' });
    leaving!.raw.close();
    await eventually(() => app.liveSubscriptions() === listening - 2);
    await cancel(id);
    for (const { raw } of staying) {
      await raw.until(() => nexts(raw, 's').length === 2);
      expect(statusesOf(raw, 's')).toEqual([`${id}:PENDING:1`, `${id}:CANCELED:2`]);
    }
    expect(completing!.raw.isOpen).toBe(true);
    expect(nexts(completing!.raw, 's')).toHaveLength(1);
  });

  it('two payments changing at once: every frame carries its own operation’s result', async () => {
    const [a, b] = await Promise.all([createPayment(), createPayment()]);
    const sockets = await Promise.all([socket(), socket(), socket()]);
    for (const { raw } of sockets) {
      raw.subscribe('a', QUERY, { paymentId: a });
      raw.subscribe('b', QUERY, { paymentId: b });
      raw.subscribe('all', QUERY, { paymentId: null });
    }
    for (const { raw } of sockets)
      await raw.until(() => nexts(raw, 'a').length === 1 && nexts(raw, 'b').length === 1);
    await eventually(() => app.liveSubscriptions() === idle + 9);
    await Promise.all([cancel(a), cancel(b)]);
    // The all-payments feeds may also hear the creations, when the relay publishes them late.
    const canceledOf = (raw: RawGraphQLSocket) =>
      statusesOf(raw, 'all').filter((s) => s.includes('CANCELED'));
    for (const { raw } of sockets) {
      await raw.until(
        () => nexts(raw, 'a').length === 2 && nexts(raw, 'b').length === 2 && canceledOf(raw).length === 2,
      );
      expect(statusesOf(raw, 'a')).toEqual([`${a}:PENDING:1`, `${a}:CANCELED:2`]);
      expect(statusesOf(raw, 'b')).toEqual([`${b}:PENDING:1`, `${b}:CANCELED:2`]);
      expect(canceledOf(raw).sort()).toEqual([`${a}:CANCELED:2`, `${b}:CANCELED:2`].sort());
    }
    // Each operation's frames are the same bytes on every socket.
    const frameOfOp = (frames: string[], op: string, payment: string) =>
      frames.find((f) => f.startsWith(`{"id":"${op}"`) && f.includes(payment) && f.includes('CANCELED'));
    for (const [op, payment] of [
      ['a', a],
      ['b', b],
      ['all', a],
      ['all', b],
    ] as const)
      expect(new Set(sockets.map(({ frames }) => frameOfOp(frames, op, payment))).size).toBe(1);
  });
});
