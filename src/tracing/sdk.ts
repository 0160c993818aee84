import type { IncomingMessage } from 'node:http';
import { register } from 'node:module';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import type { Config } from '../config.js';
import { configuredSecrets, secretScrubber } from '../http/log-redaction.js';

/** Probes and scrapes, polled every few seconds: tracing them would bury the requests that matter. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

const pathOf = (url = '/') => url.split('?', 1)[0]!;

/**
 * A statement with its literals replaced by `?`. Till's ORM writes values into the statement text —
 * key hashes, sealed secrets, customers' details — and a span is to show what a statement does, not
 * the data it carries.
 */
function statementShape(sql: string): string {
  return sql.replace(/(?:\b[eE])?'[^']*(?:''[^']*)*'|\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b/g, '?');
}

export interface Tracing {
  /** Ends tracing: exports the spans still queued (part of the drain). */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry's Node SDK with Till's instrumentations. main.ts calls it only when tracing is
 * configured, and before it imports the rest of Till: Till is ESM, and an ES module's imports are
 * bound when it loads, so a library can only be instrumented if the loader hook below is in place
 * before its first import. With tracing off this module is never loaded.
 *
 * Everything else comes from the standard `OTEL_*` variables, read by the SDK: exporter protocol
 * (`OTEL_EXPORTER_OTLP_PROTOCOL`, http/protobuf by default), headers, sampler, batch timings,
 * resource attributes. The service is named `till` unless `OTEL_SERVICE_NAME` (or `service.name` in
 * `OTEL_RESOURCE_ATTRIBUTES`) says otherwise.
 */
export async function startTracing(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<Tracing> {
  // The loader hook intercepts only the modules an instrumentation asks for (the channel tells it
  // which), not every module Till loads.
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  // URLs can carry secrets (the hosted page's URL token); spans leave the process like log lines do,
  // so they pass the same scrubber.
  const scrub = secretScrubber(configuredSecrets(config));
  const scrubbedUrl = (url = '/'): Record<string, string> => {
    const mark = url.indexOf('?');
    const path = mark < 0 ? url : url.slice(0, mark);
    const query = mark < 0 ? '' : url.slice(mark + 1);
    // The query is replaced only when it held a secret, keeping the instrumentation's own redaction
    // of signed-URL parameters otherwise.
    return { 'url.path': scrub(path), ...(scrub(query) !== query ? { 'url.query': scrub(query) } : {}) };
  };

  const sdk = new NodeSDK({
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': 'till' })),
    // Traces only: metrics stay on /metrics and logs on stdout unless the standard variables ask
    // for OTLP too.
    metricReaders: env.OTEL_METRICS_EXPORTER ? undefined : [],
    logRecordProcessors: env.OTEL_LOGS_EXPORTER ? undefined : [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has(pathOf(request.url)),
        startIncomingSpanHook: (request) => scrubbedUrl((request as IncomingMessage).url),
      }),
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: (route) => UNTRACED_PATHS.has(route.url),
        requestHook: (span, request) => span.setAttributes(scrubbedUrl(request.url)),
      }),
      // One span per resolver that does work, and one per list field rather than one per item.
      new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true, mergeItems: true }),
      // SQL and Redis commands are traced inside a request or one of Till's own spans; the workers'
      // sweeps every WORKER_INTERVAL_MS would otherwise fill the trace store with root spans.
      new PgInstrumentation({
        requireParentSpan: true,
        requestHook: (span, { query }) => span.setAttribute('db.query.text', statementShape(query.text)),
      }),
      // Redis keys and values name clients and carry payment events: only the command is recorded.
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
    ],
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
  return { shutdown: () => sdk.shutdown() };
}
