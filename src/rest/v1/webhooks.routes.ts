import { listWindow } from '../../http/list-params.js';
import { principalOf } from '../../http/pipeline/authenticate.js';
import { bodyParams } from '../../http/pipeline/body-params.js';
import type { V1Context } from './context.js';
import * as s from './schemas.js';
import type { TypedApp } from '../../http/typed-routes.js';

/** `/v1/webhook_endpoints`: create (the `whsec_` secret shown once), list, read, update, delete, rotate, deliveries. */
export function webhookRoutes(app: TypedApp, { deps, idempotent }: V1Context): void {
  const ok = (value: unknown) => ({ status: 200, body: JSON.stringify(value) });
  /** An answer that shows a new `whsec_` secret: its stored replay is sealed. */
  const withSecret = (value: unknown) => ({ ...ok(value), secret: true });

  app.post('/webhook_endpoints', { schema: s.createWebhookEndpoint }, (request, reply) =>
    idempotent(request, reply, async () => {
      const body = bodyParams(request.body, ['url', 'enabled_events', 'description']);
      return withSecret(await deps.webhooks.create(principalOf(request), body));
    }),
  );

  app.get('/webhook_endpoints', { schema: s.listWebhookEndpoints }, async (request) => ({
    object: 'list',
    url: '/v1/webhook_endpoints',
    has_more: false,
    data: await deps.webhooks.list(principalOf(request)),
  }));

  app.get('/webhook_endpoints/:id', { schema: s.getWebhookEndpoint }, async (request) =>
    deps.webhooks.get(principalOf(request), request.params.id),
  );

  app.post('/webhook_endpoints/:id', { schema: s.updateWebhookEndpoint }, (request, reply) =>
    idempotent(request, reply, async () => {
      const body = bodyParams(request.body, ['url', 'enabled_events', 'description', 'disabled']);
      return ok(await deps.webhooks.update(principalOf(request), request.params.id, body));
    }),
  );

  app.delete('/webhook_endpoints/:id', { schema: s.deleteWebhookEndpoint }, async (request) =>
    deps.webhooks.delete(principalOf(request), request.params.id),
  );

  app.post('/webhook_endpoints/:id/rotate_secret', { schema: s.rotateWebhookSecret }, (request, reply) =>
    idempotent(request, reply, async () => {
      const body = bodyParams(request.body, ['grace_period_seconds']);
      return withSecret(
        await deps.webhooks.rotateSecret(
          principalOf(request),
          request.params.id,
          body.grace_period_seconds ?? 86400,
        ),
      );
    }),
  );

  app.get('/webhook_endpoints/:id/deliveries', { schema: s.listDeliveries }, async (request) => {
    const { limit } = listWindow(
      { limit: request.query.limit === undefined ? undefined : Number(request.query.limit), cursor: null },
      { limit: 'limit', cursor: 'starting_after' },
      { fallback: 20 },
    );
    return {
      object: 'list',
      url: `/v1/webhook_endpoints/${request.params.id}/deliveries`,
      has_more: false,
      data: await deps.webhooks.deliveries(principalOf(request), request.params.id, limit),
    };
  });

  app.post(
    '/webhook_endpoints/:id/deliveries/:deliveryId/redeliver',
    { schema: s.redeliver },
    (request, reply) =>
      idempotent(request, reply, async () =>
        ok(await deps.webhooks.redeliver(principalOf(request), request.params.id, request.params.deliveryId)),
      ),
  );
}
