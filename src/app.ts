import { PaymentRepository } from './db/repositories/payments.js';
import { RefundRepository } from './db/repositories/refunds.js';
import { paymentPayload } from './events/payment-payload.js';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { openKeyring } from './crypto/keyring.js';
import type { Sealer } from './crypto/sealing.js';
import { WebhookRepository } from './db/repositories/webhooks.js';
import { sealPlaintext } from './db/sealed-columns.js';
import { openDatabase, type Database } from './db/orm.js';
import { newId } from './domain/ids.js';
import { openEventFeed } from './events/event-feed.js';
import { openPaymentFeed } from './events/payment-feed.js';
import { openPubSub, pubsubChecks } from './events/open-pubsub.js';
import type { PubSub } from './events/pubsub.js';
import { OutboxRelay } from './events/relay.js';
import { buildTillSchema } from './graphql/schema.js';
import { mountGraphQL, type GraphQLServer } from './graphql/server.js';
import { answerInSurfaceFormat } from './http/framework-errors.js';
import { BODY_LIMIT, registerJsonBody } from './http/json-body.js';
import { configuredSecrets, redactingStream } from './http/log-redaction.js';
import { docsRoutes } from './http/docs.js';
import { registerOpenApi, type RegisteredRoute } from './http/openapi.js';
import { Metrics, opsRoutes } from './http/ops.js';
import { adminRoutes } from './rest/admin/routes.js';
import { apiRoutes } from './rest/api/routes.js';
import { oauthRoutes } from './rest/oauth/routes.js';
import { v1Routes } from './rest/v1/routes.js';
import { ApiKeyService } from './services/api-keys.js';
import { AuditLog } from './services/audit.js';
import { Authenticator } from './services/authenticator.js';
import { CredentialWatch } from './services/credential-watch.js';
import { DashboardSessionService } from './services/dashboard-sessions.js';
import { DashboardUserService } from './services/dashboard-users.js';
import { LoginThrottle } from './services/login-throttle.js';
import { ACCESS_TOKEN_TTL_SECONDS, TokenService } from './services/tokens.js';
import { IdempotencyService } from './services/idempotency.js';
import { MerchantService } from './services/merchants.js';
import { PaymentService } from './services/payments.js';
import { Workers } from './workers.js';
import { AuthorizationService } from './services/authorizations.js';
import { EventService } from './services/events.js';
import { RefundService } from './services/refunds.js';
import { WebhookDeliveries } from './webhooks/deliveries.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';
import { WebhookEndpointService } from './webhooks/endpoints.js';
import { WebhookDeliveryLog } from './webhooks/delivery-log.js';
import { WebhookDeliveryRepository } from './db/repositories/webhook-deliveries.js';
import { PaymentStatsRepository } from './db/repositories/payment-stats.js';
import { PaymentStatsService } from './services/payment-stats.js';
import { PaymentExportService } from './services/payment-export.js';
import { WebhookSecrets } from './webhooks/secrets.js';
import { hppRoutes } from './hpp/routes.js';
import { dashboardRoutes } from './dashboard/routes.js';
import { SandboxProcessor } from './processors/sandbox.js';
import { SandboxConnector } from './processors/sandbox-connector.js';
import { ConnectorRegistry } from './processors/registry.js';
import { ConnectorAccountRepository } from './db/repositories/connector-accounts.js';
import { ConnectorAccountService } from './services/connector-accounts.js';
import { ChargeService } from './services/charging.js';
import { StrayCharges } from './services/stray-charges.js';
import { AcquirerNotifications } from './services/acquirer-notifications.js';
import { connectorWebhookRoutes } from './rest/connectors/routes.js';
import { CheckoutService } from './services/checkout.js';
import { CheckoutGuard, DEFAULT_CHECKOUT_GUARD } from './services/checkout-guard.js';
import { ApiRateLimit } from './services/api-rate-limit.js';
import { RateLimitStore } from './services/rate-limits.js';
import { DEFAULT_THROTTLE } from './services/login-throttle.js';

