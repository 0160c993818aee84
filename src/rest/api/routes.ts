import type { SqlEntityManager } from '@mikro-orm/sql';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, invalidFields, TillError } from '../../domain/errors.js';
import type { Authenticator } from '../../services/authenticator.js';
import type { ApiRateLimit } from '../../services/api-rate-limit.js';
import { rateLimitHeaders } from '../../http/rate-limit-headers.js';
import {
  IdempotencyService,
  idempotencyKeyProblem,
  type StoredResponse,
} from '../../services/idempotency.js';
import type { MerchantService } from '../../services/merchants.js';
import type { PaymentService } from '../../services/payments.js';
import type { Principal } from '../../services/principal.js';
import type { AuthorizationService } from '../../services/authorizations.js';
import type { RefundService } from '../../services/refunds.js';
import { toPaymentObject } from '../../services/payment-object.js';
import { sendApiError } from './errors.js';
import { parseApiPayment, propertyNamer } from './parse.js';
import * as s from './schemas.js';

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
export async function apiRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const flatName = propertyNamer('flat');
  const nestedName = propertyNamer('nested');
  app.setErrorHandler((error, request, reply) =>
    sendApiError(reply, error, request.url.startsWith('/api/sessions') ? nestedName : flatName),
  );
  app.setNotFoundHandler((request, reply) =>
    sendApiError(
      reply,
      new TillError(
        ErrorCode.NotFound,
        `Unrecognized request URL (${request.method}: ${request.url.split('?')[0]}).`,
        'url',
      ),
    ),
  );

  app.addHook('onRequest', async (request, reply) => {
    if (!request.headers.authorization)
      throw unauthenticated(
        'Authorization',
        'Authorization: Bearer <access_token> is required (POST /api/oauth2/login/token).',
      );
    const principal = await deps.auth.bearer(request.headers.authorization, ['access_token'], request.id);
    if (!principal)
      throw unauthenticated(
        'Authorization',
        'The access token is invalid, expired or revoked; obtain a new one.',
      );
    request.principal = principal;
    reply.headers(rateLimitHeaders(await deps.rateLimit.enforce(principal), false));
  });

  /** `x-api-key` must be present and belong to the token's merchant. */
  async function requireApiKey(request: FastifyRequest, required: boolean): Promise<void> {
    const header = request.headers['x-api-key'];
    if (header === undefined && !required) return;
    if (typeof header !== 'string' || header === '')
      throw unauthenticated('x-api-key', 'The x-api-key header is required.');
    const merchantId = await deps.merchants.merchantOfApiKey(header);
    if (!merchantId) throw unauthenticated('x-api-key', 'The x-api-key is invalid.');
    if (merchantId !== request.principal!.merchantId)
      throw new TillError(
        ErrorCode.Forbidden,
        'The x-api-key and the access token belong to different merchants.',
        'x-api-key',
      );
  }

  /** The Idempotency-Key header is optional here; when sent, SPEC §4's rules apply. */
  async function maybeIdempotent(
    request: FastifyRequest,
    reply: FastifyReply,
    operation: (tx?: SqlEntityManager) => Promise<StoredResponse>,
    options: { transactional?: boolean } = {},
  ): Promise<FastifyReply> {
    const key = request.headers['idempotency-key'];
    let result: StoredResponse & { replayed?: boolean };
    if (key === undefined) result = await operation();
    else {
      if (Array.isArray(key))
        throw new TillError(
          ErrorCode.InvalidRequest,
          'Send exactly one Idempotency-Key header.',
          'Idempotency-Key',
        );
      const problem = idempotencyKeyProblem(key);
      if (problem) throw new TillError(ErrorCode.InvalidRequest, problem, 'Idempotency-Key');
      const fingerprint = IdempotencyService.fingerprint(request.method, request.url, request.rawBody ?? '');
      result = await deps.idempotency.run(request.principal!, key, fingerprint, operation, options);
      if (result.replayed) reply.header('Idempotent-Replayed', 'true');
    }
    return reply.code(result.status).type('application/json; charset=utf-8').send(result.body);
  }

  async function create(
    principal: Principal,
    body: unknown,
    shape: 'flat' | 'nested',
    tx?: SqlEntityManager,
  ) {
    const { input, problems } = parseApiPayment(body, shape);
    const all = [...problems, ...(await deps.payments.validate(principal, input, tx))];
    if (all.length > 0) throw invalidFields(all);
    return deps.payments.createHostedPayment(principal, input, tx);
  }

  app.post('/hosted-payment-page', { schema: s.createHostedPaymentPage }, (request, reply) =>
    maybeIdempotent(
      request,
      reply,
      async (tx) => {
        const { payment, redirectUrl } = await create(request.principal!, request.body, 'flat', tx);
        // The redirect URL's token opens the checkout: a stored replay of this answer is sealed.
        return {
          status: 200,
          body: JSON.stringify({ redirect_url: redirectUrl, session_id: payment.sessionId }),
          secret: true,
        };
      },
      { transactional: true },
    ),
  );

  app.post('/sessions', { schema: s.createSession }, async (request, reply) => {
    await requireApiKey(request, true);
    // Read before the idempotent operation: inside it, only its transaction may touch the database.
    const clientKey = await deps.merchants.clientKeyOf(request.principal!.merchantId);
    return maybeIdempotent(
      request,
      reply,
      async (tx) => {
        const { payment, redirectUrl } = await create(request.principal!, request.body, 'nested', tx);
        return {
          status: 200,
          body: JSON.stringify({
            session_id: payment.sessionId,
            client_key: clientKey,
            redirect_url: redirectUrl,
          }),
          secret: true,
        };
      },
      { transactional: true },
    );
  });

  // After the page, by session id: the api dialect's capture, void and refunds (same services as v1).
  const sessionPayment = (request: FastifyRequest<{ Params: { sessionId: string } }>) =>
    deps.payments.getPaymentBySession(request.principal!, request.params.sessionId);
  const intField = (body: Record<string, unknown>, key: string) => {
    if (body[key] === undefined || body[key] === null) return undefined;
    if (typeof body[key] !== 'number' || !Number.isInteger(body[key]))
      throw new TillError(ErrorCode.InvalidRequest, `${key} must be an integer number of minor units`, key);
    return body[key] as number;
  };
  const bodyOf = (request: FastifyRequest) => {
    const body = request.body ?? {};
    if (typeof body !== 'object' || Array.isArray(body))
      throw new TillError(ErrorCode.InvalidRequest, 'The request body must be a JSON object', 'body');
    return body as Record<string, unknown>;
  };

  app.post<{ Params: { sessionId: string } }>(
    '/sessions/:sessionId/capture',
    { schema: s.captureSession },
    (request, reply) =>
      maybeIdempotent(request, reply, async () => {
        const amount = intField(bodyOf(request), 'amount');
        const payment = await deps.authorizations.capture(
          request.principal!,
          (await sessionPayment(request)).id,
          amount,
        );
        return { status: 200, body: JSON.stringify(toPaymentObject(payment, deps.publicUrl)) };
      }),
  );

  app.post<{ Params: { sessionId: string } }>(
    '/sessions/:sessionId/void',
    { schema: s.voidSession },
    (request, reply) =>
      maybeIdempotent(request, reply, async () => {
        const payment = await deps.authorizations.cancel(
          request.principal!,
          (await sessionPayment(request)).id,
        );
        return { status: 200, body: JSON.stringify(toPaymentObject(payment, deps.publicUrl)) };
      }),
  );

  app.post<{ Params: { sessionId: string } }>(
    '/sessions/:sessionId/refunds',
    { schema: s.refundSession },
    (request, reply) =>
      maybeIdempotent(request, reply, async () => {
        const body = bodyOf(request);
        if (body.reason !== undefined && typeof body.reason !== 'string')
          throw new TillError(ErrorCode.InvalidRequest, 'reason must be a string', 'reason');
        const refund = await deps.refunds.create(request.principal!, (await sessionPayment(request)).id, {
          amount: intField(body, 'amount'),
          reason: body.reason as string | undefined,
        });
        return { status: 200, body: JSON.stringify(refund) };
      }),
  );

  app.get<{ Params: { sessionId: string } }>(
    '/sessions/:sessionId',
    { schema: s.getSession },
    async (request) => {
      await requireApiKey(request, false);
      const p = await deps.payments.getPaymentBySession(request.principal!, request.params.sessionId);
      return {
        session_id: p.sessionId,
        status: p.status,
        payment_id: p.id,
        reference: p.merchantReference,
        amount: p.amount,
        currency: p.currency,
        transaction_type: p.transactionType,
        terminal_id: p.terminalId,
        decline_code: p.declineCode ?? null,
        created_at: Math.floor(p.createdAt.getTime() / 1000),
        expires_at: Math.floor(p.expiresAt.getTime() / 1000),
      };
    },
  );
}
