import { invalid } from '../../domain/errors.js';
import { EVENT_TYPES } from '../../events/topics.js';
import { parseListQuery, unknownCursor } from '../../http/list-params.js';
import { principalOf } from '../../http/pipeline/authenticate.js';
import type { V1Context } from './context.js';
import * as s from './schemas.js';
import type { TypedApp } from '../../http/typed-routes.js';

/** `GET /v1/events` (cursor, type filter) and `GET /v1/events/{id}`. */
export function eventRoutes(app: TypedApp, { deps }: V1Context): void {
  app.get('/events', { schema: s.listEvents }, async (request) => {
    const { limit, startingAfter, filters } = parseListQuery(request.query, ['type']);
    const type = filters.type;
    const prefixes = new Set(EVENT_TYPES.map((t) => `${t.split('.')[0]}.*`));
    if (type !== undefined && !(EVENT_TYPES as readonly string[]).includes(type) && !prefixes.has(type))
      throw invalid('type', `type must be an event type (${EVENT_TYPES.join(', ')}) or payment.* / refund.*`);
    const page = await deps.events
      .list(principalOf(request), { limit, startingAfter, type })
      .catch(unknownCursor('event', startingAfter));
    return { object: 'list', url: '/v1/events', has_more: page.hasMore, data: page.data };
  });

  app.get('/events/:id', { schema: s.getEvent }, async (request) =>
    deps.events.get(principalOf(request), request.params.id),
  );
}
