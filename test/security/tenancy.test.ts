import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import {
  CancelPaymentDocument,
  CapturePaymentDocument,
  DeleteWebhookEndpointDocument,
  PaymentDocument,
  PaymentStatusChangedDocument,
  RefundPaymentDocument,
  RevokeApiKeyDocument,
  RollApiKeyDocument,
  RotateWebhookEndpointSecretDocument,
  UpdateWebhookEndpointDocument,
} from '../__generated__/graphql.js';
import { accessToken } from '../support/api-dialect.js';
import { backends } from '../support/backends.js';
import { paidPayment } from '../support/checkout.js';
import { Collector, gql, type GraphQLReply, wsClient } from '../support/graphql.js';
import { eventually, request, SEED_004_SAMPLE } from '../support/http.js';
import { Receiver } from '../support/receiver.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import { newId, randomBase62 } from '../../src/domain/ids.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';

/**
 * Every object belongs to one merchant in one mode, and no credential of another merchant, or of
 * the same merchant's other mode, reaches it: on every surface, each operation on such an object
 * answers exactly as it would for an id that does not exist (so the answer does not even reveal
 * that it exists) and changes nothing. One row of OPERATIONS per operation; each runs against both
 * intruders on every backend.
 */

const ADMIN = 'test-admin-token-0123456789';

/** The victim's objects (all test mode) an operation aims at. */
interface Targets {
  /** A PENDING payment created through v1 (its checkout secret is its id). */
  pending: string;
  pendingSession: string;
  /** An AUTHORIZED payment. */
  authorized: string;
  authorizedSession: string;
  /** A SUCCEEDED payment with one partial refund. */
  succeeded: string;
  succeededSession: string;
  /** A webhook endpoint with one succeeded delivery. */
  endpoint: string;
  delivery: string;
  event: string;
  /** Ids (not secrets) of the victim's test secret key and publishable key. */
  testSecretKey: string;
  publishableKey: string;
}

/** Ids of the same shapes that name nothing: what "not found" looks like on each surface. */
const nothing = (): Targets => ({
  pending: newId.payment(),
  pendingSession: newId.sessionId(),
  authorized: newId.payment(),
  authorizedSession: newId.sessionId(),
  succeeded: newId.payment(),
  succeededSession: newId.sessionId(),
  endpoint: `we_${randomBase62(24)}`,
  delivery: `wd_${randomBytes(12).toString('hex')}`,
  event: newId.event(),
  testSecretKey: newId.apiKey(),
  publishableKey: newId.apiKey(),
});

/** Every credential a caller holds. */
interface Caller {
  secretKey: string;
  /** An OIDC access token (the api dialect). */
  accessToken: string;
  /** The api dialect's `x-api-key`. */
  apiKey: string;
  /** A publishable key that could open a test payment's checkout; null when the caller has none. */
  clientKey: string | null;
  /** A webhook endpoint of the caller's own. */
  ownEndpoint: string;
}

type Intruder = 'another merchant' | 'the same merchant in live mode';
const INTRUDERS: Intruder[] = ['another merchant', 'the same merchant in live mode'];

type Surface = 'REST v1' | 'api dialect' | 'GraphQL' | 'graphql-ws' | 'checkout API';

/** What a surface answered: the HTTP status (null over graphql-ws) and the parsed body. */
interface Outcome {
  status: number | null;
  body: unknown;
}

interface Operation {
  surface: Surface;
  name: string;
  call(url: string, as: Caller, target: Targets): Promise<Outcome>;
  /** Only these intruders hold a credential the operation takes (default: both). */
  intruders?: Intruder[];
  /** It deletes its target or cuts off a key: the owner's own try gets a fresh one. */
  ends?: 'endpoint' | 'testSecretKey' | 'publishableKey';
}

