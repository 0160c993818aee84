import type { IncomingMessage } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import type { FastifyInstance } from 'fastify';
import { GraphQLError, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Authenticator } from '../services/authenticator.js';
import type { Principal } from '../services/principal.js';
import { bearerToken, type GraphQLContext } from './context.js';
import { DEFAULT_LIMITS, limitsRule } from './limits.js';

export interface GraphQLServerDeps {
  schema: GraphQLSchema;
  auth: Authenticator;
  openPaymentFeed: GraphQLContext['openPaymentFeed'];
  production: boolean;
  onConnectionsChanged?: (open: number) => void;
}

export interface GraphQLServer {
  /** Closes every subscription socket (1001 Going Away) and stops Apollo. */
  close(): Promise<void>;
}

async function authenticate(auth: Authenticator, authorization: unknown): Promise<Principal | null> {
  const token = bearerToken(authorization);
  return token ? auth.bearer(token) : null;
}

/** Mounts GraphQL on /graphql: queries and mutations over HTTP (Apollo), subscriptions over graphql-ws. */
export async function mountGraphQL(app: FastifyInstance, deps: GraphQLServerDeps): Promise<GraphQLServer> {
  const apollo = new ApolloServer<GraphQLContext>({
    schema: deps.schema,
    introspection: true,
    includeStacktraceInErrorResponses: !deps.production,
    parseOptions: { maxTokens: DEFAULT_LIMITS.maxTokens },
    validationRules: [limitsRule()],
    // Any request carrying Authorization is preflighted by browsers, so it cannot be a CSRF; this
    // lets merchant backends use GET for queries with just their Bearer key.
    csrfPrevention: {
      requestHeaders: ['authorization', 'x-apollo-operation-name', 'apollo-require-preflight'],
    },
    plugins: [fastifyApolloDrainPlugin(app), ApolloServerPluginLandingPageDisabled()],
    formatError: (formatted, error) => {
      // Internal failures never leak their message or stack outside development.
      const original = (error as GraphQLError | undefined)?.originalError;
      if (deps.production && formatted.extensions?.code === 'INTERNAL_SERVER_ERROR' && original)
        return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
      return formatted;
    },
  });
  await apollo.start();

  const handler = fastifyApolloHandler(apollo, {
    context: async (request) => {
      const header = request.headers.authorization;
      const principal = await authenticate(deps.auth, header);
      if (header !== undefined && !principal)
        throw new GraphQLError(
          'Invalid credentials: send Authorization: Bearer <secret key or access token>.',
          {
            extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
          },
        );
      const key = request.headers['idempotency-key'];
      return {
        principal,
        idempotencyKey: typeof key === 'string' ? key : null,
        openPaymentFeed: deps.openPaymentFeed,
      };
    },
  });
  app.route({
    url: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    handler,
    // Request errors Fastify raises before Apollo sees the body (bad JSON, too large) in GraphQL's shape.
    errorHandler: (error: Error & { statusCode?: number }, _request, reply) => {
      const status =
        error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      if (status === 500) reply.log.error({ err: error }, 'graphql transport error');
      return reply
        .code(status)
        .type('application/json; charset=utf-8')
        .send(
          JSON.stringify({
            errors: [
              {
                message: status === 500 ? 'Internal server error' : error.message,
                extensions: { code: status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST' },
              },
            ],
          }),
        );
    },
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });
  app.server.on('upgrade', (request: IncomingMessage, socket, head) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/graphql') return socket.destroy();
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });
  const report = () => deps.onConnectionsChanged?.(wss.clients.size);
  wss.on('connection', (ws) => {
    report();
    ws.on('close', report);
  });

  type Extra = { principal?: Principal | null };
  const disposable = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema: deps.schema,
      validate: (schema, document) => validate(schema, document, [...specifiedRules, limitsRule()]),
      onConnect: async (ctx) => {
        const principal = await authenticate(deps.auth, ctx.connectionParams?.authorization);
        if (!principal) return false; // graphql-ws closes with 4403 Forbidden
        ctx.extra.principal = principal;
        return true;
      },
      context: (ctx): GraphQLContext => ({
        principal: ctx.extra.principal ?? null,
        idempotencyKey: null,
        openPaymentFeed: deps.openPaymentFeed,
      }),
    },
    wss,
  );

  return {
    async close() {
      await disposable.dispose();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await apollo.stop();
    },
  };
}
