import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { backends } from '../support/backends.js';
import { eventually, request } from '../support/http.js';
import { startMain, type Proc } from '../support/processes.js';
import { createTestDatabase, serverUrls } from '../support/services.js';
import { freePort, TEST_ENCRYPTION_KEY, type Backend } from '../support/till.js';

/** One span as an OTLP/JSON export carries it, with its attributes decoded. */
interface ExportedSpan {
  service: string;
  scope: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string; attributes: Record<string, unknown> }[];
  /** The whole span as exported (events and status included), to search for what must not be there. */
  json: string;
}

const SPAN_KIND_SERVER = 2;

const decode = (value: any): unknown =>
  value.arrayValue
    ? (value.arrayValue.values ?? []).map(decode)
    : value.intValue !== undefined
      ? Number(value.intValue)
      : (value.stringValue ?? value.boolValue ?? value.doubleValue);
const attributesOf = (list: any[] = []) => Object.fromEntries(list.map((a) => [a.key, decode(a.value)]));

/** An OpenTelemetry collector as far as Till can tell: it takes OTLP/HTTP (JSON) exports and keeps the spans. */
async function otlpCollector(): Promise<{
  url: string;
  spans: ExportedSpan[];
  close(): Promise<void>;
}> {
  const spans: ExportedSpan[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        for (const resourceSpans of JSON.parse(body).resourceSpans ?? []) {
          const service = attributesOf(resourceSpans.resource?.attributes)['service.name'] as string;
          for (const scopeSpans of resourceSpans.scopeSpans ?? [])
            for (const span of scopeSpans.spans ?? [])
              spans.push({
                service,
                scope: scopeSpans.scope?.name,
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId ?? '',
                name: span.name,
                kind: span.kind,
                attributes: attributesOf(span.attributes),
                links: (span.links ?? []).map((link: any) => ({
                  traceId: link.traceId,
                  spanId: link.spanId,
                  attributes: attributesOf(link.attributes),
                })),
                json: JSON.stringify(span),
              });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const ADMIN_TOKEN = 'test-admin-token-0123456789';

describe('tracing configuration', () => {
  it('is off without an OTLP endpoint, on with one, and off again when the standard switches say so', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(loadConfig({}).tracing).toBe(false);
    expect(loadConfig(endpoint).tracing).toBe(true);
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }).tracing,
    ).toBe(true);
    expect(loadConfig({ ...endpoint, OTEL_SDK_DISABLED: 'true' }).tracing).toBe(false);
    expect(loadConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).tracing).toBe(false);
  });

  it('refuses an endpoint that is not an http(s) URL', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(ConfigError);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://collector' })).toThrow(
      'OTEL_EXPORTER_OTLP_ENDPOINT must be a http:// or https:// URL',
    );
  });
});

