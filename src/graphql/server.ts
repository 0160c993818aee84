import type { IncomingMessage } from 'node:http';
import { ApolloServer } from '@apollo/server';
import fastifyCookie from '@fastify/cookie';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { Registry } from 'prom-client';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { rateLimitHeaders } from '../http/rate-limit-headers.js';
import type { ApiRateLimit } from '../services/api-rate-limit.js';
import { RateLimitError } from '../domain/errors.js';
import {
  authenticate,
  type Authenticated,
  type Authenticator,
  type CredentialPolicy,
} from '../services/authenticator.js';
import type { Principal } from '../services/principal.js';
import type { GraphQLContext } from './context.js';
import { graphQLErrorOf, toGraphQLError, unauthenticated } from './errors.js';
import { graphiqlAssetRoutes, isGraphiQLNavigation, sendGraphiQL } from './graphiql.js';
import { inputRulesPlugin } from './input-rules.js';
import { dashboardTransport, httpSession, MODE_HEADER, socketSession } from './dashboard-transport.js';
import { GraphQLOperationPolicy, type GraphQLOperationPolicyOptions } from './policy.js';
import { SharedSubscriptions, tillSocketClass, type TillSocket } from './shared-fanout.js';
import { SocketPrincipals } from './socket-principals.js';
import {
  DEFAULT_WEBSOCKET_LIMITS,
  MerchantSockets,
  overSocketCap,
  policedSubscribe,
  type WebSocketLimits,
} from './ws-limits.js';

export interface GraphQLServerDeps {
  schema: GraphQLSchema;
  auth: Authenticator;
  rateLimit: ApiRateLimit;
  openPaymentFeed: GraphQLContext['openPaymentFeed'];
  openEventFeed: GraphQLContext['openEventFeed'];
  production: boolean;
  /** Till's public URL: the dashboard's origin (graphql-ws cookie sockets) and its cookie's `Secure`. */
  publicUrl: string;
  onConnectionsChanged?: (open: number) => void;
  /** Operation limits of both transports (defaults: DEFAULT_OPERATION_POLICY). */
  operationLimits?: Partial<GraphQLOperationPolicyOptions>;
  /** graphql-ws socket caps (defaults: DEFAULT_WEBSOCKET_LIMITS). */
  socketLimits?: Partial<WebSocketLimits>;
  /** Where the subscription metrics are registered (none when absent). */
  metricsRegistry?: Registry;
}

export interface GraphQLServer {
  /** Closes every subscription socket (1001 Going Away) and stops Apollo. */
  close(): Promise<void>;
}

/**
 * Request errors Fastify raises before Apollo sees the body (bad JSON, nested too deep, too large,
 * a broken URL) in GraphQL's shape: `BAD_REQUEST` with the request's 4xx status.
 */
