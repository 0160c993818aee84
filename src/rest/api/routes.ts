import type { SqlEntityManager } from '@mikro-orm/sql';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, TillError } from '../../domain/errors.js';
import type { Authenticator } from '../../services/authenticator.js';
import type { ApiRateLimit } from '../../services/api-rate-limit.js';
import { authenticateHook, principalOf } from '../../http/pipeline/authenticate.js';
import { minorUnitsParam, objectBody, textParam } from '../../http/pipeline/body-params.js';
import { idempotentReplies } from '../../http/pipeline/idempotency.js';
import { unrecognizedUrl } from '../../http/pipeline/unrecognized.js';
import type { IdempotencyService } from '../../services/idempotency.js';
import type { MerchantService } from '../../services/merchants.js';
import type { PaymentService } from '../../services/payments.js';
import type { Principal } from '../../services/principal.js';
import type { AuthorizationService } from '../../services/authorizations.js';
import type { RefundService } from '../../services/refunds.js';
import { sendApiError } from './errors.js';
import { parseApiPayment, propertyNamer } from './parse.js';
import { v1Payment, v1Refund } from '../v1/payment.view.js';
import { sessionView } from './session.view.js';
import * as s from './schemas.js';
import { typed } from '../../http/typed-routes.js';

export interface ApiDeps {
  auth: Authenticator;
  rateLimit: ApiRateLimit;
  merchants: MerchantService;
  payments: PaymentService;
  idempotency: IdempotencyService;
  authorizations: AuthorizationService;
  refunds: RefundService;
  publicUrl: string;
}

const unauthenticated = (property: string, message: string) =>
  new TillError(ErrorCode.Unauthenticated, message, property);

/**
 * Seed 000's "api" dialect: hosted sessions with an OIDC access token (plus `x-api-key` on
 * /api/sessions). Routes and shape translation only; PaymentService does the work.
 */
export async function apiRoutes(instance: FastifyInstance, deps: ApiDeps): Promise<void> {
  const app = typed(instance);
  const flatName = propertyNamer('flat');
  const nestedName = propertyNamer('nested');
  app.setErrorHandler((error, request, reply) =>
    sendApiError(reply, error, request.url.startsWith('/api/sessions') ? nestedName : flatName),
  );
  app.setNotFoundHandler((request, reply) => sendApiError(reply, unrecognizedUrl(request, 'url')));

  app.addHook(
    'onRequest',
    authenticateHook(deps, {
      accepted: ['access_token'],
      missing: 'Authorization: Bearer <access_token> is required (POST /api/oauth2/login/token).',
      invalid: 'The access token is invalid, expired or revoked; obtain a new one.',
      field: 'Authorization',
    }),
  );

  /** `x-api-key` must be present and belong to the token's merchant. */
  async function requireApiKey(request: FastifyRequest, required: boolean): Promise<void> {
    const header = request.headers['x-api-key'];
    if (header === undefined && !required) return;
    if (typeof header !== 'string' || header === '')
      throw unauthenticated('x-api-key', 'The x-api-key header is required.');
    const merchantId = await deps.merchants.merchantOfApiKey(header);
    if (!merchantId) throw unauthenticated('x-api-key', 'The x-api-key is invalid.');
    if (merchantId !== principalOf(request).merchantId)
      throw new TillError(
        ErrorCode.Forbidden,
        'The x-api-key and the access token belong to different merchants.',
        'x-api-key',
      );
  }

  /** The Idempotency-Key header is optional here; when sent, the same rules as on v1 apply. */
  const maybeIdempotent = idempotentReplies(deps.idempotency, { required: false });

  async function create(
    principal: Principal,
    body: unknown,
    shape: 'flat' | 'nested',
    tx?: SqlEntityManager,
  ) {
    const { input, problems } = parseApiPayment(body, shape);
    return deps.payments.createHostedPayment(principal, input, tx, problems);
  }

  /**
   * A hosted session created from the request body under the request's optional key, answered as
   * `answer` shapes it. The redirect URL's token opens the checkout: a stored replay is sealed.
   */
  const createSession = (
    request: FastifyRequest,
    reply: FastifyReply,
    shape: 'flat' | 'nested',
    answer: (created: Awaited<ReturnType<typeof create>>) => Record<string, unknown>,
  ) =>
    maybeIdempotent(
      request,
      reply,
      async (tx) => ({
        status: 200,
        body: JSON.stringify(answer(await create(principalOf(request), request.body, shape, tx))),
        secret: true,
      }),
      { transactional: true },
    );

  app.post('/hosted-payment-page', { schema: s.createHostedPaymentPage }, (request, reply) =>
    createSession(request, reply, 'flat', ({ payment, redirectUrl }) => ({
      redirect_url: redirectUrl,
      session_id: payment.sessionId,
    })),
  );

  app.post('/sessions', { schema: s.createSession }, async (request, reply) => {
    await requireApiKey(request, true);
    // Read before the idempotent operation: inside it, only its transaction may touch the database.
    const clientKey = await deps.merchants.clientKeyOf(principalOf(request).merchantId);
    return createSession(request, reply, 'nested', ({ payment, redirectUrl }) => ({
      session_id: payment.sessionId,
      client_key: clientKey,
      redirect_url: redirectUrl,
    }));
  });

  // After the page, by session id: the api dialect's capture, void and refunds (same services as v1).
  const sessionPayment = (request: FastifyRequest<{ Params: { sessionId: string } }>) =>
    deps.payments.getPaymentBySession(principalOf(request), request.params.sessionId);
  app.post('/sessions/:sessionId/capture', { schema: s.captureSession }, (request, reply) =>
    maybeIdempotent(request, reply, async () => {
      const amount = minorUnitsParam(objectBody(request.body), 'amount', { nullIsAbsent: true });
      const payment = await deps.authorizations.capture(
        principalOf(request),
        (await sessionPayment(request)).id,
        amount,
      );
      return { status: 200, body: JSON.stringify(v1Payment(payment, deps.publicUrl)) };
    }),
  );

  app.post('/sessions/:sessionId/void', { schema: s.voidSession }, (request, reply) =>
    maybeIdempotent(request, reply, async () => {
      const payment = await deps.authorizations.cancel(
        principalOf(request),
        (await sessionPayment(request)).id,
      );
      return { status: 200, body: JSON.stringify(v1Payment(payment, deps.publicUrl)) };
    }),
  );

  app.post('/sessions/:sessionId/refunds', { schema: s.refundSession }, (request, reply) =>
    maybeIdempotent(request, reply, async () => {
      const body = objectBody(request.body);
      const refund = await deps.refunds.create(principalOf(request), (await sessionPayment(request)).id, {
        amount: minorUnitsParam(body, 'amount', { nullIsAbsent: true }),
        reason: textParam(body, 'reason'),
      });
      return { status: 200, body: JSON.stringify(v1Refund(refund)) };
    }),
  );

  app.get('/sessions/:sessionId', { schema: s.getSession }, async (request) => {
    await requireApiKey(request, false);
    return sessionView(
      await deps.payments.getPaymentBySession(principalOf(request), request.params.sessionId),
    );
  });
}
