import type { SqlEntityManager } from '@mikro-orm/sql';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, invalidFields, TillError } from '../../domain/errors.js';
import { bearerToken } from '../../graphql/context.js';
import {
  IdempotencyService,
  idempotencyKeyProblem,
  type StoredResponse,
} from '../../services/idempotency.js';
import type { MerchantService } from '../../services/merchants.js';
import type { PaymentService } from '../../services/payments.js';
import type { Principal } from '../../services/principal.js';
import type { TokenService } from '../../services/tokens.js';
import { sendApiError } from './errors.js';
import { parseApiPayment, propertyNamer } from './parse.js';

export interface ApiDeps {
  merchants: MerchantService;
  payments: PaymentService;
  idempotency: IdempotencyService;
  tokens: TokenService;
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

  app.addHook('onRequest', async (request) => {
    if (!request.headers.authorization)
      throw unauthenticated(
        'Authorization',
        'Authorization: Bearer <access_token> is required (POST /api/oauth2/login/token).',
      );
    const token = bearerToken(request.headers.authorization);
    const principal = token ? await deps.tokens.verify(token) : null;
    if (!principal)
      throw unauthenticated('Authorization', 'The access token is invalid or expired; obtain a new one.');
    request.principal = principal;
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
      result = await deps.idempotency.run(request.principal!, key, fingerprint, operation, {
        transactional: true,
      });
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

  app.post('/hosted-payment-page', (request, reply) =>
    maybeIdempotent(request, reply, async (tx) => {
      const { payment, redirectUrl } = await create(request.principal!, request.body, 'flat', tx);
      return {
        status: 200,
        body: JSON.stringify({ redirect_url: redirectUrl, session_id: payment.sessionId }),
      };
    }),
  );

  app.post('/sessions', async (request, reply) => {
    await requireApiKey(request, true);
    return maybeIdempotent(request, reply, async (tx) => {
      const { payment, redirectUrl } = await create(request.principal!, request.body, 'nested', tx);
      const clientKey = await deps.merchants.clientKeyOf(payment.merchantId);
      return {
        status: 200,
        body: JSON.stringify({
          session_id: payment.sessionId,
          client_key: clientKey,
          redirect_url: redirectUrl,
        }),
      };
    });
  });

  app.get<{ Params: { sessionId: string } }>('/sessions/:sessionId', async (request) => {
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
  });
}
