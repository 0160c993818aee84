import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import {
  ApiKeysDocument,
  AuditLogDocument,
  CreateApiKeyDocument,
  CreateHostedPaymentDocument,
  PaymentStatusChangedDocument,
  RevokeApiKeyDocument,
  RollApiKeyDocument,
} from '../__generated__/graphql.js';
import { accessToken, HPP_BODY, oidcClient } from '../support/api-dialect.js';
import { backends } from '../support/backends.js';
import { openCheckout, paidPayment } from '../support/checkout.js';
import { closeCode, Collector, gql, wsClient } from '../support/graphql.js';
import { eventually, request, SEED_004_SAMPLE } from '../support/http.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

const ADMIN = 'test-admin-token-0123456789';
const GRAPHQL_INPUT = {
  amount: 2500,
  currency: 'EUR',
  returnUrl: 'https://shop.example.com/done',
};

/** The close code a graphql-ws subscription ended with (the client reports the CloseEvent). */

export function credentialHelpers(app: () => RunningTill) {
  const admin = <T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    request<T>(app().url, method, `/admin/v1${path}`, { key: ADMIN, body, headers });
  /** The id of the key whose secret is `secret` (matched by type, mode and last four). */
  const keyIdOf = async (merchant: MerchantCredentials, type: 'secret' | 'publishable', livemode = false) => {
    const secret =
      type === 'publishable'
        ? merchant.client_key
        : livemode
          ? merchant.live_secret_key
          : merchant.test_secret_key;
    const list = await admin('GET', `/merchants/${merchant.merchant_id}/api_keys`);
    const found = (list.json.data as { id: string; type: string; livemode: boolean; last4: string }[]).find(
      (k) => k.type === type && k.livemode === livemode && k.last4 === secret.slice(-4),
    );
    if (!found) throw new Error(`no ${type} key`);
    return found.id;
  };
  /**
   * A graphql-ws client on `key` following one new payment: live once the payment's current state
   * has arrived (the first message of a subscription to one payment).
   */
  const liveFeed = async (merchant: MerchantCredentials, key: string) => {
    const created = await request(app().url, 'POST', '/v1/payments/hpp', {
      key: merchant.test_secret_key,
      body: SEED_004_SAMPLE,
    });
    const client = wsClient(app().url, key);
    const feed = new Collector(client, PaymentStatusChangedDocument, { paymentId: created.json.id });
    await feed.until((c) => c.items.length >= 1);
    return { client, feed };
  };
  const v1 = (key: string) => request(app().url, 'GET', '/v1/payments', { key });
  const graphql = (key: string) =>
    gql(app().url, CreateHostedPaymentDocument, { input: GRAPHQL_INPUT }, { key });
  return { admin, keyIdOf, liveFeed, v1, graphql };
}