export interface Till {
  config: Config;
  http: FastifyInstance;
  db: Database;
  pubsub: PubSub;
  services: {
    merchants: MerchantService;
    apiKeys: ApiKeyService;
    audit: AuditLog;
    auth: Authenticator;
    watch: CredentialWatch;
    payments: PaymentService;
    idempotency: IdempotencyService;
    tokens: TokenService;
    checkout: CheckoutService;
    authorizations: AuthorizationService;
    refunds: RefundService;
    webhooks: WebhookEndpointService;
    events: EventService;
    connectorAccounts: ConnectorAccountService;
    charging: ChargeService;
    strayCharges: StrayCharges;
    dashboardSessions: DashboardSessionService;
    dashboardUsers: DashboardUserService;
  };
  dispatcher: WebhookDispatcher;
  relay: OutboxRelay;
  workers: Workers;
  metrics: Metrics;
  /** Every HTTP route registered (method and path), as the OpenAPI document should cover them. */
  routes: readonly RegisteredRoute[];
  /** Seals and opens the credentials Till stores (webhook secrets, signing keys). */
  sealer: Sealer;
  /** Starts listening and the background workers; resolves to the bound address. */
  listen(): Promise<string>;
  /** Graceful drain: stop accepting, finish in-flight requests, close subscriptions, flush the outbox. */
  close(): Promise<void>;
}

