import { SignJWT, decodeJwt, importJWK, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { CreateHostedPaymentDocument, PaymentStatusChangedDocument } from '../__generated__/graphql.js';
import { accessToken, HPP_BODY, oidcClient } from '../support/api-dialect.js';
import { backends } from '../support/backends.js';
import { Collector, gql, wsClient } from '../support/graphql.js';
import { request } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import { sealedFor } from '../../src/db/sealed-columns.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe.each(backends)('OIDC / OAuth 2.0 (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  const token = (body: string, headers: Record<string, string> = {}) =>
    request(app.url, 'POST', '/api/oauth2/token', {
      rawBody: body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });

  beforeAll(async () => {
    app = await startTill({ backend });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    merchant = await newMerchant(app);
  });

  it('a standard OIDC client discovers Till, gets a client-credentials token and creates a hosted payment', async () => {
    const basic = await oidcClient(
      app.till.config.publicUrl,
      merchant,
      oidc.ClientSecretBasic(merchant.oauth.client_secret),
    );
    expect(basic.serverMetadata().issuer).toBe(app.till.config.publicUrl);
    const tokens = await oidc.clientCredentialsGrant(basic, { scope: 'payments' });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.expires_in).toBeLessThanOrEqual(900);
    const created = await request(app.url, 'POST', '/api/hosted-payment-page', {
      key: tokens.access_token,
      body: HPP_BODY,
    });
    expect(created.status).toBe(200);
    expect(created.json).toEqual({
      redirect_url: expect.stringContaining('/hpp/payment/'),
      session_id: expect.any(String),
    });

    const post = await oidcClient(app.till.config.publicUrl, merchant);
    expect((await oidc.clientCredentialsGrant(post)).access_token).toEqual(expect.any(String));
  });

  it('publishes a JWKS that verifies its tokens (ES256, with kid)', async () => {
    const jwks = await request(app.url, 'GET', '/api/oauth2/jwks');
    expect(jwks.json.keys.length).toBeGreaterThanOrEqual(1);
    for (const key of jwks.json.keys) {
      expect(key).toMatchObject({
        kty: 'EC',
        crv: 'P-256',
        alg: 'ES256',
        use: 'sig',
        kid: expect.any(String),
      });
      expect(key.d).toBeUndefined();
    }
  });

  describe('token endpoint errors (RFC 6749 §5.2)', () => {
    it.each([
      [
        'a wrong client secret (basic)',
        () => form({ grant_type: 'client_credentials' }),
        'bad-basic',
        401,
        'invalid_client',
      ],
      [
        'a wrong client secret (post)',
        () => form({ grant_type: 'client_credentials', client_id: 'x', client_secret: 'y' }),
        null,
        401,
        'invalid_client',
      ],
      [
        'no client authentication',
        () => form({ grant_type: 'client_credentials' }),
        null,
        401,
        'invalid_client',
      ],
      ['a missing grant_type', () => form({}), null, 400, 'invalid_request'],
      [
        'an unsupported grant_type',
        () => form({ grant_type: 'authorization_code' }),
        null,
        400,
        'unsupported_grant_type',
      ],
      [
        'an unknown scope',
        () => form({ grant_type: 'client_credentials', scope: 'admin' }),
        'good-basic',
        400,
        'invalid_scope',
      ],
    ])('%s', async (_name, body, auth, status, error) => {
      const headers: Record<string, string> = {};
      if (auth === 'bad-basic')
        headers.authorization = `Basic ${Buffer.from(`${merchant.oauth.client_id}:nope`).toString('base64')}`;
      if (auth === 'good-basic')
        headers.authorization = `Basic ${Buffer.from(`${merchant.oauth.client_id}:${merchant.oauth.client_secret}`).toString('base64')}`;
      const res = await token(body(), headers);
      expect(res.status).toBe(status);
      expect(res.json.error).toBe(error);
      expect(res.headers.get('cache-control')).toBe('no-store');
      if (auth === 'bad-basic') expect(res.headers.get('www-authenticate')).toContain('Basic');
    });

    it('the password grant works form-encoded too', async () => {
      const res = await token(
        form({
          grant_type: 'password',
          username: merchant.oauth.username,
          password: merchant.oauth.password,
        }),
      );
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
    });
  });

  it('locks out repeated failed logins, even with the right password afterwards', async () => {
    const login = (password: string) =>
      request(app.url, 'POST', '/api/oauth2/login/token', {
        body: { username: merchant.oauth.username, password },
      });
    for (let i = 0; i < 5; i++) expect((await login('wrong')).status).toBe(401);
    const locked = await login(merchant.oauth.password);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  describe('refuses tokens that are not exactly right', () => {
    let good: string;
    let signingJwk: JWK & { kid: string };
    beforeEach(async () => {
      good = await accessToken(app.url, merchant);
      // The private key is stored sealed: forging needs the database and the encryption key.
      const [row] = await app.till.db.em
        .fork()
        .execute<{ kid: string; private_jwk_sealed: string }[]>(
          'select kid, private_jwk_sealed from signing_key where retired_at is null order by created_at desc limit 1',
        );
      signingJwk = JSON.parse(
        app.till.sealer.open(row!.private_jwk_sealed, sealedFor.signingKey(row!.kid)),
      ) as JWK & { kid: string };
    });
    const sign = async (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
      new SignJWT({
        mid: merchant.merchant_id,
        // The credential the token was issued to, and the token's own id (both revocable).
        cid: (decodeJwt(good) as { cid: string }).cid,
        jti: `forged-${Math.random()}`,
        livemode: false,
        client_id: 'x',
        scope: 'payments',
        ...claims,
      })
        .setProtectedHeader({ alg: 'ES256', kid: signingJwk.kid, typ: 'at+jwt', ...header })
        .setSubject(merchant.merchant_id)
        .setIssuedAt()
        .sign(await importJWK(signingJwk, 'ES256'));
    const base = () => ({
      iss: app.till.config.publicUrl,
      aud: `${app.till.config.publicUrl}/api`,
      exp: Math.floor(Date.now() / 1000) + 300,
    });
    const attempt = (bearer: string) =>
      request(app.url, 'POST', '/api/hosted-payment-page', { key: bearer, body: HPP_BODY });

    it('accepts a correctly signed token (control)', async () => {
      expect((await attempt(await sign(base()))).status).toBe(200);
      expect((await attempt(good)).status).toBe(200);
    });
    it('alg: none', async () => {
      const [, payload] = good.split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');
      expect((await attempt(`${header}.${payload}.`)).status).toBe(401);
    });
    it('expired', async () =>
      expect((await attempt(await sign({ ...base(), exp: Math.floor(Date.now() / 1000) - 10 }))).status).toBe(
        401,
      ));
    it('wrong issuer', async () =>
      expect((await attempt(await sign({ ...base(), iss: 'https://evil.example' }))).status).toBe(401));
    it('wrong audience', async () =>
      expect((await attempt(await sign({ ...base(), aud: 'https://other.example/api' }))).status).toBe(401));
    it('tampered payload', async () => {
      const [h, p, s] = good.split('.');
      const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
      const forged = Buffer.from(
        JSON.stringify({ ...claims, mid: 'mer_someoneelse0000', sub: 'mer_someoneelse0000' }),
      ).toString('base64url');
      expect((await attempt(`${h}.${forged}.${s}`)).status).toBe(401);
    });
    it('an unknown key id', async () =>
      expect((await attempt(await sign(base(), { kid: 'key_unknown' }))).status).toBe(401));
  });

  it('keeps verifying tokens of the previous key after a rotation, and signs new ones with the new key', async () => {
    const before = await accessToken(app.url, merchant);
    const rotated = await request(app.url, 'POST', '/admin/v1/signing-keys/rotate', {
      key: 'test-admin-token-0123456789',
    });
    expect(rotated.status).toBe(201);
    const after = await accessToken(app.url, merchant);
    const kid = (t: string) => JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()).kid;
    expect(kid(after)).toBe(rotated.json.kid);
    expect(kid(before)).not.toBe(rotated.json.kid);
    for (const t of [before, after])
      expect(
        (await request(app.url, 'POST', '/api/hosted-payment-page', { key: t, body: HPP_BODY })).status,
      ).toBe(200);
    const jwks = await request(app.url, 'GET', '/api/oauth2/jwks');
    expect(jwks.json.keys.map((k: { kid: string }) => k.kid)).toEqual(
      expect.arrayContaining([kid(before), kid(after)]),
    );
  });

  it("GraphQL accepts access tokens and seed 000's fields; subscribers see the session's payment change", async () => {
    const bearer = await accessToken(app.url, merchant);
    const created = await gql(
      app.url,
      CreateHostedPaymentDocument,
      {
        input: {
          amount: 2500,
          currency: 'BAM',
          terminalId: 'TERM001',
          transactionType: 'AUTHORIZE',
          successUrl: 'https://m.example/s',
          cancelUrl: 'https://m.example/c',
          errorUrl: 'https://m.example/e',
          merchantReference: 'ORDER-9',
          customer: { firstName: 'John', email: 'john@example.com' },
          saveCardForFuturePayments: true,
        },
      },
      { key: bearer },
    );
    const out = created.data!.createHostedPayment;
    expect(out.userErrors).toEqual([]);
    expect(out.payment).toMatchObject({
      currency: 'BAM',
      terminalId: 'TERM001',
      transactionType: 'AUTHORIZE',
      customer: { firstName: 'John', email: 'john@example.com' },
    });
    expect(out.hostedPaymentUrl).toMatch(/\/hpp\/payment\/[A-Za-z0-9]{40}\/[A-Za-z0-9]{20}$/);
    expect(out.sessionId).toBe(out.payment!.sessionId);

    const refused = await gql(
      app.url,
      CreateHostedPaymentDocument,
      {
        input: {
          amount: 1,
          currency: 'EUR',
          terminalId: 'DEV02',
          successUrl: 'https://m.example/s',
          cancelUrl: 'https://m.example/c',
          errorUrl: 'https://m.example/e',
          merchantReference: 'r',
          saveCardForFuturePayments: true,
        },
      },
      { key: bearer },
    );
    expect(refused.data!.createHostedPayment.userErrors).toEqual([
      {
        field: ['input', 'tokenization'],
        message: 'one of requested features not supported=[TOKENIZATION]',
        code: 'invalid_request',
      },
    ]);

    const client = wsClient(app.url, bearer);
    const sub = new Collector(client, PaymentStatusChangedDocument, { paymentId: out.payment!.id });
    await sub.until((c) => c.items.length === 1);
    await request(app.url, 'POST', `/v1/payments/${out.payment!.id}/cancel`, {
      key: merchant.test_secret_key,
    });
    await sub.until((c) => c.items.length === 2);
    expect(sub.items[1]!.paymentStatusChanged.status).toBe('CANCELED');
    sub.dispose();
    await client.dispose();
  });
});
