import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BUNDLED_TOOL_CSP } from '../http/csp.js';

/** Where GraphiQL's files are served: all from Till, none from a CDN. */
const ASSETS = '/graphql/graphiql';

/**
 * The files of GraphiQL's page, from the prebuilt bundle of @graphql-yoga/render-graphiql (its
 * JavaScript, CSS and Monaco editor workers as strings). Loaded on first use: the bundle is
 * megabytes, and most instances never serve a browser.
 */
async function loadAssets(): Promise<Record<string, { type: string; body: string }>> {
  const bundle = await import('@graphql-yoga/render-graphiql/graphiql');
  const js = 'text/javascript; charset=utf-8';
  return {
    'graphiql.js': { type: js, body: bundle.js },
    'graphiql.css': { type: 'text/css; charset=utf-8', body: bundle.css },
    'editor.worker.js': { type: js, body: bundle.editorWorkerService },
    'json.worker.js': { type: js, body: bundle.jsonWorker },
    'graphql.worker.js': { type: js, body: bundle.graphqlWorker },
    'start.js': { type: js, body: START_SCRIPT },
  };
}

/**
 * Starts GraphiQL on /graphql. Queries go out as JSON POSTs, which Apollo's CSRF prevention
 * accepts (a browser preflights them); the key a user types into the headers editor
 * (`{"Authorization": "Bearer api_test_sk_..."}`) is sent with every request.
 */
const START_SCRIPT = `self.MonacoEnvironment = {
  globalAPI: false,
  getWorkerUrl: function (_moduleId, label) {
    var file = label === 'json' ? 'json' : label === 'graphql' ? 'graphql' : 'editor';
    return '${ASSETS}/' + file + '.worker.js';
  },
};
YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), {
  endpoint: '/graphql',
  title: 'Till GraphQL',
  method: 'POST',
  defaultQuery: '# Put your secret key in the Headers tab below:\\n# {"Authorization": "Bearer api_test_sk_..."}\\nquery Payments {\\n  payments(first: 5) {\\n    edges {\\n      node {\\n        id\\n        amount\\n        currency\\n        status\\n      }\\n    }\\n  }\\n}\\n',
  subscriptionsProtocol: 'WS',
});
`;

const PAGE =
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Till GraphQL</title>` +
  `<meta name="viewport" content="width=device-width, initial-scale=1">` +
  `<link rel="stylesheet" href="${ASSETS}/graphiql.css"></head>` +
  `<body><noscript>GraphiQL needs JavaScript.</noscript><div id="root" style="height:100vh"></div>` +
  `<script src="${ASSETS}/graphiql.js"></script><script src="${ASSETS}/start.js"></script></body></html>`;

/**
 * Whether a request is a browser opening /graphql: a GET that accepts HTML and carries no query
 * string. Such a request executes nothing; every other request (an operation by GET or POST) goes
 * to Apollo and its CSRF prevention as before.
 */
export function isGraphiQLNavigation(request: FastifyRequest): boolean {
  return (
    request.method === 'GET' &&
    !request.url.includes('?') &&
    (request.headers.accept ?? '').split(',').some((type) => type.trim().startsWith('text/html'))
  );
}

export function sendGraphiQL(reply: FastifyReply): FastifyReply {
  return reply
    .type('text/html; charset=utf-8')
    .header('Content-Security-Policy', BUNDLED_TOOL_CSP)
    .header('X-Content-Type-Options', 'nosniff')
    .send(PAGE);
}

/** GraphiQL's files under /graphql/graphiql/. */
export function graphiqlAssetRoutes(app: FastifyInstance): void {
  let assets: ReturnType<typeof loadAssets> | null = null;
  app.get<{ Params: { file: string } }>(
    `${ASSETS}/:file`,
    // Static files of the GraphiQL page, not part of the API.
    { schema: { hide: true } },
    async (request, reply) => {
      assets ??= loadAssets();
      const asset = Object.hasOwn(await assets, request.params.file)
        ? (await assets)[request.params.file]
        : undefined;
      if (!asset) return reply.code(404).type('text/plain; charset=utf-8').send('not found');
      return reply
        .type(asset.type)
        .header('Content-Security-Policy', BUNDLED_TOOL_CSP)
        .header('X-Content-Type-Options', 'nosniff')
        .header('Cache-Control', 'public, max-age=300')
        .send(asset.body);
    },
  );
}