export interface BuildOptions {
  /** Pino destination for logs (tests capture them); default stdout. */
  logStream?: NodeJS.WritableStream;
  /** Start the background worker loop on listen (default true). */
  workers?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Assembles Till from its config: database, pub/sub, services, then the HTTP surfaces over them. */
export async function buildTill(config: Config, options: BuildOptions = {}): Promise<Till> {
  const keyring = openKeyring(config);
  const { sealer } = keyring;
  const db = await openDatabase(config);
  try {
    // Rows written before sealing existed are sealed before anything reads them.
    await sealPlaintext(db, sealer);
  } catch (error) {
    await db.close();
    throw error;
  }
  let pubsub: PubSub;
  try {
    pubsub = await openPubSub(config);
  } catch (error) {
    await db.close();
    const where = config.redisUrl ? 'Redis at REDIS_URL' : 'PostgreSQL at DATABASE_URL (pub/sub)';
    throw new Error(`Cannot connect to ${where}: ${(error as Error).message}`, { cause: error });
  }

  const http = Fastify({
    logger: {
      level: config.logLevel,
      // Every line is scrubbed of secrets (URL tokens, keys, bearer tokens, the admin token) on its way out.
      stream: redactingStream(options.logStream ?? process.stdout, configuredSecrets(config)),
      // Credentials never reach the logs, whatever a future serializer adds.
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-api-key"]',
          'req.headers.cookie',
          'headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    bodyLimit: BODY_LIMIT,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : newId.requestId();
    },
    // A hop count trusts that many proxies in front of Till (the nearest first).
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (
            (hops: number) => (_address: string, hop: number) =>
              hop < hops
          )(config.trustProxy)
        : config.trustProxy,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors: answerInSurfaceFormat,
  });
  registerJsonBody(http);
  if (config.database.kind === 'postgres' && keyring.file)
    http.log.warn(
      { file: keyring.file },
      'TILL_ENCRYPTION_KEY is not set: stored secrets are sealed with the key file of DATA_DIR, which every instance on this database must share',
    );

  const metrics = new Metrics();
  const webhookSecrets = new WebhookSecrets(sealer);
  const dispatcher = new WebhookDispatcher(db, config.webhooks, http.log, webhookSecrets);
  const deliveries = new WebhookDeliveries(new WebhookRepository(db));
  // Committed events are published at once by the hand-off at commit; the relay's batch then gives
  // each its webhook deliveries, in the transaction that marks it published.
  const relay = new OutboxRelay(db, pubsub, [(tx, events) => deliveries.createFor(tx, events)], {
    onError: (error) => http.log.error({ err: error }, 'outbox relay failed'),
    onCommitted: (events, [created = 0]) => {
      // New deliveries go out at once rather than at the dispatcher's next poll.
      if (created > 0) void dispatcher.kick();
      metrics.eventsPublished.inc(events.length);
      for (const e of events)
        if (e.type === 'payment.created') metrics.paymentsCreated.labels(String(e.livemode)).inc();
    },
  });
  let rateStore: RateLimitStore;
  try {
    rateStore = await RateLimitStore.open(config.redisUrl, config.rateLimits.keyPrefix);
  } catch (error) {
    await pubsub.close();
    await db.close();
    throw new Error(`Cannot connect to Redis at REDIS_URL: ${(error as Error).message}`, { cause: error });
  }
  const rateLimit = new ApiRateLimit(rateStore, {
    testPerSecond: config.rateLimits.apiTestPerSecond,
    livePerSecond: config.rateLimits.apiLivePerSecond,
    windowSec: config.rateLimits.apiWindowSeconds,
  });
  const audit = new AuditLog(db);
  const watch = new CredentialWatch(db, pubsub, ACCESS_TOKEN_TTL_SECONDS * 1000);
  await watch.start(config.workerIntervalMs);
  const merchants = new MerchantService(db, audit, watch);
  const apiKeys = new ApiKeyService(db, watch, audit);
  const idempotency = new IdempotencyService(db, sealer, () => relay.soon());
  const paymentRepository = new PaymentRepository(db);
  const connectorAccounts = new ConnectorAccountService(
    new ConnectorAccountRepository(db),
    sealer,
    audit,
    config.publicUrl,
  );
  const payments = new PaymentService(
    paymentRepository,
    config,
    () => relay.soon(),
    (merchantId, tx) => connectorAccounts.acceptsLive(merchantId, tx),
  );
  const tokens = new TokenService(db, sealer, config.publicUrl, watch, audit);
  await tokens.init();
  const throttle = new LoginThrottle(rateStore, {
    ...DEFAULT_THROTTLE,
    maxFailures: config.rateLimits.loginMaxFailures,
    maxFailuresPerAddress: config.rateLimits.loginMaxFailuresPerAddress,
  });
  const dashboardSessions = new DashboardSessionService(
    db,
    watch,
    audit,
    throttle,
    config.dashboardSessionHours * 3600,
  );
  const dashboardUsers = new DashboardUserService(db, audit, dashboardSessions, config.publicUrl);
  const auth = new Authenticator(apiKeys, tokens, watch, dashboardSessions);
  const sandbox = new SandboxProcessor(db, config.publicUrl);
  const connectors = new ConnectorRegistry(
    {
      sandbox: async (account) => new SandboxConnector(account.id, sandbox, db),
      stripe: async (account, options) =>
        new (await import('./processors/stripe.js')).StripeConnector(account, options),
      adyen: async (account, options) =>
        new (await import('./processors/adyen.js')).AdyenConnector(account, options),
    },
    { timeoutMs: config.connectors.timeoutMs },
  );
  const checkoutGuard = new CheckoutGuard(rateStore, {
    ...DEFAULT_CHECKOUT_GUARD,
    perClient: config.checkoutAttemptsPerClient,
    declinesPerMerchantPerMinute: config.rateLimits.checkoutDeclinesPerMerchantPerMinute,
  });
  const charging = new ChargeService(
    payments,
    paymentRepository,
    connectorAccounts,
    connectors,
    checkoutGuard,
    {
      publicUrl: config.publicUrl,
      authorizationTtlMs: config.authorizationTtlSeconds * 1000,
      reconcileAfterMs: config.connectors.reconcileAfterSeconds * 1000,
    },
    http.log,
  );
  const checkout = new CheckoutService(paymentRepository, payments, charging, sandbox, auth, checkoutGuard);
  const authorizations = new AuthorizationService(payments, charging, audit);
  const refunds = new RefundService(
    paymentRepository,
    new RefundRepository(db),
    config,
    charging,
    () => relay.soon(),
    audit,
  );
  const webhooks = new WebhookEndpointService(
    db,
    () => void dispatcher.kick(),
    audit,
    webhookSecrets,
    config.webhooks.maxEndpoints,
  );
  const events = new EventService(db);
  const deliveryLog = new WebhookDeliveryLog(
    new WebhookDeliveryRepository(db),
    webhooks,
    () => void dispatcher.kick(),
  );
  const paymentStats = new PaymentStatsService(new PaymentStatsRepository(db));
  const paymentExport = new PaymentExportService(paymentRepository);
  const strayCharges = new StrayCharges(payments, paymentRepository, connectorAccounts, connectors, http.log);
  const workers = new Workers({
    relay,
    payments,
    checkout,
    authorizations,
    refunds,
    strayCharges,
    reconcileAfterMs: config.connectors.reconcileAfterSeconds * 1000,
    dispatcher,
    idempotency,
    tokens,
    metrics,
    log: http.log,
    intervalMs: config.workerIntervalMs,
  });

  let draining = false;
  http.addHook('onRequest', async (request, reply) => {
    reply.header('Request-Id', request.id);
  });
  http.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration
      .labels(request.method, request.routeOptions.url ?? 'unmatched', String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });

