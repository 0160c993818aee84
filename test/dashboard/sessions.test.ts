import { backends } from '../support/backends.js';
import { DashboardBrowser, newUser } from '../support/dashboard.js';
import { eventually, request, SEED_004_SAMPLE } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

const VIEWER = `{ viewer { user { id email role status } merchant { id name } livemode role permissions } }`;
const API_KEYS = `{ apiKeys { id livemode } }`;

describe.each(backends)('dashboard sessions (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;

  beforeAll(async () => {
    app = await startTill({ backend, env: { LOGIN_MAX_FAILURES: '3' } });
    merchant = await newMerchant(app, 'Sessions shop');
  });
  afterAll(() => app.close());

  it('signs in with email and password: an HttpOnly, SameSite=Lax cookie that authenticates with Till-Mode', async () => {
    const user = await newUser(app, merchant.merchant_id, 'developer');
    const browser = new DashboardBrowser(app.url);
    const signed = await browser.signIn(user.email.toUpperCase(), user.password);
    expect(signed.data.signIn.userErrors).toEqual([]);
    expect(signed.data.signIn.viewer).toMatchObject({
      user: { id: user.id, email: user.email, role: 'DEVELOPER' },
      merchant: { id: merchant.merchant_id, name: 'Sessions shop' },
      livemode: false,
      role: 'DEVELOPER',
    });
    expect(signed.data.signIn.viewer.permissions).toContain('payments:write');
    expect(signed.data.signIn.viewer.permissions).not.toContain('team:write');
    const setCookie = browser.setCookies.find((c) => c.startsWith('till_session='))!;
    expect(setCookie).toMatch(/; HttpOnly/i);
    expect(setCookie).toMatch(/; SameSite=Lax/i);
    expect(setCookie).toMatch(/; Path=\//i);
    expect(setCookie).not.toMatch(/; Secure/i);
    // Only the token's hash is stored.
    const token = browser.cookie!.split('=')[1]!;
    const rows = await app.till.db.em.fork().execute('select token_hash from dashboard_session');
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(app.logs.join('\n')).not.toContain(token);
    expect(app.logs.join('\n')).not.toContain(user.password);

    const viewer = await browser.gql(VIEWER);
    expect(viewer.data.viewer).toMatchObject({ user: { id: user.id, status: 'active' }, livemode: false });
    browser.mode = 'live';
    expect((await browser.gql(VIEWER)).data.viewer).toMatchObject({ livemode: true, role: 'DEVELOPER' });
  });

  it('a wrong password or unknown email is invalid_credentials, and sets no cookie', async () => {
    const user = await newUser(app, merchant.merchant_id, 'analyst');
    for (const [email, password] of [
      [user.email, 'wrong-password-123'],
      ['nobody-here@example.com', user.password],
    ]) {
      const browser = new DashboardBrowser(app.url);
      const answer = await browser.signIn(email!, password!);
      expect(answer.status).toBe(200);
      expect(answer.data.signIn).toEqual({
        viewer: null,
        userErrors: [{ field: [], message: expect.any(String), code: 'invalid_credentials' }],
      });
      expect(browser.cookie).toBeNull();
    }
  });

  it('repeated failures are throttled: RATE_LIMITED, even with the right password', async () => {
    const user = await newUser(app, merchant.merchant_id, 'analyst');
    const browser = new DashboardBrowser(app.url);
    for (let i = 0; i < 3; i++)
      expect((await browser.signIn(user.email, 'not-the-password')).data.signIn.userErrors[0].code).toBe(
        'invalid_credentials',
      );
    const locked = await browser.signIn(user.email, user.password);
    expect(locked.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(browser.cookie).toBeNull();
  });

  it('the cookie without Till-Mode is anonymous (CSRF): nothing is read or changed', async () => {
    const user = await newUser(app, merchant.merchant_id, 'owner');
    const browser = new DashboardBrowser(app.url);
    await browser.signIn(user.email, user.password);
    browser.mode = null;
    expect((await browser.gql(VIEWER)).data.viewer).toBeNull();
    const create = await browser.gql(`mutation { createApiKey(type: SECRET) { secret } }`);
    expect(create.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // An unknown mode is no mode.
    expect((await browser.gql(VIEWER, {}, { 'till-mode': 'staging' })).data.viewer).toBeNull();
  });

  it('a cross-site form or text/plain post with the cookie changes nothing', async () => {
    const user = await newUser(app, merchant.merchant_id, 'owner');
    const browser = new DashboardBrowser(app.url);
    await browser.signIn(user.email, user.password);
    const before = (await browser.gql(API_KEYS)).data.apiKeys.length;
    const query = 'mutation { createApiKey(type: SECRET) { secret } }';
    const forged = [
      { 'content-type': 'text/plain', body: JSON.stringify({ query }) },
      { 'content-type': 'application/x-www-form-urlencoded', body: `query=${encodeURIComponent(query)}` },
      {
        'content-type': 'multipart/form-data; boundary=x',
        body: `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n${query}\r\n--x--\r\n`,
      },
    ];
    for (const form of forged) {
      const res = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': form['content-type'],
          cookie: browser.cookie!,
          origin: 'https://evil.example',
        },
        body: form.body,
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await res.text()).not.toContain('api_test_sk_');
    }
    // A GET with the cookie (a cross-site link or image) is refused too.
    const get = await fetch(`${app.url}/graphql?query=${encodeURIComponent('{ apiKeys { id } }')}`, {
      headers: { cookie: browser.cookie! },
    });
    expect(get.status).toBe(400);
    expect((await browser.gql(API_KEYS)).data.apiKeys).toHaveLength(before);
  });

  it('Authorization wins over the cookie', async () => {
    const user = await newUser(app, merchant.merchant_id, 'analyst');
    const browser = new DashboardBrowser(app.url);
    await browser.signIn(user.email, user.password);
    const viewer = await browser.gql(VIEWER, {}, { authorization: `Bearer ${merchant.test_secret_key}` });
    expect(viewer.data.viewer).toMatchObject({ user: null, role: null, livemode: false });
    expect(viewer.data.viewer.permissions).toContain('keys:write');
    expect(viewer.data.viewer.permissions).not.toContain('team:read');
  });

  it('a session sees one mode at a time: test data never in live and vice versa', async () => {
    const user = await newUser(app, merchant.merchant_id, 'owner');
    const created = await request(app.url, 'POST', '/v1/payments/hpp', {
      key: merchant.test_secret_key,
      body: SEED_004_SAMPLE,
    });
    expect(created.status).toBe(200);
    const browser = new DashboardBrowser(app.url);
    await browser.signIn(user.email, user.password);
    const payments = `{ payments(first: 50) { edges { node { id livemode } } } }`;
    const testIds = (await browser.gql(payments)).data.payments.edges.map((e: any) => e.node.id);
    expect(testIds).toContain(created.json.id);
    const testKeys = (await browser.gql(API_KEYS)).data.apiKeys;
    expect(testKeys.every((k: any) => k.livemode === false)).toBe(true);
    browser.mode = 'live';
    const liveIds = (await browser.gql(payments)).data.payments.edges.map((e: any) => e.node.id);
    expect(liveIds).not.toContain(created.json.id);
    const liveKeys = (await browser.gql(API_KEYS)).data.apiKeys;
    expect(liveKeys.length).toBeGreaterThan(0);
    expect(liveKeys.every((k: any) => k.livemode === true)).toBe(true);
  });

  it('a session expires: its cookie is anonymous after its lifetime', async () => {
    const user = await newUser(app, merchant.merchant_id, 'analyst');
    const browser = new DashboardBrowser(app.url);
    await browser.signIn(user.email, user.password);
    expect((await browser.gql(VIEWER)).data.viewer).not.toBeNull();
    await app.till.db.em
      .fork()
      .execute(`update dashboard_session set expires_at = now() - interval '1 second' where user_id = ?`, [
        user.id,
      ]);
    expect((await browser.gql(VIEWER)).data.viewer).toBeNull();
  });

  it('signing out clears the cookie and ends the session; the old token no longer works', async () => {
    const user = await newUser(app, merchant.merchant_id, 'analyst');
    const browser = new DashboardBrowser(app.url);
    await browser.signIn(user.email, user.password);
    const stolen = browser.cookie!;
    const out = await browser.gql('mutation { signOut }');
    expect(out.data.signOut).toBe(true);
    expect(browser.cookie).toBeNull();
    browser.cookie = stolen;
    expect((await browser.gql(VIEWER)).data.viewer).toBeNull();
  });

  it('sign-out everywhere ends every session of the user at once', async () => {
    const user = await newUser(app, merchant.merchant_id, 'analyst');
    const laptop = new DashboardBrowser(app.url);
    const phone = new DashboardBrowser(app.url);
    await laptop.signIn(user.email, user.password);
    await phone.signIn(user.email, user.password);
    expect((await laptop.gql('mutation { signOut(everywhere: true) }')).data.signOut).toBe(true);
    await eventually(async () => (await phone.gql(VIEWER)).data.viewer === null, 1000);
    const audit = await app.till.db.em
      .fork()
      .execute(`select action from audit_log where actor_id = ? order by seq`, [user.id]);
    expect(audit.map((r: any) => r.action)).toEqual([
      'dashboard_user.signed_in',
      'dashboard_user.signed_in',
      'dashboard_user.signed_out_everywhere',
    ]);
  });

  it('signIn over HTTP only; bad input is a clear error, never a 5xx', async () => {
    const browser = new DashboardBrowser(app.url);
    const missing = await browser.gql('mutation { signIn(email: "a@b.c") { userErrors { code } } }');
    expect(missing.status).toBe(400);
    const huge = await browser.signIn('x'.repeat(5000), 'y'.repeat(5000));
    expect(huge.data.signIn.userErrors[0].code).toBe('invalid_credentials');
  });
});