describe.each(backends)(
  'credentials: roll, revoke, and every surface refuses what was cut off (%s)',
  (backend) => {
    let app: RunningTill;
    let merchant: MerchantCredentials;
    const { admin, keyIdOf, liveFeed, v1, graphql } = credentialHelpers(() => app);

    beforeAll(async () => {
      app = await startTill({ backend });
    });
    afterAll(() => app.close());
    beforeEach(async () => {
      merchant = await newMerchant(app, 'Keyholder');
    });

    it('lists keys masked to their last four characters, never the secret or its hash', async () => {
      const list = await admin('GET', `/merchants/${merchant.merchant_id}/api_keys`);
      expect(list.status).toBe(200);
      const testKey = list.json.data.find((k: any) => k.type === 'secret' && !k.livemode);
      expect(testKey).toEqual({
        id: expect.stringMatching(/^key_[A-Za-z0-9]{16}$/),
        object: 'api_key',
        type: 'secret',
        livemode: false,
        redacted: `api_test_sk_…${merchant.test_secret_key.slice(-4)}`,
        last4: merchant.test_secret_key.slice(-4),
        status: 'active',
        created_at: expect.any(Number),
        expires_at: null,
        revoked_at: null,
        replaced_by: null,
      });
      expect(list.json.data.map((k: any) => `${k.type}:${k.livemode}`).sort()).toEqual([
        'publishable:false',
        'secret:false',
        'secret:true',
      ]);
      for (const secret of [merchant.test_secret_key, merchant.live_secret_key, merchant.client_key])
        expect(list.text).not.toContain(secret.slice(12));
      const liveOnly = await admin('GET', `/merchants/${merchant.merchant_id}/api_keys?livemode=true`);
      expect(liveOnly.json.data).toHaveLength(1);
    });

    it('roll with a 1-hour grace: both keys work; revoking the old one cuts it off on REST v1 and GraphQL while the new one works', async () => {
      const oldId = await keyIdOf(merchant, 'secret');
      const rolled = await admin('POST', `/merchants/${merchant.merchant_id}/api_keys/${oldId}/roll`, {
        expires_in_seconds: 3600,
      });
      expect(rolled.status).toBe(200);
      const fresh = rolled.json.secret as string;
      expect(fresh).toMatch(/^api_test_sk_[A-Za-z0-9]{32}$/);
      expect(rolled.json).toMatchObject({ type: 'secret', livemode: false, status: 'active' });
      expect(rolled.json.previous).toMatchObject({
        id: oldId,
        status: 'expiring',
        replaced_by: rolled.json.id,
      });
      expect(rolled.json.previous.expires_at - Math.floor(Date.now() / 1000)).toBeGreaterThan(3590);

      for (const key of [merchant.test_secret_key, fresh]) {
        expect((await v1(key)).status).toBe(200);
        expect((await graphql(key)).data?.createHostedPayment.payment?.id).toMatch(/^pay_/);
      }
      // The new key reaches the same merchant's payments.
      const created = await request(app.url, 'POST', '/v1/payments/hpp', {
        key: merchant.test_secret_key,
        body: SEED_004_SAMPLE,
      });
      expect((await request(app.url, 'GET', `/v1/payments/${created.json.id}`, { key: fresh })).status).toBe(
        200,
      );

      const revoked = await admin('POST', `/merchants/${merchant.merchant_id}/api_keys/${oldId}/revoke`);
      expect(revoked.status).toBe(200);
      expect(revoked.json).toMatchObject({ id: oldId, status: 'revoked', revoked_at: expect.any(Number) });

      const refused = await v1(merchant.test_secret_key);
      expect(refused.status).toBe(401);
      expect(refused.json.error).toMatchObject({ type: 'authentication_error' });
      const overGraphQL = await graphql(merchant.test_secret_key);
      expect(overGraphQL.status).toBe(401);
      expect(overGraphQL.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect((await v1(fresh)).status).toBe(200);
      expect((await graphql(fresh)).data?.createHostedPayment.userErrors).toEqual([]);
    });

    it('a roll without grace stops the old key at once; a rolled key cannot be rolled again', async () => {
      const oldId = await keyIdOf(merchant, 'secret', true);
      const rolled = await admin('POST', `/merchants/${merchant.merchant_id}/api_keys/${oldId}/roll`, {});
      expect(rolled.status).toBe(200);
      expect(rolled.json.secret).toMatch(/^api_live_sk_/);
      expect(rolled.json.previous.status).toBe('revoked');
      expect((await v1(merchant.live_secret_key)).status).toBe(401);
      expect((await v1(rolled.json.secret)).status).toBe(200);
      const again = await admin('POST', `/merchants/${merchant.merchant_id}/api_keys/${oldId}/roll`, {});
      expect(again.status).toBe(400);
      expect(again.json.error).toMatchObject({ code: 'payment_unexpected_state', param: 'id' });
    });

    it('a rolled key stops by itself when its grace period ends', async () => {
      const oldId = await keyIdOf(merchant, 'secret');
      const rolled = await admin('POST', `/merchants/${merchant.merchant_id}/api_keys/${oldId}/roll`, {
        expires_in_seconds: 1,
      });
      expect((await v1(merchant.test_secret_key)).status).toBe(200);
      // expires_at is whole seconds, rounded down: the key works until the next second at most.
      const expiresAt = (rolled.json.previous.expires_at + 1) * 1000;
      await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 50));
      expect((await v1(merchant.test_secret_key)).status).toBe(401);
      const list = await admin('GET', `/merchants/${merchant.merchant_id}/api_keys`);
      expect(list.json.data.find((k: any) => k.id === oldId).status).toBe('expired');
    });

    it('refuses bad key requests with a clear 4xx and changes nothing', async () => {
      const keyId = await keyIdOf(merchant, 'secret');
      const base = `/merchants/${merchant.merchant_id}/api_keys`;
      const cases: [string, string, unknown, number, string][] = [
        ['POST', `${base}/${keyId}/roll`, { expires_in_seconds: 7 * 86400 + 1 }, 400, 'expires_in_seconds'],
        ['POST', `${base}/${keyId}/roll`, { expires_in_seconds: -1 }, 400, 'expires_in_seconds'],
        ['POST', `${base}/${keyId}/roll`, { expires_in_seconds: '60' }, 400, 'expires_in_seconds'],
        ['POST', `${base}/${keyId}/roll`, { grace: 60 }, 400, 'grace'],
        ['POST', `${base}/key_0000000000000000/revoke`, undefined, 404, 'id'],
        ['POST', `${base}/not-a-key/roll`, {}, 404, 'id'],
        ['POST', base, { type: 'root' }, 400, 'type'],
        ['POST', base, { type: 'secret' }, 400, 'livemode'],
        ['POST', base, { type: 'publishable', livemode: true }, 400, 'livemode'],
        ['POST', `/merchants/mer_0000000000000000/api_keys`, { type: 'secret', livemode: false }, 404, 'id'],
        ['GET', `/merchants/mer_0000000000000000/api_keys`, undefined, 404, 'merchant_id'],
      ];
      for (const [method, path, body, status, param] of cases) {
        const res = await admin(method, path, body);
        expect({ path, body, status: res.status, param: res.json.error.param }).toEqual({
          path,
          body,
          status,
          param,
        });
      }
      const list = await admin('GET', base);
      expect(list.json.data).toHaveLength(3);
      expect(list.json.data.every((k: any) => k.status === 'active')).toBe(true);
      expect(
        (await request(app.url, 'GET', `/admin/v1${base}`, { key: merchant.test_secret_key })).status,
      ).toBe(401);
    });

    it('GraphQL: a merchant creates, rolls and revokes its own keys — in its own mode only', async () => {
      const key = merchant.test_secret_key;
      const listed = await gql(app.url, ApiKeysDocument, {}, { key });
      expect(listed.data!.apiKeys.map((k) => `${k.type}:${k.livemode}`).sort()).toEqual([
        'PUBLISHABLE:false',
        'SECRET:false',
      ]);
      const created = await gql(app.url, CreateApiKeyDocument, { type: 'SECRET' }, { key });
      const second = created.data!.createApiKey;
      expect(second).toMatchObject({
        apiKey: { type: 'SECRET', livemode: false, status: 'ACTIVE' },
        userErrors: [],
      });
      expect(second.secret).toMatch(/^api_test_sk_/);
      expect(second.apiKey!.last4).toBe(second.secret!.slice(-4));
      expect((await v1(second.secret!)).status).toBe(200);

      const rolled = await gql(
        app.url,
        RollApiKeyDocument,
        { id: second.apiKey!.id, expiresInSeconds: 600 },
        { key },
      );
      expect(rolled.data!.rollApiKey).toMatchObject({
        apiKey: { status: 'ACTIVE' },
        previous: { id: second.apiKey!.id, status: 'EXPIRING', expiresAt: expect.any(Number) },
        userErrors: [],
      });
      const bad = await gql(
        app.url,
        RollApiKeyDocument,
        { id: rolled.data!.rollApiKey.apiKey!.id, expiresInSeconds: 9e5 },
        { key },
      );
      expect(bad.data!.rollApiKey.userErrors[0]).toMatchObject({ code: 'invalid_request' });

      // A test key cannot see or touch live keys.
      const liveId = await keyIdOf(merchant, 'secret', true);
      const touchLive = await gql(app.url, RevokeApiKeyDocument, { id: liveId }, { key });
      expect(touchLive.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect((await v1(merchant.live_secret_key)).status).toBe(200);

      // A key can revoke itself, and is refused from then on — GraphQL included.
      const ownId = await keyIdOf(merchant, 'secret');
      const revoked = await gql(app.url, RevokeApiKeyDocument, { id: ownId }, { key });
      expect(revoked.data!.revokeApiKey).toMatchObject({
        apiKey: { id: ownId, status: 'REVOKED' },
        userErrors: [],
      });
      const after = await gql(app.url, CreateApiKeyDocument, { type: 'SECRET' }, { key });
      expect(after.status).toBe(401);
      expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(
        (await gql(app.url, ApiKeysDocument, {}, { key: rolled.data!.rollApiKey.secret! })).data!.apiKeys,
      ).toEqual(expect.arrayContaining([expect.objectContaining({ id: ownId, status: 'REVOKED' })]));
    });

    it('the checkout API: a page opened with the old publishable key works through a roll’s grace, not after its revocation', async () => {
      const created = await request(app.url, 'POST', '/v1/payments/hpp', {
        key: merchant.test_secret_key,
        body: SEED_004_SAMPLE,
      });
      const { init, hpp } = await openCheckout(created.json.hosted_payment_url);
      expect(init.client_key).toBe(merchant.client_key);
      const session = (clientKey: string) =>
        request(app.url, 'GET', `/hpp/api/sessions/${init.session_id}`, {
          headers: { 'x-client-key': clientKey, 'x-session-secret': hpp.session_secret },
        });
      expect((await session(merchant.client_key)).status).toBe(200);

      const pkId = await keyIdOf(merchant, 'publishable');
      const rolled = await admin('POST', `/merchants/${merchant.merchant_id}/api_keys/${pkId}/roll`, {
        expires_in_seconds: 3600,
      });
      const newKey = rolled.json.secret as string;
      expect(newKey).toMatch(/^api_test_pk_/);
      // Pages opened from now on present the new key; the old one still works during the grace.
      expect((await openCheckout(created.json.hosted_payment_url)).init.client_key).toBe(newKey);
      expect((await session(merchant.client_key)).status).toBe(200);
      expect((await session(newKey)).status).toBe(200);

      await admin('POST', `/merchants/${merchant.merchant_id}/api_keys/${pkId}/revoke`);
      expect((await session(merchant.client_key)).status).toBe(404);
      expect((await session(newKey)).status).toBe(200);
    });

    it('revoking a key closes the graphql-ws sockets it opened with 4403 within a second; other keys’ sockets stay', async () => {
      const other = await newMerchant(app, 'Bystander');
      const { client, feed } = await liveFeed(merchant, merchant.test_secret_key);
      const { client: bystander, feed: calm } = await liveFeed(other, other.test_secret_key);

      const keyId = await keyIdOf(merchant, 'secret');
      const revokedAt = performance.now();
      await admin('POST', `/merchants/${merchant.merchant_id}/api_keys/${keyId}/revoke`);
      await feed.until((c) => closeCode(c) !== undefined, 3000);
      const closedAt = performance.now();
      expect(closeCode(feed)).toBe(4403);
      expect(closedAt - revokedAt).toBeLessThan(1000);

      // The other merchant's socket still carries changes.
      const id = calm.items[0]!.paymentStatusChanged.id;
      await request(app.url, 'POST', `/v1/payments/${id}/cancel`, { key: other.test_secret_key });
      await calm.until((c) => c.items.length >= 2);
      expect(calm.errors).toEqual([]);
      client.dispose();
      bystander.dispose();
    });

    it('a socket opened with an access token is closed with 4403 when the token expires, and the token is refused after exp', async () => {
      const login = await accessToken(app.url, merchant);
      const claims = decodeJwt(login) as { cid: string; client_id: string };
      const { token, expiresIn } = await app.till.services.tokens.issue(
        merchant.merchant_id,
        { id: claims.cid, clientId: claims.client_id },
        { lifetimeSeconds: 2 },
      );
      expect(expiresIn).toBe(2);
      const exp = (decodeJwt(token).exp as number) * 1000;
      const { client, feed } = await liveFeed(merchant, token);
      // Before exp the token works on every surface.
      expect((await graphql(token)).data?.createHostedPayment.userErrors).toEqual([]);

      await feed.until((c) => closeCode(c) !== undefined, 5000);
      expect(closeCode(feed)).toBe(4403);
      expect(performance.timeOrigin + performance.now() - exp).toBeLessThan(1000);

      // After exp: a mutation with it is refused, over HTTP and on a new socket.
      const after = await graphql(token);
      expect(after.status).toBe(401);
      const api = await request(app.url, 'POST', '/api/hosted-payment-page', { key: token, body: HPP_BODY });
      expect(api.status).toBe(401);
      const late = wsClient(app.url, token);
      const refused = new Collector(late, PaymentStatusChangedDocument, {});
      await refused.until((c) => c.errors.length > 0);
      expect(closeCode(refused)).toBe(4403);
      client.dispose();
      late.dispose();
    });

    it('RFC 7009: a revoked access token fails at once on the api dialect, GraphQL and its open socket', async () => {
      const token = await accessToken(app.url, merchant);
      const config = await oidcClient(
        app.till.config.publicUrl,
        merchant,
        oidc.ClientSecretBasic(merchant.oauth.client_secret),
      );
      expect(config.serverMetadata().revocation_endpoint).toBe(
        `${app.till.config.publicUrl}/api/oauth2/revoke`,
      );
      expect(
        (await request(app.url, 'POST', '/api/hosted-payment-page', { key: token, body: HPP_BODY })).status,
      ).toBe(200);
      const { client, feed } = await liveFeed(merchant, token);

      await oidc.tokenRevocation(config, token, { token_type_hint: 'access_token' });

      expect(
        (await request(app.url, 'POST', '/api/hosted-payment-page', { key: token, body: HPP_BODY })).status,
      ).toBe(401);
      expect((await graphql(token)).status).toBe(401);
      await feed.until((c) => closeCode(c) !== undefined, 1000);
      expect(closeCode(feed)).toBe(4403);
      // Another token of the same credentials is untouched.
      const fresh = await accessToken(app.url, merchant);
      expect(
        (await request(app.url, 'POST', '/api/hosted-payment-page', { key: fresh, body: HPP_BODY })).status,
      ).toBe(200);
      client.dispose();
    });

    it('RFC 7009: the endpoint’s rules — form only, token required, bad client refused, unknown tokens answered 200, a holder may revoke its own token', async () => {
      const revoke = (body: string, headers: Record<string, string> = {}) =>
        request(app.url, 'POST', '/api/oauth2/revoke', {
          rawBody: body,
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        });
      expect((await revoke('')).status).toBe(400);
      expect((await revoke('token=abc')).status).toBe(200);
      const token = await accessToken(app.url, merchant);
      const wrongClient = await revoke(
        new URLSearchParams({ token, client_id: merchant.oauth.client_id, client_secret: 'nope' }).toString(),
      );
      expect(wrongClient.status).toBe(401);
      expect(wrongClient.json).toMatchObject({ error: 'invalid_client' });
      // Another merchant's client cannot revoke this merchant's token.
      const other = await newMerchant(app, 'Other');
      const foreign = await revoke(
        new URLSearchParams({
          token,
          client_id: other.oauth.client_id,
          client_secret: other.oauth.client_secret,
        }).toString(),
      );
      expect(foreign.status).toBe(200);
      expect(
        (await request(app.url, 'POST', '/api/hosted-payment-page', { key: token, body: HPP_BODY })).status,
      ).toBe(200);
      const json = await request(app.url, 'POST', '/api/oauth2/revoke', { body: { token } });
      expect(json.status).toBe(400);
      // Without client credentials, holding the token is the proof.
      expect((await revoke(new URLSearchParams({ token }).toString())).status).toBe(200);
      expect(
        (await request(app.url, 'POST', '/api/hosted-payment-page', { key: token, body: HPP_BODY })).status,
      ).toBe(401);
    });

    it('rotating the api-dialect credentials revokes the tokens issued to them; the new ones work', async () => {
      const token = await accessToken(app.url, merchant);
      const rotated = await admin('POST', `/merchants/${merchant.merchant_id}/api_credentials/rotate`);
      expect(rotated.status).toBe(201);
      expect(rotated.json).toEqual({
        api_key: expect.stringMatching(/^api_key_/),
        oauth: {
          client_id: expect.any(String),
          client_secret: expect.any(String),
          username: expect.any(String),
          password: expect.any(String),
        },
      });
      expect(
        (await request(app.url, 'POST', '/api/hosted-payment-page', { key: token, body: HPP_BODY })).status,
      ).toBe(401);
      const oldLogin = await request(app.url, 'POST', '/api/oauth2/login/token', {
        body: { username: merchant.oauth.username, password: merchant.oauth.password },
      });
      expect(oldLogin.status).toBe(401);
      const fresh = await accessToken(app.url, { ...merchant, ...rotated.json });
      expect(
        (await request(app.url, 'POST', '/api/hosted-payment-page', { key: fresh, body: HPP_BODY })).status,
      ).toBe(200);
      const session = await request(app.url, 'POST', '/api/sessions', {
        key: fresh,
        headers: { 'x-api-key': merchant.api_key },
        body: {},
      });
      expect(session.status).toBe(401);
    });

    it('a revocation written straight to the database, with no announcement, takes effect within a second (each instance polls)', async () => {
      const keyId = await keyIdOf(merchant, 'secret');
      expect((await v1(merchant.test_secret_key)).status).toBe(200); // now cached
      const { client, feed } = await liveFeed(merchant, merchant.test_secret_key);
      await app.till.db.em
        .fork()
        .execute('update api_key set revoked_at = now(), changed_at = now() where id = ?', [keyId]);
      const start = performance.now();
      const refusedAt = await eventually(
        async () => (await v1(merchant.test_secret_key)).status === 401,
        3000,
      );
      expect(refusedAt - start).toBeLessThan(1500);
      await feed.until((c) => closeCode(c) !== undefined, 1500);
      expect(closeCode(feed)).toBe(4403);
      client.dispose();
    });

    it('the audit log records key, webhook and operator actions with actor, object and request id', async () => {
      const keyId = await keyIdOf(merchant, 'secret');
      await admin(
        'POST',
        `/merchants/${merchant.merchant_id}/api_keys/${keyId}/roll`,
        { expires_in_seconds: 60 },
        {
          'x-request-id': 'audit-roll-1',
        },
      );
      const newKey = (await admin('GET', `/merchants/${merchant.merchant_id}/api_keys`)).json.data.find(
        (k: any) => k.type === 'secret' && !k.livemode && k.status === 'active',
      );
      const fresh = await gql(
        app.url,
        CreateApiKeyDocument,
        { type: 'SECRET' },
        { key: merchant.test_secret_key, headers: { 'x-request-id': 'audit-create-1' } },
      );
      const endpoint = await request(app.url, 'POST', '/v1/webhook_endpoints', {
        key: fresh.data!.createApiKey.secret!,
        body: { url: 'https://hooks.example.com/till' },
        headers: { 'x-request-id': 'audit-webhook-1' },
      });
      expect(endpoint.status).toBe(200);

      const log = await admin('GET', `/merchants/${merchant.merchant_id}/audit_log?limit=10`);
      expect(log.status).toBe(200);
      const byAction = (action: string) => log.json.data.find((e: any) => e.action === action);
      expect(byAction('webhook_endpoint.created')).toMatchObject({
        object: 'audit_entry',
        actor: { type: 'api_key', id: fresh.data!.createApiKey.apiKey!.id },
        object_type: 'webhook_endpoint',
        object_id: endpoint.json.id,
        request_id: 'audit-webhook-1',
        livemode: false,
      });
      expect(byAction('api_key.created')).toMatchObject({
        actor: { type: 'api_key', id: keyId },
        object_id: fresh.data!.createApiKey.apiKey!.id,
        request_id: 'audit-create-1',
      });
      expect(byAction('api_key.rolled')).toMatchObject({
        actor: { type: 'admin', id: null },
        object_id: keyId,
        request_id: 'audit-roll-1',
        details: { replaced_by: newKey.id, expires_in_seconds: 60 },
      });
      expect(byAction('merchant.created')).toMatchObject({ actor: { type: 'admin' }, livemode: null });
      expect(JSON.stringify(log.json)).not.toContain(merchant.test_secret_key);

      // GraphQL shows the same entries to the merchant, in its mode.
      const graph = await gql(
        app.url,
        AuditLogDocument,
        { first: 2 },
        { key: fresh.data!.createApiKey.secret! },
      );
      expect(graph.data!.auditLog.nodes.map((n) => n.action)).toEqual([
        'webhook_endpoint.created',
        'api_key.created',
      ]);
      expect(graph.data!.auditLog.pageInfo.hasNextPage).toBe(true);
      const next = await gql(
        app.url,
        AuditLogDocument,
        { first: 10, after: graph.data!.auditLog.pageInfo.endCursor },
        { key: fresh.data!.createApiKey.secret! },
      );
      expect(next.data!.auditLog.nodes.map((n) => n.action)).toEqual(['api_key.rolled', 'merchant.created']);
      // A live key sees none of the test-mode entries, only those concerning both modes.
      const live = await gql(app.url, AuditLogDocument, { first: 10 }, { key: merchant.live_secret_key });
      expect(live.data!.auditLog.nodes.map((n) => n.action)).toEqual(['merchant.created']);
      // Another merchant sees nothing of this one's.
      const other = await newMerchant(app, 'Other');
      const theirs = await gql(app.url, AuditLogDocument, { first: 10 }, { key: other.test_secret_key });
      expect(theirs.data!.auditLog.nodes.map((n) => n.objectId)).toEqual([other.merchant_id]);
    });

    it('the audit log names who captured, voided and refunded', async () => {
      const captured = await paidPayment(app, merchant, { transactionType: 'AUTHORIZE', amount: 4000 });
      const voided = await paidPayment(app, merchant, { transactionType: 'AUTHORIZE', amount: 1000 });
      const key = merchant.test_secret_key;
      const keyId = await keyIdOf(merchant, 'secret');
      expect(
        (await request(app.url, 'POST', `/v1/payments/${captured}/capture`, { key, body: { amount: 3000 } }))
          .status,
      ).toBe(200);
      expect((await request(app.url, 'POST', `/v1/payments/${voided}/cancel`, { key })).status).toBe(200);
      const token = await accessToken(app.url, merchant);
      const refund = await request(app.url, 'POST', `/v1/payments/${captured}/refunds`, {
        key,
        body: { amount: 500 },
      });
      expect(refund.status).toBe(200);
      const viaToken = await request(
        app.url,
        'POST',
        `/api/sessions/${(await request(app.url, 'GET', `/v1/payments/${captured}`, { key })).json.session_id}/refunds`,
        {
          key: token,
          headers: { 'x-api-key': merchant.api_key },
          body: { amount: 100 },
        },
      );
      expect(viaToken.status).toBe(200);

      const log = await gql(app.url, AuditLogDocument, { first: 10 }, { key });
      const entries = log.data!.auditLog.nodes;
      const cid = (decodeJwt(token) as { cid: string }).cid;
      expect(entries.map((e) => [e.action, e.objectType, e.actorType, e.actorId])).toEqual(
        expect.arrayContaining([
          ['payment.captured', 'payment', 'api_key', keyId],
          ['payment.voided', 'payment', 'api_key', keyId],
          ['refund.created', 'refund', 'api_key', keyId],
          ['refund.created', 'refund', 'access_token', cid],
        ]),
      );
      expect(entries.find((e) => e.action === 'payment.captured')).toMatchObject({
        objectId: captured,
        details: { amount: 3000 },
      });
      expect(entries.find((e) => e.action === 'payment.voided')!.objectId).toBe(voided);
    });

    it('every listed action leaves an audit entry naming its actor', async () => {
      const key = merchant.test_secret_key;
      const keyId = await keyIdOf(merchant, 'secret');
      const endpoint = await request(app.url, 'POST', '/v1/webhook_endpoints', {
        key,
        body: { url: 'https://hooks.example.com/a' },
      });
      const we = endpoint.json.id as string;
      await request(app.url, 'POST', `/v1/webhook_endpoints/${we}`, { key, body: { description: 'Orders' } });
      await request(app.url, 'POST', `/v1/webhook_endpoints/${we}/rotate_secret`, { key, body: {} });
      await request(app.url, 'DELETE', `/v1/webhook_endpoints/${we}`, { key });
      const token = await accessToken(app.url, merchant);
      await request(app.url, 'POST', '/api/oauth2/revoke', {
        rawBody: new URLSearchParams({ token }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      await admin('POST', `/merchants/${merchant.merchant_id}/api_credentials/rotate`);
      const liveId = await keyIdOf(merchant, 'secret', true);
      await admin('POST', `/merchants/${merchant.merchant_id}/api_keys/${liveId}/revoke`);
      const rotated = await admin('POST', '/signing-keys/rotate', undefined, {
        'x-request-id': 'audit-kid-1',
      });

      const log = await admin('GET', `/merchants/${merchant.merchant_id}/audit_log?limit=20`);
      const entries = (log.json.data as any[]).map((e) => [e.action, e.actor.type, e.actor.id, e.object_id]);
      const claims = decodeJwt(token) as { cid: string; jti: string };
      expect(entries).toEqual([
        ['api_key.revoked', 'admin', null, liveId],
        ['oauth_credentials.rotated', 'admin', null, merchant.merchant_id],
        ['access_token.revoked', 'access_token', claims.cid, claims.jti],
        ['webhook_endpoint.deleted', 'api_key', keyId, we],
        ['webhook_endpoint.secret_rotated', 'api_key', keyId, we],
        ['webhook_endpoint.updated', 'api_key', keyId, we],
        ['webhook_endpoint.created', 'api_key', keyId, we],
        ['merchant.created', 'admin', null, merchant.merchant_id],
      ]);
      expect(JSON.stringify(log.json)).not.toContain('whsec_');
      // Operator actions that concern no merchant are in the operator's log.
      const all = await admin('GET', '/audit_log?limit=5');
      expect(all.json.data).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            action: 'signing_key.rotated',
            merchant_id: null,
            object_id: rotated.json.kid,
            request_id: 'audit-kid-1',
          }),
        ]),
      );
      expect((await admin('GET', '/audit_log?limit=0')).status).toBe(400);
      expect((await admin('GET', '/audit_log?starting_after=aud_nope')).status).toBe(400);
    });
  },
);
