import {
  SpanStatusCode,
  trace,
  TraceFlags,
  type Link,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';

/**
 * Till's own spans, for the work no instrumentation sees: the outbox relay publishing a batch and
 * each webhook attempt. Only `@opentelemetry/api` is used here, so without the SDK (tracing off)
 * every call is a no-op.
 */
export const tracer = trace.getTracer('till');

/** Attribute names of Till's own spans, each defined once. */
export const TillAttributes = {
  eventIds: 'till.event.ids',
  eventTypes: 'till.event.types',
  eventId: 'till.event.id',
  eventType: 'till.event.type',
  webhookDeliveries: 'till.webhook.deliveries',
  webhookDeliveryId: 'till.webhook.delivery_id',
  webhookEndpointId: 'till.webhook.endpoint_id',
  webhookAttempt: 'till.webhook.attempt',
  webhookOutcome: 'till.webhook.outcome',
} as const;

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The active span as a W3C `traceparent`, or null when nothing is being traced. An event row keeps
 * it, so whoever publishes or delivers the event later — on any instance — can link back to the
 * request that committed it. Till writes this format itself rather than through the configured
 * propagator: it is a stored value, and must read the same whatever `OTEL_PROPAGATORS` says.
 */
export function activeTraceparent(): string | null {
  const active = trace.getActiveSpan()?.spanContext();
  if (!active || !trace.isSpanContextValid(active)) return null;
  const flags = (active.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  return `00-${active.traceId}-${active.spanId}-${flags}`;
}

/** A link to the span a stored `traceparent` names (see `activeTraceparent`), or none. */
export function linkTo(traceparent: string | null | undefined, attributes: Link['attributes'] = {}): Link[] {
  const match = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!match) return [];
  const context: SpanContext = {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: parseInt(match[3]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  return trace.isSpanContextValid(context) ? [{ context, attributes }] : [];
}

/** Marks a span failed with the error that ended its work. */
export function recordFailure(span: Span | undefined, error: unknown): void {
  if (!span) return;
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}
