import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { backends } from '../support/backends.js';
import { eventually, request, SEED_004_SAMPLE } from '../support/http.js';
import { startTill, type RunningTill } from '../support/till.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

describe.each(backends)('admin API, CLI and operations (%s)', (backend) => {
  let app: RunningTill & { databaseUrl?: string };
  const admin = (body: unknown, token = 'test-admin-token-0123456789') =>
    request(app.url, 'POST', '/admin/v1/merchants', { key: token, body });

  beforeAll(async () => {
    app = await startTill({ backend });
  });
  afterAll(() => app.close());

  it('creates a merchant whose credentials work at once, in the SPEC §2 shape', async () => {
    const res = await admin({ name: 'Acme' });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      merchant_id: expect.stringMatching(/^mer_/),
      test_secret_key: expect.stringMatching(/^api_test_sk_/),
      live_secret_key: expect.stringMatching(/^api_live_sk_/),
      client_key: expect.stringMatching(/^api_test_pk_/),
      api_key: expect.any(String),
      oauth: {
        client_id: expect.any(String),
        client_secret: expect.any(String),
        username: expect.any(String),
        password: expect.any(String),
      },
      terminals: [
        { id: 'TERM001', currencies: ['EUR', 'BAM'], payment_methods: ['card'], tokenization: true },
        { id: 'DEV02', currencies: ['EUR'], payment_methods: ['card'], tokenization: false },
        { id: 'NOMETHODS', currencies: ['EUR'], payment_methods: [], tokenization: false },
      ],
    });
    const created = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: res.json.test_secret_key,
      body: SEED_004_SAMPLE,
    });
    expect(created.status).toBe(200);
  });

  it('stores only hashes of secrets', async () => {
    const res = await admin({ name: 'Hashes' });
    const rows = await app.till.db.em
      .fork()
      .execute<{ secret_hash: string; display_prefix: string }[]>(
        'select secret_hash, display_prefix from api_key where merchant_id = ?',
        [res.json.merchant_id],
      );
    const dump = JSON.stringify(rows);
    for (const secret of [
      res.json.test_secret_key,
      res.json.live_secret_key,
      res.json.api_key,
      res.json.oauth.password,
      res.json.oauth.client_secret,
    ])
      expect(dump).not.toContain(secret);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.secret_hash))).toBe(true);
  });

  it.each([
    ['a wrong admin token', { name: 'x' }, 'wrong-token-wrong-token', 401],
    [
      'a merchant secret key as admin token',
      { name: 'x' },
      'api_test_sk_00000000000000000000000000000000',
      401,
    ],
    ['a missing name', {}, undefined, 400],
    ['an empty name', { name: '  ' }, undefined, 400],
    ['a name of the wrong type', { name: 5 }, undefined, 400],
    ['an unknown field', { name: 'x', plan: 'gold' }, undefined, 400],
  ])('refuses %s', async (_name, body, token, status) => {
    const res = await admin(body, token);
    expect(res.status).toBe(status);
    expect(res.json.error.type).toEqual(expect.any(String));
  });

  it('serves /healthz, /readyz and Prometheus /metrics', async () => {
    expect((await request(app.url, 'GET', '/healthz')).json).toEqual({ status: 'ok' });
    const ready = await request(app.url, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json.checks.database).toBe('ok');
    if (backend === 'server') expect(ready.json.checks.redis).toBe('ok');
    // A payment of its own, so the counters have something to count whatever ran before.
    const merchant = await admin({ name: 'Counted' });
    const created = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: merchant.json.test_secret_key,
      body: SEED_004_SAMPLE,
    });
    expect(created.status).toBe(200);
    // The relay publishes the payment's event on its next pass.
    let metrics = '';
    await eventually(async () => {
      metrics = (await request(app.url, 'GET', '/metrics')).text;
      return /till_events_published_total [1-9]/.test(metrics);
    });
    expect(metrics).toContain('till_http_request_duration_seconds_bucket');
    expect(metrics).toContain('till_process_cpu_seconds_total');
    expect(metrics).toMatch(/till_payments_created_total\{livemode="false"\} [1-9]/);
    expect(metrics).toMatch(/till_events_published_total [1-9]/);
  });

  it('documents its REST surfaces in /openapi.json, every documented route exists, and /docs lists them', async () => {
    const doc = await request(app.url, 'GET', '/openapi.json');
    expect(doc.json.openapi).toBe('3.1.0');
    const paths = Object.keys(doc.json.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/v1/payments/hpp',
        '/api/hosted-payment-page',
        '/api/sessions',
        '/api/oauth2/token',
      ]),
    );
    for (const path of paths)
      for (const method of Object.keys(doc.json.paths[path])) {
        const res = await request(app.url, method.toUpperCase(), path.replace(/\{[^}]+\}/g, 'x'), {
          idempotencyKey: null,
        });
        expect([path, res.text]).not.toEqual([path, expect.stringContaining('Unrecognized request URL')]);
        expect(res.status).toBeLessThan(500);
      }
    const docs = await request(app.url, 'GET', '/docs');
    expect(docs.text).toContain('/api/hosted-payment-page');
  });

  it('logs JSON lines with request ids and never a credential', async () => {
    const res = await admin({ name: 'Logged' });
    await request(app.url, 'GET', '/v1/payments', {
      key: res.json.test_secret_key,
      headers: { 'x-request-id': 'trace-123' },
    });
    const lines = app.logs.map((l) => JSON.parse(l));
    expect(lines.some((l) => l.reqId === 'trace-123')).toBe(true);
    const all = app.logs.join('\n');
    for (const secret of [res.json.test_secret_key, res.json.live_secret_key, 'test-admin-token-0123456789'])
      expect(all).not.toContain(secret);
  });

  if (backend === 'server')
    it('`till merchant create` makes a working merchant on a server database', async () => {
      const { stdout } = await run(
        path.join(root, 'node_modules/.bin/node'),
        ['dist/cli/till.js', 'merchant', 'create', '--name', 'From CLI'],
        {
          cwd: root,
          env: { PATH: process.env.PATH!, DATABASE_URL: app.databaseUrl! },
        },
      );
      const creds = JSON.parse(stdout);
      expect(creds.name).toBe('From CLI');
      const res = await request(app.url, 'GET', '/v1/payments', { key: creds.test_secret_key });
      expect(res.status).toBe(200);
    });
});
