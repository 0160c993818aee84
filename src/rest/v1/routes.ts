import type { FastifyInstance } from 'fastify';
import { invalid } from '../../domain/errors.js';
import { PAYMENT_STATUSES, type PaymentStatus } from '../../domain/payment-status.js';
import { parseListQuery, unknownCursor } from '../../http/list-params.js';
import { authenticateHook, principalOf } from '../../http/pipeline/authenticate.js';
import { bodyParams, minorUnitsParam } from '../../http/pipeline/body-params.js';
import { idempotentReplies } from '../../http/pipeline/idempotency.js';
import { unrecognizedUrl } from '../../http/pipeline/unrecognized.js';
import { sendV1Error } from './errors.js';
import { v1Payment } from './payment.view.js';
import { parseCreateHppPayment } from './payment-create.parse.js';
import type { V1Context, V1Deps } from './context.js';
import { eventRoutes } from './events.routes.js';
import { refundRoutes } from './refunds.routes.js';
import { webhookRoutes } from './webhooks.routes.js';
import * as s from './schemas.js';
import { typed } from '../../http/typed-routes.js';

/** Seed 004's REST dialect under /v1: routes and shape translation only; the services do the work. */
export async function v1Routes(instance: FastifyInstance, deps: V1Deps): Promise<void> {
  const app = typed(instance);
  app.setErrorHandler((error, _request, reply) => sendV1Error(reply, error));
  app.setNotFoundHandler((request, reply) => sendV1Error(reply, unrecognizedUrl(request)));

  app.addHook(
    'onRequest',
    authenticateHook(deps, {
      accepted: ['secret_key'],
      missing:
        'You did not provide an API key. Send it as Authorization: Bearer api_test_sk_… (or api_live_sk_…).',
      invalid:
        'Invalid API key provided (revoked, expired or unknown). Use a secret key (api_test_sk_… or api_live_sk_…) as the Bearer token.',
    }),
  );

  const payment = (p: Parameters<typeof v1Payment>[0]) => v1Payment(p, deps.publicUrl);

  /** Every v1 POST: Idempotency-Key required, same key + same request → the stored bytes. */
  const idempotent = idempotentReplies(deps.idempotency, { required: true });

  app.post('/payments/hpp', { schema: s.createHppPayment }, (request, reply) =>
    idempotent(
      request,
      reply,
      async (tx) => {
        const input = parseCreateHppPayment(request.body);
        // The v1 Payment is the event's object: the service's JSON of it is the answer's body. The
        // payment's writes go with the stored key, in one statement.
        const created = await deps.payments.stageHostedPayment(principalOf(request), input, tx);
        return { status: 200, body: created.payloadJson, writes: created.writes };
      },
      { transactional: true },
    ),
  );

  app.get('/payments/:id', { schema: s.getPayment }, async (request) =>
    payment(await deps.payments.getPayment(principalOf(request), request.params.id)),
  );

  app.get('/payments', { schema: s.listPayments }, async (request) => {
    const { limit, startingAfter, filters } = parseListQuery(request.query, ['status']);
    const status = filters.status;
    if (status !== undefined && !(PAYMENT_STATUSES as readonly string[]).includes(status))
      throw invalid('status', `status must be one of ${PAYMENT_STATUSES.join(', ')}`);
    const page = await deps.payments
      .listPayments(principalOf(request), {
        limit,
        startingAfter,
        status: (status as PaymentStatus | undefined) ?? null,
      })
      .catch(unknownCursor('payment', startingAfter));
    return { object: 'list', url: '/v1/payments', has_more: page.hasMore, data: page.data.map(payment) };
  });

  app.post('/payments/:id/cancel', { schema: s.cancelPayment }, (request, reply) =>
    idempotent(request, reply, async (tx) => {
      bodyParams(request.body, []);
      const canceled = await deps.authorizations.cancel(principalOf(request), request.params.id, tx);
      return { status: 200, body: JSON.stringify(payment(canceled)) };
    }),
  );

  app.post('/payments/:id/capture', { schema: s.capturePayment }, (request, reply) =>
    idempotent(request, reply, async () => {
      const body = bodyParams(request.body, ['amount']);
      const captured = await deps.authorizations.capture(
        principalOf(request),
        request.params.id,
        minorUnitsParam(body, 'amount'),
      );
      return { status: 200, body: JSON.stringify(payment(captured)) };
    }),
  );

  const context: V1Context = { deps, idempotent };
  refundRoutes(app, context);
  webhookRoutes(app, context);
  eventRoutes(app, context);
}
