import scalar from '@scalar/fastify-api-reference';
import type { FastifyInstance } from 'fastify';
import { BUNDLED_TOOL_CSP } from './csp.js';

/** Where @scalar/fastify-api-reference serves its browser bundle (from the package, not a CDN). */
const SCALAR_PREFIX = '/docs/scalar';

/** Scalar's options: no fonts or services from elsewhere, the document embedded in the page. */
const START_SCRIPT = `Scalar.createApiReference('#app', {
  content: JSON.parse(document.getElementById('api-description').textContent),
  withDefaultFonts: false,
  telemetry: false,
  hideClientButton: false,
  showDeveloperTools: 'never',
  agent: { disabled: true },
  mcp: { disabled: true },
});
`;

/** JSON placed in an HTML data block: `<` escaped so no text can close the element. */
const inHtml = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/**
 * `/docs`: the interactive API reference (Scalar), rendering the OpenAPI document embedded in the
 * page, so the page needs nothing but Till. The document's operations are in the HTML itself.
 */
export async function docsRoutes(app: FastifyInstance): Promise<void> {
  await app.register(scalar, {
    routePrefix: SCALAR_PREFIX,
    logLevel: 'warn',
    hooks: {
      // The package's own page (which needs an inline script) gives way to /docs.
      onRequest: async (request, reply) => {
        if (request.routeOptions.url === `${SCALAR_PREFIX}/`) return reply.redirect('/docs', 302);
      },
    },
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('Content-Security-Policy', BUNDLED_TOOL_CSP);
    reply.header('X-Content-Type-Options', 'nosniff');
  });

  const hidden = { schema: { hide: true } };
  app.get('/docs/start.js', hidden, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('Cache-Control', 'no-cache').send(START_SCRIPT),
  );
  app.get('/docs', hidden, async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Till API reference</title>` +
          `<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>` +
          `<noscript>The reference needs JavaScript. The description itself: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</noscript>` +
          `<div id="app"></div>` +
          `<script type="application/json" id="api-description">${inHtml(app.swagger())}</script>` +
          `<script src="${SCALAR_PREFIX}/js/scalar.js"></script><script src="/docs/start.js"></script>` +
          `</body></html>`,
      ),
  );
}
