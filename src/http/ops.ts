import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { safeEqual } from '../crypto/safe-equal.js';
import { bearerToken } from '../services/authenticator.js';
import * as s from './ops-schemas.js';
import { typed } from './typed-routes.js';

/** Process and HTTP metrics in Prometheus format. One registry per app, so tests can run several. */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'till_http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly paymentsCreated = new Counter({
    name: 'till_payments_created_total',
    help: 'Payments created.',
    labelNames: ['livemode'] as const,
    registers: [this.registry],
  });
  readonly eventsPublished = new Counter({
    name: 'till_events_published_total',
    help: 'Outbox events published to pub/sub.',
    registers: [this.registry],
  });
  readonly paymentsExpired = new Counter({
    name: 'till_payments_expired_total',
    help: 'Payments expired by the worker.',
    registers: [this.registry],
  });
  readonly subscriptions = new Gauge({
    name: 'till_graphql_subscriptions',
    help: 'Open GraphQL subscriptions.',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'till_' });
  }
}

export interface OpsDeps {
  metrics: Metrics;
  metricsToken: string | null;
  /** Every dependency that must answer for the instance to take traffic. */
  checks: Record<string, () => Promise<boolean>>;
  isDraining: () => boolean;
}

/** /healthz (alive), /readyz (dependencies answer), /metrics (Prometheus). */
export async function opsRoutes(instance: FastifyInstance, deps: OpsDeps): Promise<void> {
  const app = typed(instance);
  app.get('/healthz', { schema: s.healthz }, async () => ({ status: 'ok' }));
  // Browsers ask for it on every page; answering "no content" keeps the logs free of 404s.
  app.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) => reply.code(204).send());

  app.get('/readyz', { schema: s.readyz }, async (_request, reply) => {
    const entries = await Promise.all(
      Object.entries(deps.checks).map(
        async ([name, check]) => [name, await check().catch(() => false)] as const,
      ),
    );
    const checks = Object.fromEntries(entries.map(([name, ok]) => [name, ok ? 'ok' : 'down']));
    const ready = !deps.isDraining() && entries.every(([, ok]) => ok);
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : deps.isDraining() ? 'draining' : 'unavailable', checks });
  });

  app.get('/metrics', { schema: s.metrics }, async (request, reply) => {
    if (deps.metricsToken && !safeEqual(bearerToken(request.headers.authorization), deps.metricsToken))
      return reply.code(401).send({ error: 'metrics require Authorization: Bearer <METRICS_TOKEN>' });
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}
