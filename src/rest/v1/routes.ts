import type { SqlEntityManager } from '@mikro-orm/sql';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, invalid, TillError } from '../../domain/errors.js';
import { PAYMENT_STATUSES, type PaymentStatus } from '../../domain/payment-status.js';
import { LIMITS } from '../../domain/payment.js';
import {
  IdempotencyService,
  idempotencyKeyProblem,
  type StoredResponse,
} from '../../services/idempotency.js';
import { toPaymentObject } from '../../services/payment-object.js';
import type { Principal } from '../../services/principal.js';
import { rateLimitHeaders } from '../../http/rate-limit-headers.js';
import { parseListQuery } from '../../http/list-params.js';
import { sendV1Error } from './errors.js';
import { parseCreateHppPayment } from './payment-create.parse.js';
import type { V1Context, V1Deps } from './context.js';
import { eventRoutes } from './events.routes.js';
import { refundRoutes } from './refunds.routes.js';
import { webhookRoutes } from './webhooks.routes.js';
import * as s from './schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    rawBody?: string;
  }
}

const principalOf = (request: FastifyRequest) => request.principal!;

/** Seed 004's REST dialect under /v1: routes and shape translation only; the services do the work. */
export async function v1Routes(app: FastifyInstance, deps: V1Deps): Promise<void> {
  app.setErrorHandler((error, _request, reply) => sendV1Error(reply, error));
  app.setNotFoundHandler((request, reply) =>
    sendV1Error(
      reply,
      new TillError(
        ErrorCode.NotFound,
        `Unrecognized request URL (${request.method}: ${request.url.split('?')[0]}).`,
      ),
    ),
  );

  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization;
    if (!header)
      throw new TillError(
        ErrorCode.Unauthenticated,
        'You did not provide an API key. Send it as Authorization: Bearer api_test_sk_… (or api_live_sk_…).',
      );
    const principal = await deps.auth.bearer(header, ['secret_key'], request.id);
    if (!principal)
      throw new TillError(
        ErrorCode.Unauthenticated,
        'Invalid API key provided (revoked, expired or unknown). Use a secret key (api_test_sk_… or api_live_sk_…) as the Bearer token.',
      );
    request.principal = principal;
    reply.headers(rateLimitHeaders(await deps.rateLimit.enforce(principal), false));
  });

  const payment = (p: Parameters<typeof toPaymentObject>[0]) => toPaymentObject(p, deps.publicUrl);

  /** Every v1 POST: Idempotency-Key required, same key + same request → the stored bytes. */
  async function idempotent(
    request: FastifyRequest,
    reply: FastifyReply,
    operation: (tx: SqlEntityManager | undefined) => Promise<StoredResponse>,
    options: { transactional?: boolean } = {},
  ): Promise<FastifyReply> {
    const key = request.headers['idempotency-key'];
    if (key === undefined)
      throw invalid('Idempotency-Key', 'The Idempotency-Key header is required on POST requests.');
    if (Array.isArray(key)) throw invalid('Idempotency-Key', 'Send exactly one Idempotency-Key header.');
    const problem = idempotencyKeyProblem(key);
    if (problem) throw invalid('Idempotency-Key', problem);
    const fingerprint = IdempotencyService.fingerprint(request.method, request.url, request.rawBody ?? '');
    const result = await deps.idempotency.run(principalOf(request), key, fingerprint, operation, options);
    if (result.replayed) reply.header('Idempotent-Replayed', 'true');
    return reply.code(result.status).type('application/json; charset=utf-8').send(result.body);
  }

  app.post('/payments/hpp', { schema: s.createHppPayment }, (request, reply) =>
    idempotent(
      request,
      reply,
      async (tx) => {
        const input = parseCreateHppPayment(request.body);
        const { payment: created } = await deps.payments.createHostedPayment(principalOf(request), input, tx);
        return { status: 200, body: JSON.stringify(payment(created)) };
      },
      { transactional: true },
    ),
  );

  app.get<{ Params: { id: string } }>('/payments/:id', { schema: s.getPayment }, async (request) =>
    payment(await deps.payments.getPayment(principalOf(request), request.params.id)),
  );

  app.get<{ Querystring: Record<string, string | string[]> }>(
    '/payments',
    { schema: s.listPayments },
    async (request) => {
      const { limit, startingAfter, filters } = parseListQuery(request.query, ['status'], {
        fallback: LIMITS.listDefault,
        max: LIMITS.listMax,
      });
      const status = filters.status;
      if (status !== undefined && !(PAYMENT_STATUSES as readonly string[]).includes(status))
        throw invalid('status', `status must be one of ${PAYMENT_STATUSES.join(', ')}`);
      const page = await deps.payments
        .listPayments(principalOf(request), {
          limit,
          startingAfter,
          status: (status as PaymentStatus | undefined) ?? null,
        })
        .catch((error: unknown) => {
          // A cursor that names no payment of this merchant is a bad parameter, not a missing resource.
          if (error instanceof TillError && error.code === ErrorCode.NotFound)
            throw invalid('starting_after', `starting_after: no such payment '${startingAfter}'`);
          throw error;
        });
      return { object: 'list', url: '/v1/payments', has_more: page.hasMore, data: page.data.map(payment) };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/payments/:id/cancel',
    { schema: s.cancelPayment },
    (request, reply) =>
      idempotent(request, reply, async (tx) => {
        const body = request.body;
        if (
          body !== undefined &&
          body !== null &&
          (typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length > 0)
        )
          throw invalid(
            Object.keys(body as object)[0] ?? 'body',
            'This endpoint takes no parameters in the body.',
          );
        const canceled = await deps.authorizations.cancel(principalOf(request), request.params.id, tx);
        return { status: 200, body: JSON.stringify(payment(canceled)) };
      }),
  );

  app.post<{ Params: { id: string } }>(
    '/payments/:id/capture',
    { schema: s.capturePayment },
    (request, reply) =>
      idempotent(request, reply, async () => {
        const body = (request.body ?? {}) as Record<string, unknown>;
        if (typeof body !== 'object' || Array.isArray(body))
          throw invalid('body', 'Send a JSON object: {"amount": …}');
        for (const key of Object.keys(body))
          if (key !== 'amount') throw invalid(key, `Received unknown parameter: ${key}`);
        if (body.amount !== undefined && (typeof body.amount !== 'number' || !Number.isInteger(body.amount)))
          throw invalid('amount', 'amount must be an integer number of minor units');
        const captured = await deps.authorizations.capture(
          principalOf(request),
          request.params.id,
          body.amount as number | undefined,
        );
        return { status: 200, body: JSON.stringify(payment(captured)) };
      }),
  );

  const context: V1Context = { deps, idempotent, principalOf };
  refundRoutes(app, context);
  webhookRoutes(app, context);
  eventRoutes(app, context);
}