export function sendGraphQLRequestError(reply: FastifyReply, error: unknown): FastifyReply {
  const e = error as { statusCode?: number; message?: string };
  const status = e.statusCode && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
  if (status === 500) reply.log.error({ err: error }, 'graphql transport error');
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send(
      JSON.stringify({
        errors: [
          {
            message: status === 500 ? 'Internal server error' : (e.message ?? 'Bad request'),
            extensions: { code: status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST' },
          },
        ],
      }),
    );
}

/**
 * How often every graphql-ws socket is pinged; one that has not answered by the next ping is ended
 * (graphql-ws's own default period).
 */
const KEEP_ALIVE_MS = 12_000;

/** GraphQL accepts both merchant credentials: secret keys and OIDC access tokens. */
const ACCEPTED = ['secret_key', 'access_token'] as const;

/** Over HTTP an operation without credentials runs anonymously (its resolvers refuse what needs one). */
const HTTP_CREDENTIALS: CredentialPolicy = {
  accepted: ACCEPTED,
  missing: null,
  invalid: 'Invalid credentials: send Authorization: Bearer <secret key or access token>.',
};

/** Mounts GraphQL on /graphql: queries and mutations over HTTP (Apollo), subscriptions over graphql-ws. */
export async function mountGraphQL(app: FastifyInstance, deps: GraphQLServerDeps): Promise<GraphQLServer> {
  // One policy for every entry point: HTTP, persisted queries (Apollo parses and validates their
  // stored text through the same pipeline, and stores only text that passed) and graphql-ws.
  const policy = new GraphQLOperationPolicy(deps.operationLimits);
  const socketLimits: WebSocketLimits = { ...DEFAULT_WEBSOCKET_LIMITS, ...deps.socketLimits };
  const merchantSockets = new MerchantSockets(socketLimits.maxSocketsPerMerchant);
  const apollo = new ApolloServer<GraphQLContext>({
    schema: deps.schema,
    introspection: true,
    includeStacktraceInErrorResponses: !deps.production,
    parseOptions: policy.parseOptions,
    validationRules: [...policy.validationRules],
    // Any request carrying Authorization is preflighted by browsers, so it cannot be a CSRF; this
    // lets merchant backends use GET for queries with just their Bearer key.
    csrfPrevention: {
      requestHeaders: ['authorization', MODE_HEADER, 'x-apollo-operation-name', 'apollo-require-preflight'],
    },
    // The input rules before the cost check: both run once the operation is resolved.
    plugins: [
      fastifyApolloDrainPlugin(app),
      ApolloServerPluginLandingPageDisabled(),
      inputRulesPlugin(),
      policy.apolloPlugin(),
    ],
    formatError: (formatted, error) => {
      const refused = policy.formatRefusal(formatted, error);
      if (refused) return refused;
      // Internal failures never leak their message or stack outside development.
      const original = (error as GraphQLError | undefined)?.originalError;
      if (deps.production && formatted.extensions?.code === 'INTERNAL_SERVER_ERROR' && original)
        return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
      return formatted;
    },
  });
  await apollo.start();
  await app.register(fastifyCookie);

  const handler = fastifyApolloHandler(apollo, {
    context: async (request, reply) => {
      let authenticated: Authenticated | null;
      try {
        authenticated = await authenticate(
          deps,
          { authorization: request.headers.authorization, requestId: request.id },
          HTTP_CREDENTIALS,
        );
        // Without Authorization, the dashboard's session cookie (with its Till-Mode header).
        const session = authenticated ? null : await httpSession(deps.auth, request);
        if (session) authenticated = { principal: session, rate: await deps.rateLimit.enforce(session) };
      } catch (error) {
        if (error instanceof RateLimitError) reply.headers(rateLimitHeaders(error.state, true));
        return toGraphQLError(error);
      }
      if (authenticated) reply.headers(rateLimitHeaders(authenticated.rate, false));
      return {
        principal: authenticated?.principal ?? null,
        idempotencyKey: request.headers['idempotency-key'] ?? null,
        dashboard: dashboardTransport(request, reply, deps.publicUrl),
        openPaymentFeed: deps.openPaymentFeed,
        openEventFeed: deps.openEventFeed,
      };
    },
  });
  app.route({
    url: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    // GraphQL is described by its own schema (schema/schema.graphql), not by the OpenAPI document.
    schema: { hide: true },
    // A browser opening /graphql gets GraphiQL; operations go to Apollo.
    handler: (request, reply) =>
      isGraphiQLNavigation(request) ? sendGraphiQL(reply) : handler.call(app, request, reply),
    errorHandler: (error, _request, reply) => sendGraphQLRequestError(reply, error),
  });

  graphiqlAssetRoutes(app);

  // Subscribers of the same operation and scope share each result's execution and serialisation;
  // their sockets (TillSocket) send the shared JSON.
  const shared = new SharedSubscriptions(deps.metricsRegistry);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: socketLimits.maxPayloadBytes,
    WebSocket: tillSocketClass({
      frameMismatch: (message) =>
        app.log.error({ message }, 'graphql-ws message carried a result token its socket did not expect'),
      protocolError: (code) => app.log.debug({ code }, 'graphql-ws client broke the protocol'),
    }),
  });
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

  // A socket outlives any one request: its principal is re-checked for every operation, and the
  // socket is closed with 4403 the moment its credential is revoked (on any instance) or expires.
  const principals = new SocketPrincipals(deps.auth);
  const policed = policedSubscribe({
    schema: deps.schema,
    policy,
  });
  type Extra = { principal?: Principal | null };
  const disposable = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema: deps.schema,
      subscribe: shared.subscribe,
      onNext: shared.onNext,
      onSubscribe: async (ctx, id, payload) => {
        const over = overSocketCap(ctx, socketLimits.maxSubscriptionsPerSocket);
        if (over) return over;
        const principal = principals.current(ctx.extra.socket);
        if (!principal) return [unauthenticated()];
        // Every operation on a socket counts against its key's rate, like a request over HTTP.
        try {
          await deps.rateLimit.enforce(principal);
        } catch (error) {
          if (error instanceof RateLimitError) return [graphQLErrorOf(error)];
          throw error;
        }
        ctx.extra.principal = principal;
        return policed(ctx, id, payload);
      },
      onConnect: async (ctx) => {
        // A Bearer credential in connectionParams, or else the dashboard's cookie on a same-origin
        // upgrade, in the mode connectionParams names.
        const params = ctx.connectionParams;
        const principal =
          params?.authorization !== undefined
            ? await deps.auth.bearer(params.authorization, ACCEPTED)
            : await socketSession(deps.auth, ctx.extra.request, params?.mode, deps.publicUrl);
        // The upgrade request served its purpose: an idle socket does not keep it (and its headers).
        (ctx.extra as { request?: IncomingMessage }).request = undefined;
        if (!principal) return false; // graphql-ws closes with 4403 Forbidden
        // Over the cap the socket is closed with 4429 and never watched.
        if (!merchantSockets.admit(ctx.extra.socket, principal)) return false;
        ctx.extra.principal = principal;
        principals.attach(ctx.extra.socket, principal);
        return true;
      },
      context: (ctx): GraphQLContext => ({
        principal: ctx.extra.principal ?? null,
        idempotencyKey: null,
        openPaymentFeed: deps.openPaymentFeed,
        openEventFeed: deps.openEventFeed,
      }),
    },
    wss,
    // No timers per socket: the one heartbeat below pings every socket and ends those that stopped answering.
    0,
  );
  const heartbeat = setInterval(() => {
    for (const socket of wss.clients) (socket as TillSocket).heartbeat();
  }, KEEP_ALIVE_MS);
  heartbeat.unref();

  return {
    async close() {
      clearInterval(heartbeat);
      principals.dispose();
      await disposable.dispose();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await apollo.stop();
    },
  };
}