describe.each(backends)('dashboard sessions count against the API rate (%s)', (backend) => {
  let app: RunningTill;
  beforeAll(async () => {
    app = await startTill({
      backend,
      env: { API_RATE_LIMIT_TEST: '3', API_RATE_LIMIT_WINDOW_SECONDS: '60' },
    });
  });
  afterAll(() => app.close());

  it('like a key: RATE_LIMITED past the rate, per session', async () => {
    const merchant = await newMerchant(app);
    const user = await newUser(app, merchant.merchant_id, 'analyst');
    const browser = new DashboardBrowser(app.url);
    await browser.signIn(user.email, user.password);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await browser.gql(VIEWER));
    expect(answers.slice(0, 3).every((a) => a.data.viewer !== null)).toBe(true);
    expect(answers[3]!.status).toBe(429);
    expect(answers[3]!.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(answers[3]!.headers.get('retry-after')).toMatch(/^\d+$/);
    // Another session of the same user has its own count.
    const other = new DashboardBrowser(app.url);
    await other.signIn(user.email, user.password);
    expect((await other.gql(VIEWER)).data.viewer).not.toBeNull();
  });
});

describe('dashboard session cookie under an https PUBLIC_URL', () => {
  let app: RunningTill;
  beforeAll(async () => {
    app = await startTill({ backend: 'embedded', env: { PUBLIC_URL: 'https://till.example.com' } });
  });
  afterAll(() => app.close());

  it('is Secure', async () => {
    const merchant = await newMerchant(app);
    const user = await newUser(app, merchant.merchant_id, 'owner');
    const browser = new DashboardBrowser(app.url);
    await browser.signIn(user.email, user.password);
    const setCookie = browser.setCookies.find((c) => c.startsWith('till_session='))!;
    expect(setCookie).toMatch(/; Secure/i);
    expect(setCookie).toMatch(/; HttpOnly/i);
  });
});
