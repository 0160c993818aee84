import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { strictCsp } from '../http/csp.js';

/** The bundle as `npm run build` emits it (the same folder whether Till runs from dist/ or src/). */
const ASSETS = new URL('../../dist/dashboard/client/', import.meta.url);

/** Names the build gives its files: content-hashed, so a name never changes meaning. */
const ASSET_NAME = /^[A-Za-z0-9_-]+\.(js|css)$/;
const ASSET_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

interface Manifest {
  js: string;
  css: string | null;
  preload: string[];
}

/**
 * The dashboard's policy: its own scripts (the entry carries the page's nonce), styles and
 * requests only to Till itself — `connect-src 'self'` covers the same-origin graphql-ws socket —,
 * no forms posted anywhere, never framed.
 */
function secure(reply: FastifyReply, nonce: string | null): FastifyReply {
  return reply
    .header(
      'Content-Security-Policy',
      strictCsp({
        'script-src': nonce ? `'self' 'nonce-${nonce}'` : "'self'",
        'img-src': "'self' data: blob:",
      }),
    )
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'no-referrer')
    .header('X-Frame-Options', 'DENY')
    .header('Cross-Origin-Opener-Policy', 'same-origin');
}

const escapeAttr = (s: string) => s.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);

export function dashboardShell(manifest: Manifest, nonce: string): string {
  const asset = (file: string) => escapeAttr(`/dashboard/assets/${file}`);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Till dashboard</title>',
    manifest.css ? `<link rel="stylesheet" href="${asset(manifest.css)}">` : '',
    ...manifest.preload.map((f) => `<link rel="modulepreload" href="${asset(f)}" nonce="${nonce}">`),
    '</head><body>',
    '<div id="app"></div>',
    '<noscript>The Till dashboard needs JavaScript.</noscript>',
    `<script type="module" src="${asset(manifest.js)}" nonce="${nonce}"></script>`,
    '</body></html>',
  ].join('');
}

/**
 * `/dashboard`: the merchant dashboard, a single-page app that talks only to Till's public GraphQL
 * API. The HTML shell is never cached (it names the current bundle); the hashed bundle files are
 * cached for good.
 */
export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  let manifest: Manifest | null = null;
  const loadManifest = async (): Promise<Manifest | null> => {
    manifest ??= await readFile(new URL('manifest.json', ASSETS), 'utf8')
      .then((text) => JSON.parse(text) as Manifest)
      .catch(() => null);
    return manifest;
  };

  const shell = async (_request: unknown, reply: FastifyReply) => {
    const nonce = randomBytes(16).toString('base64');
    secure(reply, nonce).header('Cache-Control', 'no-store');
    const current = await loadManifest();
    if (!current)
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The dashboard is not built: run `npm run build`.');
    return reply.type('text/html; charset=utf-8').send(dashboardShell(current, nonce));
  };
  const hidden = { schema: { hide: true } };
  // Till's router ignores a trailing slash: this is /dashboard and /dashboard/ alike.
  app.get('/dashboard', hidden, shell);

  app.get<{ Params: { file: string } }>('/dashboard/assets/:file', hidden, async (request, reply) => {
    const { file } = request.params;
    const match = ASSET_NAME.exec(file);
    secure(reply, null);
    if (!match) return reply.code(404).type('text/plain; charset=utf-8').send('not found');
    const body = await readFile(new URL(file, ASSETS)).catch(() => null);
    if (!body) return reply.code(404).type('text/plain; charset=utf-8').send('not found');
    return reply
      .header('Cache-Control', 'public, max-age=31536000, immutable')
      .type(ASSET_TYPES[match[1]!]!)
      .send(body);
  });
}
