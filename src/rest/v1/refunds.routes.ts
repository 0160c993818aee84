import type { FastifyInstance } from 'fastify';
import { invalid } from '../../domain/errors.js';
import type { V1Context } from './context.js';
import * as s from './schemas.js';

/** `POST /v1/payments/{id}/refunds` and `GET /v1/payments/{id}/refunds`. */
export function refundRoutes(app: FastifyInstance, { deps, idempotent, principalOf }: V1Context): void {
  app.post<{ Params: { id: string } }>(
    '/payments/:id/refunds',
    { schema: s.createRefund },
    (request, reply) =>
      idempotent(request, reply, async () => {
        const body = (request.body ?? {}) as Record<string, unknown>;
        if (typeof body !== 'object' || Array.isArray(body))
          throw invalid('body', 'Send a JSON object: {"amount": …, "reason": …}');
        for (const key of Object.keys(body))
          if (key !== 'amount' && key !== 'reason') throw invalid(key, `Received unknown parameter: ${key}`);
        if (body.amount !== undefined && (typeof body.amount !== 'number' || !Number.isInteger(body.amount)))
          throw invalid('amount', 'amount must be an integer number of minor units');
        if (body.reason !== undefined && typeof body.reason !== 'string')
          throw invalid('reason', 'reason must be a string');
        const refund = await deps.refunds.create(principalOf(request), request.params.id, {
          amount: body.amount as number | undefined,
          reason: body.reason as string | undefined,
        });
        return { status: 200, body: JSON.stringify(refund) };
      }),
  );

  app.get<{ Params: { id: string } }>('/payments/:id/refunds', { schema: s.listRefunds }, async (request) => {
    const data = await deps.refunds.list(principalOf(request), request.params.id);
    return { object: 'list', url: `/v1/payments/${request.params.id}/refunds`, has_more: false, data };
  });
}
