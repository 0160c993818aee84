import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Validator } from '@seriousme/openapi-schema-validator';
import { request } from '../support/http.js';
import { startTill, type RunningTill } from '../support/till.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/** Routes that are not REST operations, so not in the document, each with the reason. */
const NOT_API: Record<string, string> = {
  '/graphql': 'GraphQL: described by its own schema (schema/schema.graphql); browsers get GraphiQL there',
  '/graphql/graphiql/:file': "static files of GraphiQL's page",
  '/docs': 'the API reference page itself',
  '/docs/start.js': "the reference page's start script",
  '/docs/scalar/': "the reference package's own page, which redirects to /docs",
  '/docs/scalar/js/scalar.js': "the reference's script bundle",
  '/docs/scalar/openapi.json': 'the same document again, as the reference package offers it',
  '/docs/scalar/openapi.yaml': 'the same document again, in YAML',
  '/hpp/assets/:file': "static files of the hosted page's script and styles",
  '/dashboard': "the merchant dashboard's page (it speaks GraphQL)",
  '/dashboard/assets/:file': "the dashboard's script and style bundles",
  '/favicon.ico': 'answered for browsers, with no content',
};

/** `/v1/payments/:id` → `/v1/payments/{id}`, the document's way of writing a path. */
const documentPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('the OpenAPI description', () => {
  let app: RunningTill;
  let registered: readonly { method: string; url: string }[];
  let doc: {
    openapi: string;
    paths: Record<string, Record<string, { operationId?: string; security?: unknown[]; tags?: string[] }>>;
  };

  beforeAll(async () => {
    app = await startTill({ backend: 'embedded', workers: false });
    doc = (await request(app.url, 'GET', '/openapi.json')).json;
    // Collected by Fastify's onRoute hook as Till registered its routes.
    registered = app.till.routes;
  });
  afterAll(() => app.close());

  it('documents every route Till registers, except the listed non-API routes', () => {
    expect(registered.length).toBeGreaterThan(40);
    const missing = registered
      .filter(({ method }) => method !== 'HEAD')
      .filter(({ url }) => !(url in NOT_API))
      .filter(({ method, url }) => !doc.paths[documentPath(url)]?.[method.toLowerCase()])
      .map(({ method, url }) => `${method} ${url}`);
    expect(missing).toEqual([]);
    // The exclusions name routes that exist: a stale entry would hide nothing but mislead.
    for (const url of Object.keys(NOT_API)) expect(registered.map((r) => r.url)).toContain(url);
  });

  it('gives every operation a unique operationId, a tag and an explicit security requirement', () => {
    const ids: string[] = [];
    for (const [p, operations] of Object.entries(doc.paths))
      for (const [method, operation] of Object.entries(operations)) {
        expect([method, p, typeof operation.operationId]).toEqual([method, p, 'string']);
        expect([method, p, operation.tags?.length]).toEqual([method, p, 1]);
        expect([method, p, Array.isArray(operation.security)]).toEqual([method, p, true]);
        ids.push(operation.operationId!);
      }
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths['/v1/payments/hpp']!.post!.security).toEqual([{ secretKey: [] }]);
    expect(doc.paths['/api/sessions']!.post!.security).toEqual([{ accessToken: ['payments'], apiKey: [] }]);
    expect(doc.paths['/admin/v1/merchants']!.post!.security).toEqual([{ adminToken: [] }]);
    expect(doc.paths['/healthz']!.get!.security).toEqual([]);
  });

  it('is valid OpenAPI 3.1', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('passes redocly lint with no errors', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'till-openapi-'));
    try {
      const file = path.join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(doc));
      // redocly exits non-zero when the document has any error (warnings pass).
      await run(
        process.execPath,
        [
          path.join(root, 'node_modules/@redocly/cli/bin/cli.js'),
          'lint',
          file,
          '--config',
          path.join(root, 'redocly.yaml'),
          '--format',
          'stylish',
        ],
        {
          cwd: root,
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        },
      ).catch((error: { stdout?: string; stderr?: string }) => {
        throw new Error(`redocly lint failed:\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
