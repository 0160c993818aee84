import { backends } from '../support/backends.js';
import { DashboardBrowser, newUser } from '../support/dashboard.js';
import { closeCode, Collector, wsClient } from '../support/graphql.js';
import { eventually, request, SEED_004_SAMPLE } from '../support/http.js';
import { describeServer } from '../support/services.js';
import { newMerchant, startTill, type RunningTill } from '../support/till.js';
import type { MerchantCredentials } from '../../src/services/merchants.js';
import { PaymentStatusChangedDocument } from '../__generated__/graphql.js';

describe.each(backends)('dashboard graphql-ws with the session cookie (%s)', (backend) => {
  let app: RunningTill;
  let merchant: MerchantCredentials;
  let origin: string;

  beforeAll(async () => {
    app = await startTill({ backend });
    origin = new URL(app.till.config.publicUrl).origin;
  });
  afterAll(() => app.close());

  // Each test its own merchant: feeds of one merchant share a pub/sub subscription, and the tests
  // wait for theirs to be listening by counting them.
  beforeEach(async () => {
    merchant = await newMerchant(app);
  });

  async function signedIn(role: 'owner' | 'analyst' = 'analyst') {
    const user = await newUser(app, merchant.merchant_id, role);
    const browser = new DashboardBrowser(app.url);
    await browser.signIn(user.email, user.password);
    return { user, browser };
  }

  const createPayment = () =>
    request(app.url, 'POST', '/v1/payments/hpp', { key: merchant.test_secret_key, body: SEED_004_SAMPLE });

  it('from Till’s own origin, the cookie socket receives paymentStatusChanged of its mode', async () => {
    // The page's origin as PUBLIC_URL names it, and as the browser reached the host.
    for (const pageOrigin of [origin, app.url]) {
      merchant = await newMerchant(app);
      const { browser } = await signedIn();
      const before = app.liveSubscriptions();
      const client = browser.socket(pageOrigin, 'test');
      const feed = new Collector(client, PaymentStatusChangedDocument, {});
      await eventually(() => app.liveSubscriptions() > before || feed.errors.length > 0);
      expect(feed.errors).toEqual([]);
      const created = await createPayment();
      await feed.until((c) => c.items.some((i) => i.paymentStatusChanged.id === created.json.id));
      feed.dispose();
      await client.dispose();
    }
  });

  it('another site’s page cannot open a socket with the cookie (4403), nor can one without a mode', async () => {
    const { browser } = await signedIn();
    for (const [pageOrigin, mode] of [
      ['https://evil.example', 'test'],
      [null, 'test'],
      ['null', 'test'],
      [origin, undefined],
      [origin, 'staging'],
    ] as const) {
      const client = browser.socket(pageOrigin, mode);
      const feed = new Collector(client, PaymentStatusChangedDocument, {});
      await feed.until((c) => c.errors.length > 0 || c.completed);
      expect(closeCode(feed)).toBe(4403);
      await client.dispose();
    }
  });

  it('sign-out everywhere closes an open subscription within a second', async () => {
    const { browser } = await signedIn();
    const before = app.liveSubscriptions();
    const client = browser.socket(origin, 'test');
    const feed = new Collector(client, PaymentStatusChangedDocument, {});
    await eventually(() => app.liveSubscriptions() > before);
    const other = new DashboardBrowser(app.url);
    other.cookie = browser.cookie;
    const started = Date.now();
    expect((await other.gql('mutation { signOut(everywhere: true) }')).data.signOut).toBe(true);
    await feed.until((c) => closeCode(c) === 4403, 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    // The server ended the subscription with the socket.
    await eventually(() => app.liveSubscriptions() === before);
    await client.dispose();
  });

  it('signIn over a socket is refused: a session is an HTTP cookie', async () => {
    const { user, browser } = await signedIn();
    const client = browser.socket(origin, 'test');
    const result = await new Promise<any>((resolve, reject) => {
      let last: unknown = null;
      client.subscribe(
        {
          query: 'mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { viewer { role } } }',
          variables: { e: user.email, p: user.password },
        },
        { next: (value) => (last = value), error: reject, complete: () => resolve(last) },
      );
    });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    await client.dispose();
  });

  it('a Bearer key in connectionParams still works without a cookie or Origin', async () => {
    const keyed = wsClient(app.url, merchant.test_secret_key);
    const before = app.liveSubscriptions();
    const feed = new Collector(keyed, PaymentStatusChangedDocument, {});
    await eventually(() => app.liveSubscriptions() > before);
    const created = await createPayment();
    await feed.until((c) => c.items.some((i) => i.paymentStatusChanged.id === created.json.id));
    feed.dispose();
    await keyed.dispose();
  });
});

describeServer('dashboard sessions across two instances (PostgreSQL + Redis)', () => {
  it('sign-out everywhere on one instance cuts the other’s cookie and open socket within a second', async () => {
    const a = await startTill({ backend: 'server' });
    const b = await startTill({ backend: 'server', databaseUrl: a.databaseUrl });
    try {
      const merchant = await newMerchant(a);
      const user = await newUser(a, merchant.merchant_id, 'analyst');
      const onA = new DashboardBrowser(a.url);
      await onA.signIn(user.email, user.password);
      const onB = new DashboardBrowser(b.url);
      onB.cookie = onA.cookie;
      expect((await onB.gql('{ viewer { role } }')).data.viewer.role).toBe('ANALYST');
      const before = b.liveSubscriptions();
      const client = onB.socket(new URL(b.till.config.publicUrl).origin, 'test');
      const feed = new Collector(client, PaymentStatusChangedDocument, {});
      await eventually(() => b.liveSubscriptions() > before);
      const started = Date.now();
      await onA.gql('mutation { signOut(everywhere: true) }');
      await feed.until((c) => closeCode(c) === 4403, 1000);
      expect(Date.now() - started).toBeLessThan(1000);
      expect((await onB.gql('{ viewer { role } }')).data.viewer).toBeNull();
      await client.dispose();
    } finally {
      await b.close();
      await a.close();
    }
  });
});