  const routes = await registerOpenApi(http, { publicUrl: config.publicUrl });
  await http.register(opsRoutes, {
    metrics,
    metricsToken: config.metricsToken,
    checks: { database: () => db.ping(), ...pubsubChecks(config, pubsub) },
    isDraining: () => draining,
  });
  await http.register(v1Routes, {
    rateLimit,
    auth,
    authorizations,
    refunds,
    webhooks,
    events,
    prefix: '/v1',
    payments,
    idempotency,
    publicUrl: config.publicUrl,
  });
  await http.register(adminRoutes, {
    prefix: '/admin/v1',
    merchants,
    connectorAccounts,
    apiKeys,
    audit,
    tokens,
    dashboardUsers,
    adminToken: config.adminToken,
  });
  await http.register(oauthRoutes, { merchants, tokens, throttle });
  await http.register(apiRoutes, {
    rateLimit,
    prefix: '/api',
    auth,
    merchants,
    payments,
    idempotency,
    authorizations,
    refunds,
    publicUrl: config.publicUrl,
  });
  await http.register(hppRoutes, { checkout, payments, charging, sandbox });
  await http.register(connectorWebhookRoutes, {
    notifications: new AcquirerNotifications(
      connectorAccounts,
      connectors,
      charging,
      payments,
      paymentRepository,
      refunds,
      http.log,
    ),
  });
  await http.register(docsRoutes);
  await http.register(dashboardRoutes);

  const schema = await buildTillSchema({
    connectorAccounts,
    apiKeys,
    audit,
    payments,
    idempotency,
    authorizations,
    refunds,
    events,
    webhooks,
    deliveryLog,
    paymentStats,
    paymentExport,
    merchants,
    dashboardSessions,
    dashboardUsers,
    publicUrl: config.publicUrl,
  });
  const feedMetric = metrics.subscriptions;
  let graphql: GraphQLServer | null = null;
  await http.register(async (scope) => {
    graphql = await mountGraphQL(scope, {
      rateLimit,
      schema,
      auth,
      production: config.nodeEnv === 'production',
      publicUrl: config.publicUrl,
      openPaymentFeed: (principal, paymentId) =>
        openPaymentFeed({
          pubsub,
          scope: principal,
          paymentId,
          current: async (id) => paymentPayload(await payments.getPayment(principal, id), config.publicUrl),
        }),
      openEventFeed: (principal, after) =>
        openEventFeed({ pubsub, scope: principal, after, replay: (id) => events.after(principal, id) }),
      onConnectionsChanged: (open) => feedMetric.set(open),
      operationLimits: config.graphql,
      socketLimits: config.graphql.ws,
      metricsRegistry: metrics.registry,
    });
  });

  const till: Till = {
    config,
    http,
    db,
    pubsub,
    services: {
      merchants,
      apiKeys,
      audit,
      auth,
      watch,
      payments,
      idempotency,
      tokens,
      checkout,
      authorizations,
      refunds,
      webhooks,
      events,
      connectorAccounts,
      charging,
      strayCharges,
      dashboardSessions,
      dashboardUsers,
    },
    dispatcher,
    relay,
    workers,
    metrics,
    routes,
    sealer,
    async listen() {
      const address = await http.listen({ port: config.port, host: config.host });
      if (options.workers !== false) workers.start();
      return address;
    },
    async close() {
      draining = true;
      await workers.stop();
      // Subscriptions first (they would hold the server open), then in-flight HTTP requests.
      await (graphql as GraphQLServer | null)?.close();
      await http.close();
      await relay.flush();
      await dispatcher.flush();
      await watch.stop();
      await pubsub.close();
      await rateStore.close();
      await db.close();
    },
  };
  return till;
}
