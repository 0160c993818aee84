import { Type } from '@fastify/type-provider-typebox';
import { routeSchema } from './typed-routes.js';

/** The operations routes' schemas, for the OpenAPI document. */

const TAGS = ['Operations'];

export const healthz = routeSchema({
  operationId: 'getHealth',
  tags: TAGS,
  summary: 'Liveness: the process answers',
  security: [],
  response: { 200: Type.Object({ status: Type.Literal('ok') }, { description: 'Alive' }) },
});

const Readiness = (description: string) =>
  Type.Object(
    {
      status: Type.Union([Type.Literal('ready'), Type.Literal('draining'), Type.Literal('unavailable')]),
      checks: Type.Record(Type.String(), Type.Union([Type.Literal('ok'), Type.Literal('down')])),
    },
    { description },
  );

export const readyz = routeSchema({
  operationId: 'getReadiness',
  tags: TAGS,
  summary: 'Readiness: every dependency (database, Redis) answers and the instance is not draining',
  security: [],
  response: { 200: Readiness('Ready'), 503: Readiness('Not ready, or draining') },
});

export const metrics = routeSchema({
  operationId: 'getMetrics',
  tags: TAGS,
  summary: 'Prometheus metrics',
  security: [{ metricsToken: [] }, {}],
  response: {
    200: {
      description: 'Metrics in the Prometheus text format',
      content: { 'text/plain': { schema: Type.String() } },
    },
    401: Type.Object({ error: Type.String() }, { description: 'METRICS_TOKEN is set and was not sent' }),
  },
});
