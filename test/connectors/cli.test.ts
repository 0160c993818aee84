import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { backends } from '../support/backends.js';
import { openCheckout } from '../support/checkout.js';
import { startFakeStripe, type FakeStripe } from '../support/fake-stripe.js';
import { request } from '../support/http.js';
import { runTill } from '../support/processes.js';
import { createTestDatabase } from '../support/services.js';
import { startTill, type Backend } from '../support/till.js';
import { kidOf } from '../../src/crypto/sealing.js';
import { dumpAllTables } from '../support/database.js';

const root = path.resolve(import.meta.dirname, '../..');
const node = path.join(root, 'node_modules/.bin/node');

/** `till …` with `input` on its stdin; resolves with its exit code and output (never rejects). */
function tillWithInput(args: string[], env: Record<string, string>, input: string) {
  const child = spawn(node, ['dist/cli/till.js', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(input);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
}

/** `till …` to completion, failures included: exit code and output. */
async function tillResult(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await runTill(args, env);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** How the CLI and the server reach one backend, before and after an encryption-key rotation. */
interface Setup {
  cli: Record<string, string>;
  rotation: Record<string, string>;
  start: () => ReturnType<typeof startTill>;
  drop: () => Promise<void>;
}

async function setupFor(backend: Backend, dataDir: string): Promise<Setup> {
  if (backend === 'embedded')
    return {
      cli: { DATA_DIR: dataDir, NODE_ENV: 'test' },
      rotation: { DATA_DIR: dataDir, NODE_ENV: 'test' },
      start: () => startTill({ backend, env: { DATA_DIR: dataDir } }),
      drop: async () => {},
    };
  const db = await createTestDatabase();
  const oldKey = `old:${Buffer.alloc(32, 21).toString('base64')}`;
  const newKey = `new:${Buffer.alloc(32, 22).toString('base64')}`;
  return {
    cli: { DATABASE_URL: db.url, TILL_ENCRYPTION_KEY: oldKey, DATA_DIR: dataDir, NODE_ENV: 'test' },
    // The new key current, the old one still readable.
    rotation: {
      DATABASE_URL: db.url,
      TILL_ENCRYPTION_KEY: newKey,
      TILL_ENCRYPTION_PREVIOUS_KEYS: oldKey,
      DATA_DIR: dataDir,
      NODE_ENV: 'test',
    },
    // An instance that knows only the new key.
    start: () => startTill({ backend, databaseUrl: db.url, env: { TILL_ENCRYPTION_KEY: newKey } }),
    drop: db.drop,
  };
}

const credentials = () => ({
  secret_key: `sk_test_${randomBytes(18).toString('hex')}`,
  webhook_secret: `whsec_${randomBytes(18).toString('hex')}`,
});

describe.each(backends)('till connectors (%s)', (backend) => {
  const fromFile = credentials();
  const fromStdin = credentials();
  let stripe: FakeStripe;
  let dataDir: string;
  let setup: Setup;

  beforeAll(async () => {
    // Only the stdin account's key opens the fake: a payment there proves that key was stored and opened.
    stripe = await startFakeStripe({ secretKey: fromStdin.secret_key });
    dataDir = mkdtempSync(path.join(tmpdir(), 'till-cli-connectors-'));
    setup = await setupFor(backend, dataDir);
  });
  afterAll(async () => {
    expect(stripe.violations).toEqual([]);
    await stripe.close();
    await setup.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('adds accounts from a file and from stdin, lists and disables them, never printing a secret; rotation re-seals them', async () => {
    const merchant = JSON.parse(
      (await runTill(['merchant', 'create', '--name', 'CLI shop'], setup.cli)).stdout,
    );
    const liveKey = `sk_live_${randomBytes(18).toString('hex')}`;
    const secrets = [...Object.values(fromFile), ...Object.values(fromStdin), liveKey];
    const noSecret = (...texts: string[]) => {
      for (const text of texts) for (const secret of secrets) expect(text).not.toContain(secret);
    };
    const file = path.join(dataDir, 'stripe-credentials.json');
    writeFileSync(file, JSON.stringify(fromFile), { mode: 0o600 });
    const add = [
      'connectors',
      'add',
      '--merchant',
      merchant.merchant_id,
      '--connector',
      'stripe',
      '--mode',
      'test',
      '--currencies',
      'EUR',
      '--api-base',
      stripe.url,
    ];

    const first = await tillResult(
      [...add, '--label', 'From file', '--priority', '1', '--credentials-file', file],
      setup.cli,
    );
    expect(first.code).toBe(0);
    noSecret(first.stdout, first.stderr);
    const a = JSON.parse(first.stdout);
    expect(a).toMatchObject({
      id: expect.stringMatching(/^ca_/),
      merchant_id: merchant.merchant_id,
      connector: 'stripe',
      mode: 'test',
      label: 'From file',
      currencies: ['EUR'],
      priority: 1,
      api_base: stripe.url,
      credentials_set: ['secret_key', 'webhook_secret'],
      status: 'enabled',
    });

    const second = await tillWithInput(
      [...add, '--label', 'From stdin', '--priority', '2', '--credentials-file', '-'],
      setup.cli,
      JSON.stringify(fromStdin),
    );
    expect(second.code).toBe(0);
    noSecret(second.stdout, second.stderr);
    const b = JSON.parse(second.stdout);
    expect(b).toMatchObject({
      label: 'From stdin',
      priority: 2,
      credentials_set: ['secret_key', 'webhook_secret'],
    });

    // No flag takes a credential: the command line (and shell history) never holds one.
    const refusals = await Promise.all(
      [
        ['--credentials', liveKey],
        [`--credentials=${JSON.stringify({ secret_key: liveKey })}`],
        ['--secret-key', liveKey],
        ['--api-key', liveKey],
      ].map((flag) => tillResult([...add, ...flag], setup.cli)),
    );
    for (const refused of refusals) {
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('Unknown option');
    }
    // Refusals name the problem and never repeat the secret.
    const notJson = await tillWithInput(
      [...add, '--credentials-file', '-'],
      setup.cli,
      `secret_key=${liveKey}`,
    );
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('--credentials-file');
    noSecret(notJson.stdout, notJson.stderr);
    const unknownName = await tillWithInput(
      [...add, '--credentials-file', '-'],
      setup.cli,
      JSON.stringify({ ...fromFile, password: liveKey }),
    );
    expect(unknownName.code).toBe(2);
    expect(unknownName.stderr).toContain('credentials.password');
    noSecret(unknownName.stdout, unknownName.stderr);

    const list = await tillResult(['connectors', 'list', '--merchant', merchant.merchant_id], setup.cli);
    expect(list.code).toBe(0);
    noSecret(list.stdout, list.stderr);
    expect(JSON.parse(list.stdout).map((x: { id: string; mode: string }) => [x.id, x.mode])).toEqual([
      [a.id, 'test'],
      [b.id, 'test'],
    ]);
    const disabled = await tillResult(
      ['connectors', 'disable', '--merchant', merchant.merchant_id, '--account', a.id],
      setup.cli,
    );
    expect(disabled.code).toBe(0);
    noSecret(disabled.stdout, disabled.stderr);
    expect(JSON.parse(disabled.stdout)).toMatchObject({ id: a.id, status: 'disabled' });
    const unknown = await tillResult(
      [
        'connectors',
        'disable',
        '--merchant',
        merchant.merchant_id,
        '--account',
        'ca_000000000000000000000000',
      ],
      setup.cli,
    );
    expect(unknown.code).toBe(2);

    const audit = await tillResult(['audit', 'list', '--merchant', merchant.merchant_id], setup.cli);
    noSecret(audit.stdout);
    const entries = JSON.parse(audit.stdout) as {
      action: string;
      object_id: string;
      actor: { type: string };
    }[];
    expect(
      entries
        .filter((e) => e.object_id === a.id || e.object_id === b.id)
        .map((e) => [e.action, e.object_id, e.actor.type])
        .sort(),
    ).toEqual(
      [
        ['connector_account.created', a.id, 'cli'],
        ['connector_account.created', b.id, 'cli'],
        ['connector_account.disabled', a.id, 'cli'],
      ].sort(),
    );

    // Rotation re-seals the accounts' credentials under the new key; they still open.
    const rotation = JSON.parse((await runTill(['keys', 'rotate-encryption'], setup.rotation)).stdout);
    const app = await setup.start();
    try {
      const em = app.till.db.em.fork();
      const rows = await em.execute<{ id: string; credentials: string }[]>(
        'select id, credentials from connector_account where merchant_id = ?',
        [merchant.merchant_id],
      );
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        expect(row.credentials.startsWith('v1:')).toBe(true);
        expect(kidOf(row.credentials)).toBe(rotation.kid);
      }
      const dump = await dumpAllTables(app.till.db);
      expect(dump).toContain(b.id);
      noSecret(dump);

      const created = await request(app.url, 'POST', '/v1/payments/hpp', {
        key: merchant.test_secret_key,
        body: { amount: 1200, currency: 'EUR', return_url: 'https://shop.example.com/r' },
      });
      expect(created.status).toBe(200);
      const { init, hpp } = await openCheckout(created.json.hosted_payment_url);
      const paid = await request(app.url, 'POST', `/hpp/api/sessions/${init.session_id}/pay`, {
        headers: { 'x-client-key': init.client_key, 'x-session-secret': hpp.session_secret },
        body: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123', name: 'Jenny Rosen' },
      });
      expect(paid.status).toBe(200);
      const payment = (
        await request(app.url, 'GET', `/v1/payments/${created.json.id}`, { key: merchant.test_secret_key })
      ).json;
      // The disabled account is skipped; the other one's re-sealed secret key is the one the fake takes.
      expect(payment).toMatchObject({
        status: 'SUCCEEDED',
        processor: { connector: 'stripe', account_id: b.id },
      });
      noSecret(app.logs.join('\n'));
    } finally {
      await app.close();
    }
  }, 120_000);
});
