import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { Webhook } from 'standardwebhooks';
import { accessToken } from '../support/api-dialect.js';
import { request } from '../support/http.js';
import { runTill } from '../support/processes.js';
import { Receiver } from '../support/receiver.js';
import { itWhen } from '../support/ci.js';
import { serverServicesAvailable } from '../support/services.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import { kidOf } from '../../src/crypto/sealing.js';
import { SEALED_COLUMNS } from '../../src/db/sealed-columns.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

const HPP_BODY = {
  reference: 'ORDER-ROTATE',
  terminal_id: 'DEV02',
  currency: 'EUR',
  amount: 700,
  transaction_type: 'PURCHASE',
  success_url: 'https://merchant.example.com/success-url',
  cancel_url: 'https://merchant.example.com/cancel-url',
  error_url: 'https://merchant.example.com/error-url',
};
// One issuer for every instance and restart, so tokens issued before the rotation verify after it.
const SHARED_ENV = { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', PUBLIC_URL: 'https://till.example.com' };

/** The key id of every sealed value in every sealed column, by column. */
async function sealedKids(app: RunningTill): Promise<Record<string, string[]>> {
  const found: Record<string, string[]> = {};
  for (const { table, column } of SEALED_COLUMNS) {
    const rows = await app.till.db.em
      .fork()
      .execute<{ v: string }[]>(`select "${column}" as v from "${table}" where left("${column}", 3) = 'v1:'`);
    found[`${table}.${column}`] = rows.map((r) => kidOf(r.v)!);
  }
  return found;
}

/** What a merchant has that depends on sealed values: two webhook secrets, a token, stored answers. */
async function sealedThings(app: RunningTill, merchant: MerchantCredentials, receiver: Receiver) {
  const endpoint = (
    await request(app.url, 'POST', '/v1/webhook_endpoints', {
      key: merchant.test_secret_key,
      body: { url: receiver.url },
    })
  ).json;
  /** The secret rotation, always with one Idempotency-Key: repeated, it replays the stored answer. */
  const rotate = (on: RunningTill) =>
    request(on.url, 'POST', `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`, {
      key: merchant.test_secret_key,
      body: { grace_period_seconds: 3600 },
      idempotencyKey: 'rotate-1',
    });
  const rotated = await rotate(app);
  expect(rotated.status).toBe(200);
  return {
    secrets: [endpoint.secret as string, rotated.json.secret as string],
    rotatedAnswer: rotated.text,
    rotate,
    token: await accessToken(app.url, merchant),
  };
}

/** After the rotation: the old token, both webhook secrets and the stored answer still work. */
async function stillWorks(
  app: RunningTill,
  things: Awaited<ReturnType<typeof sealedThings>>,
  receiver: Receiver,
) {
  const before = receiver.received.length;
  const session = await request(app.url, 'POST', '/api/hosted-payment-page', {
    key: things.token,
    body: HPP_BODY,
  });
  expect(session.status).toBe(200);
  await receiver.until((r) => r.length > before);
  const hit = receiver.received.at(-1)!;
  for (const secret of things.secrets)
    expect(() => new Webhook(secret).verify(hit.body, hit.headers as Record<string, string>)).not.toThrow();
  const replay = await things.rotate(app);
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  expect(replay.text).toBe(things.rotatedAnswer);
}

describe('encryption keys: sealing at start and `till keys rotate-encryption`', () => {
  let receiver: Receiver;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'till-rotate-'));
  beforeAll(async () => {
    receiver = await new Receiver().start();
  });
  afterAll(async () => {
    await receiver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('embedded: a new key in DATA_DIR/encryption.key, everything re-sealed, the old key retired', async () => {
    const env = { DATA_DIR: dataDir, ...SHARED_ENV };
    let app = await startTill({ backend: 'embedded', env });
    const merchant = await newMerchant(app, 'Rotating');
    const things = await sealedThings(app, merchant, receiver);
    const oldKid = app.till.sealer.currentKid;
    await app.close();

    const { stdout } = await runTill(['keys', 'rotate-encryption'], { DATA_DIR: dataDir, NODE_ENV: 'test' });
    const rotation = JSON.parse(stdout);
    expect(rotation.kid).not.toBe(oldKid);
    expect(rotation.retired).toEqual([oldKid]);
    // Two webhook secrets, the signing key, the two stored answers that show a secret.
    expect(rotation.resealed).toBeGreaterThanOrEqual(5);
    const keyFile = JSON.parse(readFileSync(path.join(dataDir, 'encryption.key'), 'utf8'));
    expect(keyFile.current).toBe(rotation.kid);
    expect(Object.keys(keyFile.keys)).toEqual([rotation.kid]);

    app = await startTill({ backend: 'embedded', env });
    try {
      const kids = await sealedKids(app);
      expect(kids['webhook_endpoint.secret']!.length).toBeGreaterThan(0);
      expect(kids['webhook_endpoint.previous_secret']!.length).toBeGreaterThan(0);
      expect(kids['signing_key.private_jwk_sealed']!.length).toBeGreaterThan(0);
      expect(kids['idempotency_key.response_body']!.length).toBeGreaterThan(0);
      expect(new Set(Object.values(kids).flat())).toEqual(new Set([rotation.kid]));
      await stillWorks(app, things, receiver);
    } finally {
      await app.close();
    }
  }, 150_000);

  it('seals credentials stored in plaintext before sealing existed, at the next start', async () => {
    const legacyDir = mkdtempSync(path.join(tmpdir(), 'till-legacy-'));
    const env = { DATA_DIR: legacyDir, ...SHARED_ENV };
    let app = await startTill({ backend: 'embedded', env });
    try {
      const merchant = await newMerchant(app, 'Upgraded');
      const endpoint = (
        await request(app.url, 'POST', '/v1/webhook_endpoints', {
          key: merchant.test_secret_key,
          body: { url: receiver.url },
        })
      ).json;
      // What an older Till wrote: the secret and a private signing key as they are.
      const plainSecret = `whsec_${Buffer.alloc(24, 3).toString('base64')}`;
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const { d, ...publicJwk } = await exportJWK(privateKey);
      const kid = 'key_legacy0000000000';
      await app.till.db.em
        .fork()
        .execute('update webhook_endpoint set secret = ? where id = ?', [plainSecret, endpoint.id]);
      await app.till.db.em
        .fork()
        .execute(
          `insert into signing_key (kid, alg, public_jwk, private_jwk, created_at) values (?, 'ES256', ?, ?, now() + interval '1 minute')`,
          [
            kid,
            JSON.stringify({ ...publicJwk, kid, alg: 'ES256', use: 'sig' }),
            JSON.stringify({ ...publicJwk, d, kid, alg: 'ES256' }),
          ],
        );
      await app.close();

      app = await startTill({ backend: 'embedded', env });
      const [key] = await app.till.db.em
        .fork()
        .execute<{ private_jwk: unknown; private_jwk_sealed: string }[]>(
          'select private_jwk, private_jwk_sealed from signing_key where kid = ?',
          [kid],
        );
      expect(key!.private_jwk).toBeNull();
      expect(kidOf(key!.private_jwk_sealed)).toBe(app.till.sealer.currentKid);
      const [row] = await app.till.db.em
        .fork()
        .execute<{ secret: string }[]>('select secret from webhook_endpoint where id = ?', [endpoint.id]);
      expect(kidOf(row!.secret)).toBe(app.till.sealer.currentKid);

      // The upgraded key signs (it is the newest) and the upgraded secret signs deliveries.
      const token = await accessToken(app.url, merchant);
      expect(decodeProtectedHeader(token).kid).toBe(kid);
      const before = receiver.received.length;
      const session = await request(app.url, 'POST', '/api/hosted-payment-page', {
        key: token,
        body: HPP_BODY,
      });
      expect(session.status).toBe(200);
      await receiver.until((r) => r.length > before);
      const hit = receiver.received.at(-1)!;
      expect(() =>
        new Webhook(plainSecret).verify(hit.body, hit.headers as Record<string, string>),
      ).not.toThrow();
    } finally {
      await app.close();
      rmSync(legacyDir, { recursive: true, force: true });
    }
  }, 150_000);

  itWhen(serverServicesAvailable, 'PostgreSQL + Redis')(
    'server: a new TILL_ENCRYPTION_KEY on every instance, then everything re-sealed under it',
    async () => {
      const oldKey = `old:${Buffer.alloc(32, 11).toString('base64')}`;
      const newKey = `new:${Buffer.alloc(32, 12).toString('base64')}`;
      // First every instance learns the new key (so values sealed with it open everywhere)...
      const a = await startTill({
        backend: 'server',
        env: { TILL_ENCRYPTION_KEY: oldKey, TILL_ENCRYPTION_PREVIOUS_KEYS: newKey, ...SHARED_ENV },
      });
      let b: RunningTill | null = null;
      try {
        const merchant = await newMerchant(a, 'Rotating');
        const things = await sealedThings(a, merchant, receiver);
        expect(new Set(Object.values(await sealedKids(a)).flat())).toEqual(new Set(['old']));

        // ...then the command runs with the new key current and the old one still readable.
        const { stdout } = await runTill(['keys', 'rotate-encryption'], {
          DATABASE_URL: a.databaseUrl!,
          TILL_ENCRYPTION_KEY: newKey,
          TILL_ENCRYPTION_PREVIOUS_KEYS: oldKey,
          DATA_DIR: dataDir,
          NODE_ENV: 'test',
        });
        expect(JSON.parse(stdout)).toMatchObject({ kid: 'new', retired: [], unused: ['old'] });
        expect(new Set(Object.values(await sealedKids(a)).flat())).toEqual(new Set(['new']));

        // An instance that knows only the new key serves everything; so does the one still running.
        b = await startTill({
          backend: 'server',
          databaseUrl: a.databaseUrl,
          env: { TILL_ENCRYPTION_KEY: newKey, ...SHARED_ENV },
        });
        await stillWorks(b, things, receiver);
        await stillWorks(a, things, receiver);
      } finally {
        await b?.close();
        await a.close();
      }
    },
    150_000,
  );
});
