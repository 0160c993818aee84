import type { FastifyInstance } from 'fastify';
import { ErrorCode, invalid, TillError } from '../../domain/errors.js';
import { EVENT_TYPES } from '../../webhooks/endpoints.js';
import type { V1Context } from './routes.js';

/** `GET /v1/events` (cursor, type filter) and `GET /v1/events/{id}`. */
export function eventRoutes(app: FastifyInstance, { deps, principalOf }: V1Context): void {
  app.get<{ Querystring: Record<string, string | string[]> }>('/events', async (request) => {
    const q = request.query;
    for (const key of Object.keys(q))
      if (!['limit', 'starting_after', 'type'].includes(key))
        throw invalid(key, `Received unknown parameter: ${key}`);
    const one = (key: string) => {
      const v = q[key];
      if (Array.isArray(v)) throw invalid(key, `${key} may be given only once`);
      return v;
    };
    const limitRaw = one('limit');
    const limit = limitRaw === undefined ? 10 : Number(limitRaw);
    if (!/^\d{1,3}$/.test(limitRaw ?? '10') || limit < 1 || limit > 100)
      throw invalid('limit', 'limit must be an integer from 1 to 100');
    const type = one('type');
    const prefixes = new Set(EVENT_TYPES.map((t) => `${t.split('.')[0]}.*`));
    if (type !== undefined && !(EVENT_TYPES as readonly string[]).includes(type) && !prefixes.has(type))
      throw invalid('type', `type must be an event type (${EVENT_TYPES.join(', ')}) or payment.* / refund.*`);
    const startingAfter = one('starting_after');
    const page = await deps.events
      .list(principalOf(request), { limit, startingAfter, type })
      .catch((error: unknown) => {
        if (error instanceof TillError && error.code === ErrorCode.NotFound)
          throw invalid('starting_after', `starting_after: no such event '${startingAfter}'`);
        throw error;
      });
    return { object: 'list', url: '/v1/events', has_more: page.hasMore, data: page.data };
  });

  app.get<{ Params: { id: string } }>('/events/:id', async (request) =>
    deps.events.get(principalOf(request), request.params.id),
  );
}
