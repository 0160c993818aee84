import { execFile, spawn } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { backends } from '../support/backends.js';
import { paidPayment } from '../support/checkout.js';
import { eventually, request, SEED_004_SAMPLE } from '../support/http.js';
import { Receiver, type Received } from '../support/receiver.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

const root = path.resolve(import.meta.dirname, '../..');
/** The pinned Node 24, as `npm run till` uses it. */
const node = path.join(root, 'node_modules/.bin/node');
const ADMIN = 'test-admin-token-0123456789';

/** `till listen` (the built `dist/cli/till.js`) running as a child process, its output collected. */
function startListen(args: string[]) {
  const child = spawn(node, ['dist/cli/till.js', 'listen', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = () => stdout.split('\n').filter(Boolean);
  return {
    child,
    exited,
    lines,
    stderr: () => stderr,
    /** Waits for "Ready!" and returns the session's signing secret. */
    async secret(): Promise<string> {
      await eventually(() => /whsec_\S+/.test(stdout), 20_000).catch(() => {
        throw new Error(`till listen never got ready\nstdout:\n${stdout}\nstderr:\n${stderr}`);
      });
      return /Ready! Your webhook signing secret is (whsec_\S+)/.exec(stdout)![1]!;
    },
  };
}

/** A TCP relay between `till listen` and Till whose connections a test can cut, like a network outage. */
class Relay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((client) => {
      const upstream = connect(this.target, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => this.sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  /** Drops every connection and refuses new ones until `start()` again (same port). */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
  }
}

describe.each(backends)('till listen (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  let receiver: Receiver;
  const post = (path: string, body?: unknown) =>
    request(app.url, 'POST', path, { key: merchant.test_secret_key, body });
  const get = async (path: string) =>
    (await request(app.url, 'GET', path, { key: merchant.test_secret_key })).json;
  /** The merchant's events in the events API, oldest first. */
  const eventsApi = async (): Promise<any[]> => (await get('/v1/events?limit=100')).data.reverse();
  const listenTo = (url: string, key = merchant.test_secret_key) =>
    startListen(['--url', url, '--key', key, '--forward-to', receiver.url]);

  /** What the receiver got is exactly `expected` (events API objects): once each, in order, signed. */
  const expectForwarded = async (
    received: Received[],
    expected: any[],
    secret: string,
    lines: string[],
  ): Promise<void> => {
    expect(received.map((r) => r.headers['webhook-id'])).toEqual(expected.map((e) => e.id));
    for (const [i, hit] of received.entries()) {
      const verified = new Webhook(secret).verify(hit.body, hit.headers as Record<string, string>);
      expect(verified).toEqual(expected[i]);
      expect(JSON.parse(hit.body)).toEqual(await get(`/v1/events/${expected[i].id}`));
    }
    const clock = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d';
    const printed = expected.flatMap((e) => [
      new RegExp(`^${clock}  --> ${e.type.replace('.', '\\.')} \\[${e.id}\\]$`),
      new RegExp(`^${clock}  <-- \\[200\\] POST ${receiver.url} \\[${e.id}\\]$`),
    ]);
    const eventLines = lines.filter((line) => line.includes('-->') || line.includes('<--'));
    expect(eventLines).toHaveLength(printed.length);
    eventLines.forEach((line, i) => expect(line).toMatch(printed[i]!));
  };

  beforeAll(async () => {
    app = await startTill({ backend, env: { CHECKOUT_ATTEMPTS_PER_CLIENT: '100000' } });
    receiver = await new Receiver().start();
  });
  afterAll(async () => {
    await receiver.stop();
    await app.close();
  });
  beforeEach(async () => {
    merchant = await newMerchant(app, 'Developer');
    receiver.received.length = 0;
  });

  it('forwards every payment and refund event once, in order, as webhooks send it, signed with the printed secret', async () => {
    // An event from before the session: `till listen` forwards what comes after the newest one.
    await post('/v1/payments/hpp', SEED_004_SAMPLE);
    const cli = listenTo(app.url);
    try {
      const secret = await cli.secret();
      const created = await post('/v1/payments/hpp', SEED_004_SAMPLE);
      expect((await post(`/v1/payments/${created.json.id}/cancel`)).status).toBe(200);
      const paid = await paidPayment(app, merchant, { amount: 4999 });
      expect((await post(`/v1/payments/${paid}/refunds`, { amount: 1000 })).status).toBe(200);

      const expected = (await eventsApi()).slice(1);
      expect(expected.map((e) => e.type)).toEqual([
        'payment.created',
        'payment.canceled',
        'payment.created',
        'payment.processing',
        'payment.succeeded',
        'refund.created',
        'refund.succeeded',
      ]);
      await receiver.until((r) => r.length >= expected.length);
      await eventually(() => cli.lines().filter((l) => l.includes('<--')).length >= expected.length);
      await new Promise((r) => setTimeout(r, 300)); // nothing more, nothing twice
      await expectForwarded(receiver.received, expected, secret, cli.lines());
      expect(cli.lines()[0]).toBe(`Ready! Your webhook signing secret is ${secret} (^C to quit)`);
    } finally {
      cli.child.kill('SIGINT');
    }
    expect(await cli.exited).toBe(0);
  });

  it('reconnects after the connection drops and forwards what happened meanwhile, once each', async () => {
    const relay = await new Relay(Number(new URL(app.url).port)).start();
    await post('/v1/payments/hpp', SEED_004_SAMPLE);
    const cli = listenTo(relay.url);
    try {
      const secret = await cli.secret();
      const first = await post('/v1/payments/hpp', SEED_004_SAMPLE);
      await receiver.until((r) => r.length === 1);

      await relay.cut();
      await eventually(() => cli.stderr().includes('connection lost'));
      expect((await post(`/v1/payments/${first.json.id}/cancel`)).status).toBe(200);
      const second = await post('/v1/payments/hpp', SEED_004_SAMPLE);
      await relay.start();

      await receiver.until((r) => r.length >= 3, 20_000);
      await eventually(() => cli.lines().filter((l) => l.includes('<--')).length >= 3);
      await new Promise((r) => setTimeout(r, 300));
      const expected = (await eventsApi()).slice(1);
      expect(expected.map((e) => [e.type, e.data.object.id])).toEqual([
        ['payment.created', first.json.id],
        ['payment.canceled', first.json.id],
        ['payment.created', second.json.id],
      ]);
      await expectForwarded(receiver.received, expected, secret, cli.lines());
      expect(cli.stderr()).toMatch(/reconnected/);
    } finally {
      cli.child.kill('SIGINT');
      await relay.cut();
    }
    expect(await cli.exited).toBe(0);
  });

  it('exits 2 when its key is revoked, and refuses to start with a revoked key', async () => {
    const cli = listenTo(app.url);
    await cli.secret();
    const keys = await request(app.url, 'GET', `/admin/v1/merchants/${merchant.merchant_id}/api_keys`, {
      key: ADMIN,
    });
    const keyId = keys.json.data.find((k: any) => k.type === 'secret' && !k.livemode).id as string;
    const revoked = await request(
      app.url,
      'POST',
      `/admin/v1/merchants/${merchant.merchant_id}/api_keys/${keyId}/revoke`,
      { key: ADMIN },
    );
    expect(revoked.status).toBe(200);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(/refused the key/);

    const again = listenTo(app.url);
    expect(await again.exited).toBe(2);
    expect(again.lines()).toEqual([]);
    expect(again.stderr()).toMatch(/refused the key/);
  });

  it('exits 2 on bad flags, naming the problem', async () => {
    const run = promisify(execFile);
    const fail = (args: string[]) =>
      run(node, ['dist/cli/till.js', 'listen', ...args], { cwd: root }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
      );
    const cases: [string[], RegExp][] = [
      [['--url', app.url, '--key', 'api_test_sk_x'], /Usage:/],
      [['--url', app.url, '--key', 'api_test_sk_x', '--forward-to', 'ftp://localhost/'], /--forward-to/],
      [['--url', 'localhost:4000', '--key', 'api_test_sk_x', '--forward-to', receiver.url], /--url/],
      [['--url', app.url, '--forward-to', receiver.url, '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await fail(args);
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
    }
  });
});
