import type { FastifyInstance } from 'fastify';
import { ErrorCode, invalid, TillError } from '../../domain/errors.js';
import { EVENT_TYPES } from '../../webhooks/endpoints.js';
import { parseListQuery } from '../../http/list-params.js';
import type { V1Context } from './context.js';
import * as s from './schemas.js';

/** `GET /v1/events` (cursor, type filter) and `GET /v1/events/{id}`. */
export function eventRoutes(app: FastifyInstance, { deps, principalOf }: V1Context): void {
  app.get<{ Querystring: Record<string, string | string[]> }>(
    '/events',
    { schema: s.listEvents },
    async (request) => {
      const { limit, startingAfter, filters } = parseListQuery(request.query, ['type']);
      const type = filters.type;
      const prefixes = new Set(EVENT_TYPES.map((t) => `${t.split('.')[0]}.*`));
      if (type !== undefined && !(EVENT_TYPES as readonly string[]).includes(type) && !prefixes.has(type))
        throw invalid(
          'type',
          `type must be an event type (${EVENT_TYPES.join(', ')}) or payment.* / refund.*`,
        );
      const page = await deps.events
        .list(principalOf(request), { limit, startingAfter, type })
        .catch((error: unknown) => {
          if (error instanceof TillError && error.code === ErrorCode.NotFound)
            throw invalid('starting_after', `starting_after: no such event '${startingAfter}'`);
          throw error;
        });
      return { object: 'list', url: '/v1/events', has_more: page.hasMore, data: page.data };
    },
  );

  app.get<{ Params: { id: string } }>('/events/:id', { schema: s.getEvent }, async (request) =>
    deps.events.get(principalOf(request), request.params.id),
  );
}
