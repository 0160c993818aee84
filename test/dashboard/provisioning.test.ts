import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { backends } from '../support/backends.js';
import { DashboardBrowser } from '../support/dashboard.js';
import { request } from '../support/http.js';
import { runTill } from '../support/processes.js';
import { createTestDatabase } from '../support/services.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import { ensureSandbox } from '../../src/services/sandbox.js';

const ADMIN = 'test-admin-token-0123456789';
const ACCEPT = `mutation($token: String!, $password: String!) { acceptInvitation(token: $token, password: $password) {
  viewer { user { email role } merchant { id } } userErrors { field message code } } }`;
const tokenOf = (url: string) => url.split('#/invite/')[1]!;

describe.each(backends)('creating dashboard users outside the dashboard (%s)', (backend) => {
  let app: RunningTill;
  let dataDir: string;

  beforeAll(async () => {
    app = await startTill({ backend });
    dataDir = mkdtempSync(path.join(tmpdir(), 'till-sandbox-'));
  });
  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the sandbox gets an owner whose sign-in is in sandbox.json; older files get one on the next start', async () => {
    const { services } = app.till;
    const first = await ensureSandbox(
      dataDir,
      app.till.db,
      services.merchants,
      null,
      services.dashboardUsers,
    );
    const file = path.join(dataDir, 'sandbox.json');
    const written = JSON.parse(readFileSync(file, 'utf8'));
    expect(written.dashboard).toEqual({
      email: 'owner@sandbox.test',
      password: expect.stringMatching(/^.{12,}$/),
    });
    expect(first.sandbox).toEqual(written);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const browser = new DashboardBrowser(app.url);
    const signed = await browser.signIn(written.dashboard.email, written.dashboard.password);
    expect(signed.data.signIn.viewer).toMatchObject({
      user: { role: 'OWNER' },
      merchant: { id: written.merchant_id, name: 'Sandbox merchant' },
    });
    // The next start changes nothing.
    await ensureSandbox(dataDir, app.till.db, services.merchants, null, services.dashboardUsers);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(written);

    // A file from before the dashboard: its merchant gets an owner, the file its sign-in.
    const olderDir = mkdtempSync(path.join(tmpdir(), 'till-sandbox-old-'));
    const merchant = await newMerchant(app, 'Old sandbox');
    const older = { ...merchant, admin_token: 'x'.repeat(40) };
    writeFileSync(path.join(olderDir, 'sandbox.json'), JSON.stringify(older), { mode: 0o600 });
    await app.till.db.em
      .fork()
      .execute(`update dashboard_user set status = 'disabled' where email = 'owner@sandbox.test'`);
    const upgraded = await ensureSandbox(
      olderDir,
      app.till.db,
      services.merchants,
      null,
      services.dashboardUsers,
    );
    expect(upgraded.created).toBe(false);
    const reread = JSON.parse(readFileSync(path.join(olderDir, 'sandbox.json'), 'utf8'));
    expect(reread).toEqual({
      ...older,
      dashboard: { email: 'owner@sandbox.test', password: expect.any(String) },
    });
    const owner = await new DashboardBrowser(app.url).signIn('owner@sandbox.test', reread.dashboard.password);
    expect(owner.data.signIn.viewer.merchant.id).toBe(merchant.merchant_id);
    rmSync(olderDir, { recursive: true, force: true });
  });

  it('the admin API invites (any role) and lists the team; bad input is a 4xx', async () => {
    const merchant = await newMerchant(app);
    const base = `/admin/v1/merchants/${merchant.merchant_id}/users`;
    const invited = await request(app.url, 'POST', base, {
      key: ADMIN,
      body: { email: 'boss@example.com', role: 'owner' },
    });
    expect(invited.status).toBe(201);
    expect(invited.json).toEqual({
      invitation: {
        id: expect.stringMatching(/^inv_/),
        email: 'boss@example.com',
        role: 'owner',
        created_at: expect.any(Number),
        expires_at: expect.any(Number),
      },
      url: expect.stringMatching(/\/dashboard\/#\/invite\/[A-Za-z0-9_-]{43}$/),
    });
    // The link is in the answer only: never in the logs.
    expect(app.logs.join('\n')).not.toContain(tokenOf(invited.json.url));
    const accepted = await new DashboardBrowser(app.url).gql(ACCEPT, {
      token: tokenOf(invited.json.url),
      password: 'the boss password',
    });
    expect(accepted.data.acceptInvitation.viewer).toEqual({
      user: { email: 'boss@example.com', role: 'OWNER' },
      merchant: { id: merchant.merchant_id },
    });
    const listed = await request(app.url, 'GET', base, { key: ADMIN });
    expect(listed.status).toBe(200);
    expect(listed.json.users).toEqual([
      expect.objectContaining({ email: 'boss@example.com', role: 'owner', status: 'active' }),
    ]);
    expect(JSON.stringify(listed.json)).not.toMatch(/password|token_hash|scrypt/);

    for (const [body, status] of [
      [{ email: 'x@example.com', role: 'emperor' }, 400],
      [{ email: 'nope', role: 'analyst' }, 400],
      [{ email: 'x@example.com' }, 400],
      [{ email: 'x@example.com', role: 'analyst', extra: 1 }, 400],
    ] as const) {
      const refused = await request(app.url, 'POST', base, { key: ADMIN, body });
      expect([JSON.stringify(body), refused.status]).toEqual([JSON.stringify(body), status]);
    }
    expect(
      (
        await request(app.url, 'POST', '/admin/v1/merchants/mer_nope/users', {
          key: ADMIN,
          body: { email: 'a@b.co', role: 'analyst' },
        })
      ).status,
    ).toBe(404);
    expect((await request(app.url, 'GET', '/admin/v1/merchants/mer_nope/users', { key: ADMIN })).status).toBe(
      404,
    );
    expect((await request(app.url, 'GET', base, { key: 'wrong-admin-token-000000' })).status).toBe(401);
  });
});

