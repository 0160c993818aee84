import { principalOf } from '../../http/pipeline/authenticate.js';
import { bodyParams, minorUnitsParam, textParam } from '../../http/pipeline/body-params.js';
import type { V1Context } from './context.js';
import { v1Refund } from './payment.view.js';
import * as s from './schemas.js';
import type { TypedApp } from '../../http/typed-routes.js';

/** `POST /v1/payments/{id}/refunds` and `GET /v1/payments/{id}/refunds`. */
export function refundRoutes(app: TypedApp, { deps, idempotent }: V1Context): void {
  app.post('/payments/:id/refunds', { schema: s.createRefund }, (request, reply) =>
    idempotent(request, reply, async () => {
      const body = bodyParams(request.body, ['amount', 'reason']);
      const refund = await deps.refunds.create(principalOf(request), request.params.id, {
        amount: minorUnitsParam(body, 'amount'),
        reason: textParam(body, 'reason'),
      });
      return { status: 200, body: JSON.stringify(v1Refund(refund)) };
    }),
  );

  app.get('/payments/:id/refunds', { schema: s.listRefunds }, async (request) => {
    const data = await deps.refunds.list(principalOf(request), request.params.id);
    return {
      object: 'list',
      url: `/v1/payments/${request.params.id}/refunds`,
      has_more: false,
      data: data.map(v1Refund),
    };
  });
}
