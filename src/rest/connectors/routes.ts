import type { FastifyInstance } from 'fastify';
import { ErrorCode, TillError } from '../../domain/errors.js';
import { BODY_LIMIT } from '../../http/json-body.js';
import { typed } from '../../http/typed-routes.js';
import { InvalidNotification } from '../../processors/connector.js';
import type { AcquirerNotifications } from '../../services/acquirer-notifications.js';
import { sendV1Error } from '../v1/errors.js';
import * as s from './schemas.js';

/**
 * Where acquirers send their webhooks, one URL per connector account. The body is kept as the exact
 * bytes received: signatures are computed over them.
 */
export async function connectorWebhookRoutes(
  instance: FastifyInstance,
  deps: { notifications: AcquirerNotifications },
) {
  const app = typed(instance);
  app.setErrorHandler((error, _request, reply) => sendV1Error(reply, error));
  // No not-found handler here: this scope has no prefix, so one would take over every unknown URL.
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    (_r, body, done) => done(null, body),
  );

  const receive = async (
    connector: 'stripe' | 'adyen',
    accountId: string,
    body: unknown,
    headers: Record<string, string | string[] | undefined>,
  ) => {
    if (typeof body !== 'string' || body === '')
      throw new TillError(ErrorCode.InvalidRequest, 'The body must be the acquirer’s JSON.', 'body');
    try {
      return await deps.notifications.receive(connector, accountId, body, headers);
    } catch (error) {
      if (error instanceof InvalidNotification)
        throw new TillError(
          ErrorCode.InvalidRequest,
          `The webhook was refused: ${error.message}`,
          'signature',
        );
      throw error;
    }
  };

  app.post('/connectors/stripe/:account_id/webhook', { schema: s.stripeWebhook }, async (request) => {
    await receive('stripe', request.params.account_id, request.body, request.headers);
    return { received: true as const };
  });

  app.post(
    '/connectors/adyen/:account_id/notifications',
    { schema: s.adyenNotifications },
    async (request, reply) => {
      await receive('adyen', request.params.account_id, request.body, request.headers);
      return reply.type('text/plain; charset=utf-8').send('[accepted]');
    },
  );
}
