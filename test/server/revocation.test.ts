import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PaymentStatusChangedDocument } from '../__generated__/graphql.js';
import { closeCode, Collector, wsClient } from '../support/graphql.js';
import { eventually, request, SEED_004_SAMPLE } from '../support/http.js';
import { describeServer, serverUrls } from '../support/services.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const ADMIN = 'test-admin-token-0123456789';

describeServer('revocation across instances (PostgreSQL + Redis)', () => {
  let a: RunningTill & { databaseUrl?: string };
  let b: RunningTill;

  beforeAll(async () => {
    a = await startTill({ backend: 'server' });
    b = await startTill({ backend: 'server', databaseUrl: a.databaseUrl });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  const keyIdOf = async (url: string, merchantId: string) => {
    const list = await request(url, 'GET', `/admin/v1/merchants/${merchantId}/api_keys`, { key: ADMIN });
    return list.json.data.find((k: any) => k.type === 'secret' && !k.livemode && k.status === 'active')
      .id as string; // a new merchant has exactly one
  };

  it('revoking a key on A closes its socket on B with 4403 and B refuses it, within a second', async () => {
    const merchant = await newMerchant(a);
    const created = await request(a.url, 'POST', '/v1/payments/hpp', {
      key: merchant.test_secret_key,
      body: SEED_004_SAMPLE,
    });
    // Live once the payment's current state (a subscription's first message) has arrived.
    const client = wsClient(b.url, merchant.test_secret_key);
    const feed = new Collector(client, PaymentStatusChangedDocument, { paymentId: created.json.id });
    await feed.until((c) => c.items.length >= 1);
    // B has verified (and cached) the key.
    expect((await request(b.url, 'GET', '/v1/payments', { key: merchant.test_secret_key })).status).toBe(200);

    const keyId = await keyIdOf(a.url, merchant.merchant_id);
    const start = performance.now();
    const revoked = await request(
      a.url,
      'POST',
      `/admin/v1/merchants/${merchant.merchant_id}/api_keys/${keyId}/revoke`,
      {
        key: ADMIN,
      },
    );
    expect(revoked.status).toBe(200);
    const refusedAt = await eventually(
      async () =>
        (await request(b.url, 'GET', '/v1/payments', { key: merchant.test_secret_key })).status === 401,
      3000,
    );
    await feed.until((c) => closeCode(c) !== undefined, 3000);
    const closedAt = performance.now();
    expect(closeCode(feed)).toBe(4403);
    expect(refusedAt - start).toBeLessThan(1000);
    expect(closedAt - start).toBeLessThan(1000);
    client.dispose();
  });

  it('`till keys` create, list, roll and revoke from the CLI; a revocation reaches the running instances', async () => {
    const merchant = await newMerchant(a);
    const cli = async (...args: string[]) => {
      const { stdout } = await run(path.join(root, 'node_modules/.bin/node'), ['dist/cli/till.js', ...args], {
        cwd: root,
        env: { PATH: process.env.PATH!, DATABASE_URL: a.databaseUrl!, REDIS_URL: serverUrls.redis! },
      });
      return JSON.parse(stdout);
    };
    const created = await cli(
      'keys',
      'create',
      '--merchant',
      merchant.merchant_id,
      '--type',
      'secret',
      '--mode',
      'test',
    );
    expect(created).toMatchObject({ type: 'secret', livemode: false, status: 'active' });
    expect(created.secret).toMatch(/^api_test_sk_/);
    expect((await request(b.url, 'GET', '/v1/payments', { key: created.secret })).status).toBe(200);

    const listed = await cli('keys', 'list', '--merchant', merchant.merchant_id, '--mode', 'test');
    expect(listed.map((k: any) => k.id)).toContain(created.id);
    expect(JSON.stringify(listed)).not.toContain(created.secret);

    const rolled = await cli(
      'keys',
      'roll',
      '--merchant',
      merchant.merchant_id,
      '--key',
      created.id,
      '--expires-in',
      '3600',
    );
    expect(rolled.previous).toMatchObject({ id: created.id, status: 'expiring' });
    expect((await request(b.url, 'GET', '/v1/payments', { key: created.secret })).status).toBe(200);
    expect((await request(b.url, 'GET', '/v1/payments', { key: rolled.secret })).status).toBe(200);

    await cli('keys', 'revoke', '--merchant', merchant.merchant_id, '--key', created.id);
    const start = performance.now();
    const refusedAt = await eventually(
      async () => (await request(b.url, 'GET', '/v1/payments', { key: created.secret })).status === 401,
      3000,
    );
    expect(refusedAt - start).toBeLessThan(1000);
    expect((await request(a.url, 'GET', '/v1/payments', { key: created.secret })).status).toBe(401);

    const audit = await cli('audit', 'list', '--merchant', merchant.merchant_id, '--limit', '3');
    expect(audit.map((e: any) => [e.action, e.actor.type])).toEqual([
      ['api_key.revoked', 'cli'],
      ['api_key.rolled', 'cli'],
      ['api_key.created', 'cli'],
    ]);
  });
});
