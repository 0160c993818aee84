import { spawn } from 'node:child_process';
import path from 'node:path';
import { eventually, request, SEED_004_SAMPLE } from '../support/http.js';
import { Receiver } from '../support/receiver.js';
import { createTestDatabase, describeServer, serverUrls } from '../support/services.js';
import { freePort, startTill, TEST_ENCRYPTION_KEY } from '../support/till.js';

const root = path.resolve(import.meta.dirname, '../..');

describeServer('killing Till in the middle of a webhook delivery', () => {
  it('loses nothing: another instance delivers once the lease runs out, under the same webhook-id', async () => {
    const db = await createTestDatabase();
    const receiver = await new Receiver().start();
    const env = {
      WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_TIMEOUT_MS: '1000',
      WEBHOOK_RETRY_SCHEDULE: '0.2,0.2,0.2',
      ADMIN_TOKEN: 'crash-test-admin-token-123',
      LOG_LEVEL: 'warn',
      WORKER_INTERVAL_MS: '100',
      // Both instances open the endpoint's sealed secret.
      TILL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    };
    const port = await freePort();
    const a = spawn(path.join(root, 'node_modules/.bin/node'), ['dist/main.js'], {
      cwd: root,
      env: {
        PATH: process.env.PATH!,
        ...env,
        PORT: String(port),
        DATABASE_URL: db.url,
        REDIS_URL: serverUrls.redis!,
      },
      stdio: 'ignore',
    });
    const aUrl = `http://127.0.0.1:${port}`;
    let b: Awaited<ReturnType<typeof startTill>> | null = null;
    try {
      await eventually(
        () =>
          fetch(`${aUrl}/readyz`).then(
            (r) => r.ok,
            () => false,
          ),
        20_000,
      );
      const merchant = (
        await request(aUrl, 'POST', '/admin/v1/merchants', { key: env.ADMIN_TOKEN, body: { name: 'Crash' } })
      ).json;
      await request(aUrl, 'POST', '/v1/webhook_endpoints', {
        key: merchant.test_secret_key,
        body: { url: receiver.url },
      });
      // The receiver holds the first request open: instance A is mid-delivery when it dies.
      receiver.script = [{ status: 200, delayMs: 60_000 }];
      const payment = await request(aUrl, 'POST', '/v1/payments/hpp', {
        key: merchant.test_secret_key,
        body: SEED_004_SAMPLE,
      });
      expect(payment.status).toBe(200);
      await receiver.until((r) => r.length >= 1);
      a.kill('SIGKILL');
      await new Promise((resolve) => a.once('exit', resolve));

      b = await startTill({ backend: 'server', databaseUrl: db.url, env });
      await receiver.until((r) => r.length >= 2, 20_000);
      const events = (await request(b.url, 'GET', '/v1/events', { key: merchant.test_secret_key })).json
        .data as { id: string }[];
      expect(events.map((e) => e.id)).toHaveLength(1);
      const ids = receiver.received.map((r) => r.headers['webhook-id']);
      expect(new Set(ids)).toEqual(new Set(events.map((e) => e.id)));
      const endpoint = (
        await request(b.url, 'GET', '/v1/webhook_endpoints', { key: merchant.test_secret_key })
      ).json.data[0];
      // The attempt is recorded once it has ended.
      let delivery: { status: string } | undefined;
      await eventually(async () => {
        [delivery] = (
          await request(b!.url, 'GET', `/v1/webhook_endpoints/${endpoint.id}/deliveries`, {
            key: merchant.test_secret_key,
          })
        ).json.data;
        return delivery?.status !== 'pending';
      });
      expect(delivery!.status).toBe('succeeded');
    } finally {
      a.kill('SIGKILL');
      await b?.close();
      await receiver.stop();
      await db.drop();
    }
  }, 90_000);
});
