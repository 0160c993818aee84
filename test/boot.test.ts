import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PaymentStatusChangedDocument } from './__generated__/graphql.js';
import { Collector, wsClient } from './support/graphql.js';
import { request } from './support/http.js';
import { printedCurl, runShell, startMain, waitFor } from './support/processes.js';
import { freePort } from './support/till.js';

describe('npm start on the embedded default (dist/main.js)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'till-boot-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates the sandbox, prints a curl that works as printed, drains on SIGTERM, and keeps everything across a restart', async () => {
    const port = await freePort();
    const env = { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' };
    const first = startMain(env);
    await waitFor(() => first.stdout().includes('GraphQL:'), 60_000, 'the banner', first);

    const sandbox = JSON.parse(readFileSync(path.join(dataDir, 'sandbox.json'), 'utf8'));
    expect(sandbox).toMatchObject({
      merchant_id: expect.stringMatching(/^mer_/),
      admin_token: expect.any(String),
      test_secret_key: expect.stringMatching(/^api_test_sk_[A-Za-z0-9]{32}$/),
      live_secret_key: expect.stringMatching(/^api_live_sk_[A-Za-z0-9]{32}$/),
      client_key: expect.stringMatching(/^api_test_pk_/),
      api_key: expect.any(String),
      oauth: {
        client_id: expect.any(String),
        client_secret: expect.any(String),
        username: expect.any(String),
        password: expect.any(String),
      },
    });
    expect(sandbox.terminals.map((t: { id: string }) => t.id)).toEqual(['TERM001', 'DEV02', 'NOMETHODS']);
    // The very first start in development shows the test key once; never the admin token.
    expect(first.stdout()).toContain(sandbox.test_secret_key);
    expect(first.stdout()).not.toContain(sandbox.admin_token);
    expect(statSync(path.join(dataDir, 'sandbox.json')).mode & 0o777).toBe(0o600);

    // Run the printed curl exactly as a newcomer would paste it.
    const { stdout } = await runShell(printedCurl(first.stdout()));
    const payment = JSON.parse(stdout);
    expect(payment).toMatchObject({ status: 'PENDING', amount: 2500, merchant_reference: 'ord_5678' });
    expect(payment.hosted_payment_url).toBe(`http://localhost:${port}/hpp/${payment.id}`);

    expect((await request(`http://127.0.0.1:${port}`, 'GET', '/healthz')).status).toBe(200);
    expect((await request(`http://127.0.0.1:${port}`, 'GET', '/readyz')).json).toMatchObject({
      status: 'ready',
    });

    // A dashboard subscription is closed properly by the drain.
    const client = wsClient(`http://127.0.0.1:${port}`, sandbox.test_secret_key);
    const sub = new Collector(client, PaymentStatusChangedDocument, { paymentId: payment.id });
    await sub.until((c) => c.items.length === 1);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    await sub.until((c) => c.errors.length > 0 || c.completed);
    expect((sub.errors[0] as { code?: number } | undefined)?.code).toBe(1001);
    client.dispose();

    const second = startMain(env);
    await waitFor(() => second.stdout().includes('GraphQL:'), 60_000, 'the restart banner', second);
    expect(second.stdout()).toContain('sandbox loaded');
    // A restart prints no secret; its curl reads the key from sandbox.json and works as printed.
    for (const secret of [sandbox.test_secret_key, sandbox.live_secret_key, sandbox.admin_token])
      expect(second.stdout() + second.stderr()).not.toContain(secret);
    const fromFile = JSON.parse((await runShell(printedCurl(second.stdout()))).stdout);
    expect(fromFile).toMatchObject({ status: 'PENDING', amount: 2500 });
    const again = await request(`http://127.0.0.1:${port}`, 'GET', `/v1/payments/${payment.id}`, {
      key: sandbox.test_secret_key,
    });
    expect(again.status).toBe(200);
    expect(again.json.id).toBe(payment.id);
    expect(JSON.parse(readFileSync(path.join(dataDir, 'sandbox.json'), 'utf8'))).toEqual(sandbox);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 120_000);

  it('refuses bad configuration at boot with a clear message for each bad value', async () => {
    const proc = startMain({
      DATA_DIR: dataDir,
      PORT: 'eighty',
      HPP_SESSION_TTL_SECONDS: '0',
      DATABASE_URL: 'mysql://x',
      LOG_LEVEL: 'loud',
    });
    expect(await proc.exited).toBe(2);
    const err = proc.stderr();
    expect(err).toContain('PORT must be an integer');
    expect(err).toContain('HPP_SESSION_TTL_SECONDS must be an integer');
    expect(err).toContain('DATABASE_URL must be a postgres:// or postgresql:// URL');
    expect(err).toContain('LOG_LEVEL must be one of');
  });
});