describe.each(backends)('OpenTelemetry tracing (%s)', (backend: Backend) => {
  let collector: Awaited<ReturnType<typeof otlpCollector>>;
  let till: Proc;
  let base: string;
  let key: string;
  let dataDir: string;
  let dropDatabase: (() => Promise<void>) | null = null;

  beforeAll(async () => {
    collector = await otlpCollector();
    dataDir = mkdtempSync(path.join(tmpdir(), 'till-tracing-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    let server: Record<string, string> = {};
    if (backend === 'server') {
      const db = await createTestDatabase();
      dropDatabase = db.drop;
      server = {
        DATABASE_URL: db.url,
        REDIS_URL: serverUrls.redis!,
        TILL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      };
    }
    // `npm start` exactly (dist/main.js), with only the standard OTLP variables added.
    till = startMain({
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      ADMIN_TOKEN,
      ...server,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    await eventually(async () => {
      if (till.child.exitCode !== null) throw new Error(`Till exited:\n${till.stderr()}`);
      return (await fetch(`${base}/healthz`).catch(() => null))?.status === 200;
    }, 60_000);
    const merchant = await request(base, 'POST', '/admin/v1/merchants', {
      key: ADMIN_TOKEN,
      body: { name: 'Traced' },
    });
    expect(merchant.status).toBe(201);
    key = merchant.json.test_secret_key;
  }, 90_000);

  afterAll(async () => {
    if (till?.child.exitCode === null) till.child.kill('SIGKILL');
    await collector?.close();
    await dropDatabase?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * Creates a payment over GraphQL in a trace the test chooses (Till continues the caller's
   * `traceparent`); resolves once the request's spans and the relay's span for its event are exported.
   */
  async function createTracedPayment(reference: string) {
    const traceId = randomBytes(16).toString('hex');
    const created = await request(base, 'POST', '/graphql', {
      key,
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      body: {
        query: `mutation {
          createHostedPayment(input: { amount: 2500, currency: "EUR", merchantReference: "${reference}",
            returnUrl: "https://shop.example.com/checkout/complete", idempotencyKey: "${reference}" }) {
            payment { id status }
            userErrors { message }
          }
        }`,
      },
    });
    expect(created.json.data.createHostedPayment.userErrors).toEqual([]);
    const paymentId: string = created.json.data.createHostedPayment.payment.id;
    const events = await request(base, 'GET', '/v1/events?limit=10&type=payment.created', { key });
    const eventId: string = events.json.data.find((e: any) => e.data.object.id === paymentId).id;
    const relaySpan = () =>
      collector.spans.find(
        (s) => s.name === 'outbox publish' && (s.attributes['till.event.ids'] as string[]).includes(eventId),
      );
    await eventually(
      () =>
        relaySpan() !== undefined &&
        collector.spans.some((s) => s.traceId === traceId && s.kind === SPAN_KIND_SERVER),
      20_000,
    );
    return { traceId, eventId, relay: relaySpan()! };
  }

  it('follows a createHostedPayment from the HTTP request through GraphQL to SQL, and links the relay that publishes its event', async () => {
    const { traceId, eventId, relay } = await createTracedPayment('ord_traced_1');

    const trace = collector.spans.filter((s) => s.traceId === traceId);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const ancestry = (span: ExportedSpan): ExportedSpan[] => {
      const chain = [span];
      for (let parent = byId.get(span.parentSpanId); parent; parent = byId.get(parent.parentSpanId))
        chain.push(parent);
      return chain;
    };

    const server = trace.find((s) => s.kind === SPAN_KIND_SERVER)!;
    expect(server).toMatchObject({
      service: 'till',
      scope: '@opentelemetry/instrumentation-http',
      attributes: expect.objectContaining({ 'http.route': '/graphql', 'http.response.status_code': 200 }),
    });
    const resolve = trace.find((s) => s.name === 'graphql.resolve createHostedPayment');
    expect(resolve).toBeDefined();
    expect(ancestry(resolve!)).toContain(server);

    if (backend === 'server') {
      // The statement that inserts the payment (with its event and key), under the resolver, under
      // the HTTP request.
      const insert = trace.find(
        (s) =>
          s.scope === '@opentelemetry/instrumentation-pg' &&
          /\binsert into payment\b/.test(String(s.attributes['db.query.text'])),
      );
      expect(insert).toBeDefined();
      expect(ancestry(insert!)).toEqual(expect.arrayContaining([resolve, server]));
    }
    // PGlite runs inside the process, with no driver to instrument: the embedded backend has no SQL spans.
    else expect(collector.spans.some((s) => s.scope === '@opentelemetry/instrumentation-pg')).toBe(false);

    // The relay's batch is a trace of its own, linked to the request that committed the event.
    expect(relay.attributes['till.event.types']).toContain('payment.created');
    expect(relay.links).toContainEqual({
      traceId,
      spanId: resolve!.spanId,
      attributes: { 'till.event.id': eventId },
    });
  });

  it('keeps secrets and customer data out of spans, and leaves health probes untraced', async () => {
    await createTracedPayment('ord_private_2');
    const token = `hpptoken${randomBytes(12).toString('hex')}`;
    await request(base, 'GET', `/hpp/payment/${token}/sess_traced`);
    await eventually(
      () => collector.spans.some((s) => String(s.attributes['url.path']).endsWith('/sess_traced')),
      20_000,
    );
    expect(
      collector.spans.find(
        (s) => s.kind === SPAN_KIND_SERVER && /sess_traced$/.test(String(s.attributes['url.path'])),
      )?.attributes['url.path'],
    ).toBe('/hpp/payment/[redacted]/sess_traced');

    const mentioning = (text: string) =>
      collector.spans.filter((s) => s.json.includes(text)).map((s) => s.name);
    expect(mentioning(token)).toEqual([]);
    expect(mentioning(key)).toEqual([]);
    // Statements are exported with their literals replaced, GraphQL documents with their values hidden.
    expect(mentioning('ord_private_2')).toEqual([]);
    expect(mentioning('shop.example.com')).toEqual([]);
    expect(collector.spans.some((s) => s.attributes['url.path'] === '/healthz')).toBe(false);
  });

  it('shuts tracing down with the drain: SIGTERM still exits 0', async () => {
    till.child.kill('SIGTERM');
    expect(await till.exited).toBe(0);
  });
});
