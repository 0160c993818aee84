import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { accessToken } from '../support/api-dialect.js';
import { backends } from '../support/backends.js';
import { openCheckout } from '../support/checkout.js';
import { request, SEED_004_SAMPLE } from '../support/http.js';
import { Receiver } from '../support/receiver.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import { isSealed } from '../../src/crypto/sealing.js';
import { sealedFor } from '../../src/db/sealed-columns.js';

const ADMIN = 'test-admin-token-0123456789';
const HPP_BODY = {
  reference: 'ORDER-SECRETS',
  terminal_id: 'DEV02',
  currency: 'EUR',
  amount: 1200,
  transaction_type: 'PURCHASE',
  success_url: 'https://merchant.example.com/success-url',
  cancel_url: 'https://merchant.example.com/cancel-url',
  error_url: 'https://merchant.example.com/error-url',
};

/** Every file under `dir` (recursively) whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const bytes = Buffer.from(needle, 'utf8');
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => readFileSync(file).includes(bytes));
}

/** Every row of every table, each cast to text by the database itself. */
async function everyRow(app: RunningTill): Promise<string> {
  const em = app.till.db.em.fork();
  const tables = await em.execute<{ tablename: string }[]>(
    "select tablename from pg_tables where schemaname = 'public'",
  );
  let dump = '';
  for (const { tablename } of tables)
    for (const row of await em.execute<{ t: string }[]>(`select t::text as t from "${tablename}" t`))
      dump += `${tablename} ${row.t}\n`;
  return dump;
}

describe.each(backends)('secrets at rest and in the logs (%s)', (backend) => {
  let app: RunningTill | null;
  let receiver: Receiver;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'till-secrets-'));

  beforeAll(async () => {
    receiver = await new Receiver().start();
    app = await startTill({
      backend,
      env: { DATA_DIR: dataDir, WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', LOG_LEVEL: 'info' },
    });
  });
  afterAll(async () => {
    await app?.close();
    await receiver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps webhook secrets, signing keys and secret-bearing answers sealed, and logs no secret', async () => {
    const running = app!;
    const merchant = await newMerchant(running, 'Sealed');
    const key = merchant.test_secret_key;
    const post = (p: string, body: unknown, idempotencyKey?: string) =>
      request(running.url, 'POST', p, { key, body, idempotencyKey });

    // Two endpoints; one has its secret rotated (both signatures sent during the grace period).
    const first = (await post('/v1/webhook_endpoints', { url: receiver.url })).json;
    const second = (await post('/v1/webhook_endpoints', { url: receiver.url })).json;
    const rotate = () =>
      post(`/v1/webhook_endpoints/${second.id}/rotate_secret`, { grace_period_seconds: 3600 }, 'rotate-1');
    const rotated = await rotate();
    expect(rotated.json.secret).toMatch(/^whsec_/);
    // The stored answer (sealed) replays byte for byte.
    const replayed = await rotate();
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.text).toBe(rotated.text);

    // Deliveries are signed with the opened secrets.
    await post('/v1/payments/hpp', SEED_004_SAMPLE);
    await receiver.until((r) => r.length >= 2);
    for (const hit of receiver.received) {
      const headers = hit.headers as Record<string, string>;
      const verifies = [first.secret, second.secret, rotated.json.secret].filter((s) => {
        try {
          new Webhook(s).verify(hit.body, headers);
          return true;
        } catch {
          return false;
        }
      });
      expect(verifies.length).toBeGreaterThan(0);
    }

    // Tokens are issued and used; a hosted page is opened by its URL (its token is a bearer secret).
    const token = await accessToken(running.url, merchant);
    const session = await request(running.url, 'POST', '/api/hosted-payment-page', {
      key: token,
      body: HPP_BODY,
      headers: { 'idempotency-key': 'hpp-secrets-1' },
    });
    expect(session.status).toBe(200);
    const hppToken = /\/hpp\/payment\/([^/]+)\//.exec(session.json.redirect_url)![1]!;
    await openCheckout(session.json.redirect_url);

    // Secrets where a log would carry them: request URLs, an error message, a log call.
    await request(running.url, 'GET', `/v1/payments?starting_after=${key}`, { key });
    await request(running.url, 'GET', `/admin/v1/nowhere?token=${ADMIN}`, { key: ADMIN });
    await request(running.url, 'GET', `/hpp/payment/${hppToken}/AAAAAAAAAAAAAAAAAAAA`);
    running.till.http.log.warn(`a receiver echoed ${first.secret} for Bearer ${token}`);

    // The OIDC private keys: only sealed, each bound to its kid.
    const keys = await running.till.db.em
      .fork()
      .execute<{ kid: string; private_jwk: unknown; private_jwk_sealed: string }[]>(
        'select kid, private_jwk, private_jwk_sealed from signing_key',
      );
    expect(keys.length).toBeGreaterThan(0);
    const privateParts = keys.map((row) => {
      expect(row.private_jwk).toBeNull();
      expect(isSealed(row.private_jwk_sealed)).toBe(true);
      return (
        JSON.parse(running.till.sealer.open(row.private_jwk_sealed, sealedFor.signingKey(row.kid))) as {
          d: string;
        }
      ).d;
    });

    const secrets: [string, string][] = [
      ['a webhook secret', first.secret],
      ['a webhook secret', second.secret],
      ['a webhook secret', rotated.json.secret],
      ['a signing key', privateParts[0]!],
      ['the test secret key', merchant.test_secret_key],
      ['the live secret key', merchant.live_secret_key],
      ['the x-api-key', merchant.api_key],
      ['the OAuth client secret', merchant.oauth.client_secret],
      ['the OAuth password', merchant.oauth.password],
      ['an access token', token],
    ];
    const logSecrets: [string, string][] = [
      ...secrets,
      ['the hosted page token', hppToken],
      ['the admin token', ADMIN],
    ];

    const dump = await everyRow(running);
    expect(dump).toContain(first.id); // the search looks where the endpoints are
    expect(dump).toMatch(/webhook_endpoint .*v1:/);
    expect(dump).not.toContain('whsec_');
    expect(dump).not.toMatch(/"d":/);
    for (const [what, secret] of [...secrets, ['the hosted page token', hppToken] as [string, string]])
      expect({ what, found: dump.includes(secret) }).toEqual({ what, found: false });

    const logs = running.logs.join('\n');
    expect(logs).toContain('/hpp/payment/[redacted]/'); // the URL was logged, without its token
    expect(logs).toContain('whsec_[redacted]');
    for (const [what, secret] of logSecrets)
      expect({ what, found: logs.includes(secret) }).toEqual({ what, found: false });

    if (backend === 'embedded') {
      // Every byte PGlite wrote, its write-ahead log included, once it has shut down.
      await running.close();
      app = null;
      expect(filesContaining(dataDir, first.id).length).toBeGreaterThan(0);
      for (const [what, secret] of [...secrets, ['whsec_', 'whsec_'] as [string, string]])
        expect({ what, files: filesContaining(dataDir, secret) }).toEqual({ what, files: [] });
    }
  }, 120_000);
});