describe.each(backends)('till users (%s)', (backend) => {
  it('invite prints a one-time link that signs the user in; list shows the team', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'till-cli-users-'));
    const db = backend === 'server' ? await createTestDatabase() : null;
    const env = {
      DATA_DIR: dataDir,
      NODE_ENV: 'test',
      ...(db ? { DATABASE_URL: db.url, TILL_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') } : {}),
    };
    try {
      const merchant = JSON.parse((await runTill(['merchant', 'create', '--name', 'CLI team'], env)).stdout);
      const invited = JSON.parse(
        (
          await runTill(
            [
              'users',
              'invite',
              '--merchant',
              merchant.merchant_id,
              '--email',
              'dev@example.com',
              '--role',
              'developer',
            ],
            env,
          )
        ).stdout,
      );
      expect(invited.invitation).toMatchObject({ email: 'dev@example.com', role: 'developer' });
      const listed = JSON.parse(
        (await runTill(['users', 'list', '--merchant', merchant.merchant_id], env)).stdout,
      );
      expect(listed).toEqual({
        users: [],
        invitations: [expect.objectContaining({ id: invited.invitation.id })],
      });
      const bad = await runTill(
        ['users', 'invite', '--merchant', merchant.merchant_id, '--email', 'x@example.com', '--role', 'king'],
        env,
      ).catch((e) => e);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('role must be one of');

      const app = await startTill({ backend, databaseUrl: db?.url, env: { DATA_DIR: dataDir } });
      try {
        const accepted = await new DashboardBrowser(app.url).gql(ACCEPT, {
          token: tokenOf(invited.url),
          password: 'developer password',
        });
        expect(accepted.data.acceptInvitation.viewer).toEqual({
          user: { email: 'dev@example.com', role: 'DEVELOPER' },
          merchant: { id: merchant.merchant_id },
        });
      } finally {
        await app.close();
      }
    } finally {
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