const http = async (
  url: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Outcome> => {
  const reply = await request(url, method, path, options);
  return { status: reply.status, body: reply.json ?? reply.text };
};

const graphql = async (reply: Promise<GraphQLReply<unknown>>): Promise<Outcome> => {
  const { status, ...body } = await reply;
  return { status, body };
};

/** Subscribes to one payment over graphql-ws until the first answer (data, an error or the end). */
async function follow(url: string, key: string, paymentId: string): Promise<Outcome> {
  const client = wsClient(url, key);
  const feed = new Collector(client, PaymentStatusChangedDocument, { paymentId });
  try {
    await feed.until((c) => c.items.length > 0 || c.errors.length > 0 || c.completed);
  } finally {
    feed.dispose();
    await client.dispose();
  }
  return { status: null, body: { items: feed.items, errors: feed.errors } };
}

/** The checkout API as the hosted page calls it: a publishable key and the URL's secret. */
const checkout = (url: string, as: Caller, target: Targets, method: string, action = '', body?: unknown) =>
  http(url, method, `/hpp/api/sessions/${target.pendingSession}${action}`, {
    headers: { 'x-client-key': as.clientKey!, 'x-session-secret': target.pending },
    body,
  });

const ATTACKER_URL = 'https://attacker.example.com/hook';

const OPERATIONS: Operation[] = [
  // REST v1, with a secret key.
  {
    surface: 'REST v1',
    name: 'read a payment',
    call: (url, as, t) => http(url, 'GET', `/v1/payments/${t.pending}`, { key: as.secretKey }),
  },
  {
    surface: 'REST v1',
    name: 'cancel a payment',
    call: (url, as, t) => http(url, 'POST', `/v1/payments/${t.pending}/cancel`, { key: as.secretKey }),
  },
  {
    surface: 'REST v1',
    name: 'void an authorization',
    call: (url, as, t) => http(url, 'POST', `/v1/payments/${t.authorized}/cancel`, { key: as.secretKey }),
  },
  {
    surface: 'REST v1',
    name: 'capture a payment',
    call: (url, as, t) =>
      http(url, 'POST', `/v1/payments/${t.authorized}/capture`, { key: as.secretKey, body: { amount: 100 } }),
  },
  {
    surface: 'REST v1',
    name: 'refund a payment',
    call: (url, as, t) =>
      http(url, 'POST', `/v1/payments/${t.succeeded}/refunds`, { key: as.secretKey, body: { amount: 100 } }),
  },
  {
    surface: 'REST v1',
    name: "list a payment's refunds",
    call: (url, as, t) => http(url, 'GET', `/v1/payments/${t.succeeded}/refunds`, { key: as.secretKey }),
  },
  {
    surface: 'REST v1',
    name: 'read a webhook endpoint',
    call: (url, as, t) => http(url, 'GET', `/v1/webhook_endpoints/${t.endpoint}`, { key: as.secretKey }),
  },
  {
    surface: 'REST v1',
    name: 'update a webhook endpoint',
    call: (url, as, t) =>
      http(url, 'POST', `/v1/webhook_endpoints/${t.endpoint}`, {
        key: as.secretKey,
        body: { url: ATTACKER_URL, disabled: true },
      }),
  },
  {
    surface: 'REST v1',
    name: 'delete a webhook endpoint',
    ends: 'endpoint',
    call: (url, as, t) => http(url, 'DELETE', `/v1/webhook_endpoints/${t.endpoint}`, { key: as.secretKey }),
  },
  {
    surface: 'REST v1',
    name: "rotate a webhook endpoint's secret",
    call: (url, as, t) =>
      http(url, 'POST', `/v1/webhook_endpoints/${t.endpoint}/rotate_secret`, {
        key: as.secretKey,
        body: { grace_period_seconds: 0 },
      }),
  },
  {
    surface: 'REST v1',
    name: "list a webhook endpoint's deliveries",
    call: (url, as, t) =>
      http(url, 'GET', `/v1/webhook_endpoints/${t.endpoint}/deliveries`, { key: as.secretKey }),
  },
  {
    surface: 'REST v1',
    name: 'redeliver a delivery',
    call: (url, as, t) =>
      http(url, 'POST', `/v1/webhook_endpoints/${t.endpoint}/deliveries/${t.delivery}/redeliver`, {
        key: as.secretKey,
      }),
  },
  {
    surface: 'REST v1',
    name: "redeliver a delivery through the caller's own endpoint",
    call: (url, as, t) =>
      http(url, 'POST', `/v1/webhook_endpoints/${as.ownEndpoint}/deliveries/${t.delivery}/redeliver`, {
        key: as.secretKey,
      }),
  },
  {
    surface: 'REST v1',
    name: 'read an event',
    call: (url, as, t) => http(url, 'GET', `/v1/events/${t.event}`, { key: as.secretKey }),
  },

  // The api dialect, with an access token (and the x-api-key where a route reads it).
  {
    surface: 'api dialect',
    name: 'read a session',
    call: (url, as, t) =>
      http(url, 'GET', `/api/sessions/${t.pendingSession}`, {
        key: as.accessToken,
        headers: { 'x-api-key': as.apiKey },
      }),
  },
  {
    surface: 'api dialect',
    name: 'capture a session',
    call: (url, as, t) =>
      http(url, 'POST', `/api/sessions/${t.authorizedSession}/capture`, {
        key: as.accessToken,
        body: { amount: 100 },
      }),
  },
  {
    surface: 'api dialect',
    name: 'void a session',
    call: (url, as, t) =>
      http(url, 'POST', `/api/sessions/${t.authorizedSession}/void`, { key: as.accessToken }),
  },
  {
    surface: 'api dialect',
    name: 'refund a session',
    call: (url, as, t) =>
      http(url, 'POST', `/api/sessions/${t.succeededSession}/refunds`, {
        key: as.accessToken,
        body: { amount: 100 },
      }),
  },

  // GraphQL over HTTP, with a secret key.
  {
    surface: 'GraphQL',
    name: 'payment',
    call: (url, as, t) => graphql(gql(url, PaymentDocument, { id: t.pending }, { key: as.secretKey })),
  },
  {
    surface: 'GraphQL',
    name: 'cancelPayment',
    call: (url, as, t) => graphql(gql(url, CancelPaymentDocument, { id: t.pending }, { key: as.secretKey })),
  },
  {
    surface: 'GraphQL',
    name: 'cancelPayment of an authorization (void)',
    call: (url, as, t) =>
      graphql(gql(url, CancelPaymentDocument, { id: t.authorized }, { key: as.secretKey })),
  },
  {
    surface: 'GraphQL',
    name: 'capturePayment',
    call: (url, as, t) =>
      graphql(gql(url, CapturePaymentDocument, { id: t.authorized, amount: 100 }, { key: as.secretKey })),
  },
  {
    surface: 'GraphQL',
    name: 'refundPayment',
    call: (url, as, t) =>
      graphql(
        gql(url, RefundPaymentDocument, { paymentId: t.succeeded, amount: 100 }, { key: as.secretKey }),
      ),
  },
  {
    surface: 'GraphQL',
    name: 'updateWebhookEndpoint',
    call: (url, as, t) =>
      graphql(
        gql(
          url,
          UpdateWebhookEndpointDocument,
          { id: t.endpoint, input: { url: ATTACKER_URL, disabled: true } },
          { key: as.secretKey },
        ),
      ),
  },
  {
    surface: 'GraphQL',
    name: 'rotateWebhookEndpointSecret',
    call: (url, as, t) =>
      graphql(
        gql(
          url,
          RotateWebhookEndpointSecretDocument,
          { id: t.endpoint, gracePeriodSeconds: 0 },
          { key: as.secretKey },
        ),
      ),
  },
  {
    surface: 'GraphQL',
    name: 'deleteWebhookEndpoint',
    ends: 'endpoint',
    call: (url, as, t) =>
      graphql(gql(url, DeleteWebhookEndpointDocument, { id: t.endpoint }, { key: as.secretKey })),
  },
  {
    surface: 'GraphQL',
    name: 'rollApiKey of a secret key',
    ends: 'testSecretKey',
    call: (url, as, t) =>
      graphql(gql(url, RollApiKeyDocument, { id: t.testSecretKey }, { key: as.secretKey })),
  },
  {
    surface: 'GraphQL',
    name: 'revokeApiKey of a secret key',
    ends: 'testSecretKey',
    call: (url, as, t) =>
      graphql(gql(url, RevokeApiKeyDocument, { id: t.testSecretKey }, { key: as.secretKey })),
  },
  {
    surface: 'GraphQL',
    name: 'rollApiKey of a publishable key',
    ends: 'publishableKey',
    call: (url, as, t) =>
      graphql(gql(url, RollApiKeyDocument, { id: t.publishableKey }, { key: as.secretKey })),
  },
  {
    surface: 'GraphQL',
    name: 'revokeApiKey of a publishable key',
    ends: 'publishableKey',
    call: (url, as, t) =>
      graphql(gql(url, RevokeApiKeyDocument, { id: t.publishableKey }, { key: as.secretKey })),
  },

  // A subscription over graphql-ws, with a secret key in connectionParams.
  {
    surface: 'graphql-ws',
    name: 'paymentStatusChanged(paymentId)',
    call: (url, as, t) => follow(url, as.secretKey, t.pending),
  },

  // The hosted page's checkout API: the URL's secret is right, the publishable key is the
  // intruder's. Publishable keys exist in test mode only, so only another merchant has one.
  {
    surface: 'checkout API',
    name: 'read a checkout session',
    intruders: ['another merchant'],
    call: (url, as, t) => checkout(url, as, t, 'GET'),
  },
  {
    surface: 'checkout API',
    name: 'pay a checkout session',
    intruders: ['another merchant'],
    call: (url, as, t) =>
      checkout(url, as, t, 'POST', '/pay', {
        number: '4242424242424242',
        exp_month: 12,
        exp_year: 2034,
        cvc: '123',
        name: 'Mallory',
      }),
  },
  {
    surface: 'checkout API',
    name: 'cancel a checkout session',
    intruders: ['another merchant'],
    call: (url, as, t) => checkout(url, as, t, 'POST', '/cancel'),
  },
];

/** "Not found" in each surface's own words. */
const NOT_FOUND: Record<Surface, (outcome: Outcome) => void> = {
  'REST v1': (o) => {
    expect(o.status).toBe(404);
    expect(o.body).toMatchObject({ error: { type: 'invalid_request_error', code: 'resource_missing' } });
  },
  'api dialect': (o) => {
    expect(o.status).toBe(404);
    expect(o.body).toMatchObject({
      status: 'INVALID',
      errors: [{ message: expect.stringMatching(/^No such/) }],
    });
  },
  GraphQL: (o) => {
    expect(o.status).toBe(404);
    expect(o.body).toMatchObject({ data: null, errors: [{ extensions: { code: 'NOT_FOUND' } }] });
  },
  'graphql-ws': (o) => {
    expect(o.body).toMatchObject({ items: [], errors: [{ extensions: { code: 'NOT_FOUND' } }] });
  },
  'checkout API': (o) => {
    expect(o.status).toBe(404);
    expect(o.body).toMatchObject({ error: 'resource_missing' });
  },
};

/** The outcome with each target's id replaced by its name, and without development-only stacks. */
function named(outcome: Outcome, target: Targets): unknown {
  let text = JSON.stringify(outcome, (key, value: unknown) => (key === 'stacktrace' ? undefined : value));
  for (const [name, id] of Object.entries(target)) text = text.replaceAll(id, `<${name}>`);
  return JSON.parse(text);
}

const CASES = OPERATIONS.flatMap((operation) =>
  (operation.intruders ?? INTRUDERS).map((intruder) => ({
    surface: operation.surface,
    name: operation.name,
    intruder,
    operation,
  })),
);

describe.each(backends)(
  "tenancy: no credential reaches another merchant's or mode's objects (%s)",
  (backend) => {
    let app: RunningTill;
    let receiver: Receiver;
    let victim: MerchantCredentials;
    let owner: Caller;
    let target: Targets;
    const intruders = {} as Record<Intruder, Caller>;

    const admin = async (method: string, path: string, body?: unknown) =>
      (await request(app.url, method, `/admin/v1${path}`, { key: ADMIN, body })).json;
    const v1 = async (key: string, method: string, path: string, body?: unknown) => {
      const reply = await request(app.url, method, `/v1${path}`, { key, body });
      if (reply.status !== 200) throw new Error(`${method} ${path}: ${reply.status} ${reply.text}`);
      return reply.json;
    };
    const endpointOf = async (key: string, url: string) =>
      (await v1(key, 'POST', '/webhook_endpoints', { url, enabled_events: ['payment.created'] }))
        .id as string;
    /** The id of the key whose secret is `secret`, told by its type, mode and last four. */
    const keyId = (keys: { id: string; type: string; livemode: boolean; last4: string }[], secret: string) =>
      keys.find(
        (k) =>
          k.type === (secret.includes('_pk_') ? 'publishable' : 'secret') &&
          k.livemode === secret.includes('_live_') &&
          k.last4 === secret.slice(-4),
      )!.id;

    /**
     * Everything an intruder could have changed, read back with the rightful credentials: the
     * victim's payments (status, version, amounts, refunds), its endpoint (settings, stored secrets,
     * deliveries and what its receiver got), its keys, every event either merchant can list in
     * either mode, and the whole audit log.
     */
    async function state() {
      const get = (path: string, key = victim.test_secret_key) => v1(key, 'GET', path);
      const eventIds = async (key: string) =>
        ((await get('/events?limit=100', key)).data as { id: string }[]).map((e) => e.id);
      const [secrets] = await app.till.db.em
        .fork()
        .execute(
          'select secret, previous_secret, previous_secret_expires_at from webhook_endpoint where id = ?',
          [target.endpoint],
        );
      return {
        payments: await Promise.all(
          [target.pending, target.authorized, target.succeeded].map((id) => get(`/payments/${id}`)),
        ),
        refunds: await get(`/payments/${target.succeeded}/refunds`),
        endpoint: await get(`/webhook_endpoints/${target.endpoint}`),
        secrets,
        deliveries: await get(`/webhook_endpoints/${target.endpoint}/deliveries`),
        received: receiver.received.length,
        keys: await admin('GET', `/merchants/${victim.merchant_id}/api_keys`),
        events: {
          victimTest: await eventIds(victim.test_secret_key),
          victimLive: await eventIds(victim.live_secret_key),
          other: await eventIds(intruders['another merchant'].secretKey),
        },
        audit: ((await admin('GET', '/audit_log?limit=100')).data as { id: string }[]).map((e) => e.id),
      };
    }

    beforeAll(async () => {
      app = await startTill({
        backend,
        env: { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', CHECKOUT_ATTEMPTS_PER_CLIENT: '100000' },
      });
      receiver = await new Receiver().start();
      victim = await newMerchant(app, 'Victim');
      const other = await newMerchant(app, 'Intruder');

      // The victim's objects: its endpoint hears every payment.created, so each payment below
      // leaves it one delivery.
      const endpoint = await endpointOf(victim.test_secret_key, receiver.url);
      const pending = await v1(victim.test_secret_key, 'POST', '/payments/hpp', SEED_004_SAMPLE);
      const authorized = await paidPayment(app, victim, { transactionType: 'AUTHORIZE', amount: 4000 });
      const succeeded = await paidPayment(app, victim, { amount: 3000 });
      await v1(victim.test_secret_key, 'POST', `/payments/${succeeded}/refunds`, { amount: 500 });
      const session = async (id: string) =>
        (await v1(victim.test_secret_key, 'GET', `/payments/${id}`)).session_id as string;
      let deliveries: { id: string; status: string }[] = [];
      await eventually(async () => {
        deliveries = (await v1(victim.test_secret_key, 'GET', `/webhook_endpoints/${endpoint}/deliveries`))
          .data;
        return deliveries.length === 3 && deliveries.every((d) => d.status === 'succeeded');
      }, 15_000);
      const keys = (await admin('GET', `/merchants/${victim.merchant_id}/api_keys`)).data;
      target = {
        pending: pending.id,
        pendingSession: pending.session_id,
        authorized,
        authorizedSession: await session(authorized),
        succeeded,
        succeededSession: await session(succeeded),
        endpoint,
        delivery: deliveries[0]!.id,
        event: (await v1(victim.test_secret_key, 'GET', '/events?limit=1')).data[0].id,
        testSecretKey: keyId(keys, victim.test_secret_key),
        publishableKey: keyId(keys, victim.client_key),
      };

      const victimToken = await accessToken(app.url, victim);
      owner = {
        secretKey: victim.test_secret_key,
        accessToken: victimToken,
        apiKey: victim.api_key,
        clientKey: victim.client_key,
        ownEndpoint: endpoint,
      };
      intruders['another merchant'] = {
        secretKey: other.test_secret_key,
        accessToken: await accessToken(app.url, other),
        apiKey: other.api_key,
        clientKey: other.client_key,
        ownEndpoint: await endpointOf(other.test_secret_key, `${receiver.url}/other`),
      };
      // No surface hands out live access tokens yet (the OAuth credentials are sandbox ones), but
      // every lookup is scoped by mode: a live token for the victim's own OAuth credential is the
      // api dialect's other-mode intruder.
      const claims = decodeJwt(victimToken) as { cid: string; client_id: string };
      const live = await app.till.services.tokens.issue(
        victim.merchant_id,
        { id: claims.cid, clientId: claims.client_id },
        { livemode: true },
      );
      intruders['the same merchant in live mode'] = {
        secretKey: victim.live_secret_key,
        accessToken: live.token,
        apiKey: victim.api_key,
        clientKey: null,
        ownEndpoint: await endpointOf(victim.live_secret_key, `${receiver.url}/live`),
      };
    });
    afterAll(async () => {
      await receiver.stop();
      await app.close();
    });

    it.each(CASES)(
      '$surface: $name, as $intruder → not found, and nothing changes',
      async ({ surface, operation, intruder }) => {
        const as = intruders[intruder];
        const before = await state();
        const refused = await operation.call(app.url, as, target);
        expect(await state()).toEqual(before);
        NOT_FOUND[surface](refused);
        // Indistinguishable from an id that names nothing: existence is not revealed either.
        const absent = nothing();
        expect(named(refused, target)).toEqual(named(await operation.call(app.url, as, absent), absent));
      },
    );

    // Last, since it changes the targets: the rows above would pass vacuously if an operation could
    // reach nothing at all (a wrong path, a misspelt argument); the owner reaches every target.
    it('the owner reaches every one of those targets with its own credentials', async () => {
      const fresh = async (ends: Operation['ends']): Promise<Targets> => {
        if (ends === 'endpoint')
          return { ...target, endpoint: await endpointOf(victim.test_secret_key, ATTACKER_URL) };
        const type = ends === 'publishableKey' ? 'publishable' : 'secret';
        const made = await admin('POST', `/merchants/${victim.merchant_id}/api_keys`, {
          type,
          livemode: false,
        });
        return { ...target, [ends!]: made.id };
      };
      for (const operation of OPERATIONS) {
        const outcome = await operation.call(
          app.url,
          owner,
          operation.ends ? await fresh(operation.ends) : target,
        );
        const reached =
          operation.surface === 'graphql-ws'
            ? (outcome.body as { items: unknown[] }).items.length > 0
            : ![401, 403, 404].includes(outcome.status!) &&
              !/NOT_FOUND|resource_missing|No such/.test(JSON.stringify(outcome.body));
        const name = `${operation.surface}: ${operation.name}`;
        expect({ name, reached, outcome }).toMatchObject({ name, reached: true });
      }
    });
  },
);
