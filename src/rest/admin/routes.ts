import type { FastifyInstance, FastifyRequest } from 'fastify';
import { safeEqual } from '../../crypto/safe-equal.js';
import { ErrorCode, invalid, notFound, TillError } from '../../domain/errors.js';
import { parseListQuery, unknownCursor, type QueryString } from '../../http/list-params.js';
import { bodyParams } from '../../http/pipeline/body-params.js';
import { unrecognizedUrl } from '../../http/pipeline/unrecognized.js';
import type { ApiKeyService } from '../../services/api-keys.js';
import type { AuditLog } from '../../services/audit.js';
import { bearerToken } from '../../services/authenticator.js';
import type { MerchantService } from '../../services/merchants.js';
import type { ConnectorAccountService } from '../../services/connector-accounts.js';
import { connectorAdminRoutes } from './connector-accounts.routes.js';
import { userAdminRoutes } from './users.routes.js';
import type { DashboardUserService } from '../../services/dashboard-users.js';
import { OPERATOR, type Actor } from '../../services/principal.js';
import type { TokenService } from '../../services/tokens.js';
import { sendV1Error } from '../v1/errors.js';
import * as s from './schemas.js';
import { typed } from '../../http/typed-routes.js';

export interface AdminDeps {
  merchants: MerchantService;
  connectorAccounts: ConnectorAccountService;
  apiKeys: ApiKeyService;
  audit: AuditLog;
  tokens: TokenService;
  dashboardUsers: DashboardUserService;
  adminToken: string | null;
}

/** Operator API: Bearer ADMIN_TOKEN. Errors use the v1 format. Disabled (401) without a token. */
export async function adminRoutes(instance: FastifyInstance, deps: AdminDeps) {
  const app = typed(instance);
  app.setErrorHandler((error, _request, reply) => sendV1Error(reply, error));
  app.setNotFoundHandler((request, reply) => sendV1Error(reply, unrecognizedUrl(request)));
  app.addHook('onRequest', async (request) => {
    if (!safeEqual(bearerToken(request.headers.authorization), deps.adminToken))
      throw new TillError(
        ErrorCode.Unauthenticated,
        deps.adminToken ? 'Invalid admin token.' : 'The admin API is disabled: set ADMIN_TOKEN to enable it.',
      );
  });
  const operator = (request: FastifyRequest): Actor => ({ ...OPERATOR, requestId: request.id });
  const merchantOf = async (id: string) => {
    if (!(await deps.merchants.exists(id))) throw notFound('merchant', id, 'merchant_id');
    return id;
  };

  app.post('/merchants', { schema: s.createMerchant }, async (request, reply) => {
    const body = bodyParams(request.body, ['name']);
    if (typeof body.name !== 'string') throw invalid('name', 'name is required and must be a string');
    const credentials = await deps.merchants.createMerchant(body.name, operator(request));
    return reply.code(201).send(credentials);
  });

  // Makes a new OIDC signing key the active one; the previous key keeps verifying until replaced.
  app.post('/signing-keys/rotate', { schema: s.rotateSigningKey }, async (request, reply) =>
    reply.code(201).send({ kid: await deps.tokens.rotate(operator(request)) }),
  );

  app.get('/merchants/:merchant_id/api_keys', { schema: s.listApiKeys }, async (request) => {
    const { filters } = parseListQuery(request.query, ['livemode']);
    if (filters.livemode !== undefined && !['true', 'false'].includes(filters.livemode))
      throw invalid('livemode', 'livemode must be true or false');
    const merchantId = await merchantOf(request.params.merchant_id);
    const data = await deps.apiKeys.list(
      merchantId,
      filters.livemode === undefined ? undefined : filters.livemode === 'true',
    );
    return { object: 'list', has_more: false, data };
  });

  app.post('/merchants/:merchant_id/api_keys', { schema: s.createApiKey }, async (request, reply) => {
    const body = bodyParams(request.body, ['type', 'livemode']);
    const { key, secret } = await deps.apiKeys.create(request.params.merchant_id, body, operator(request));
    return reply.code(201).send({ ...key, secret });
  });

  app.post('/merchants/:merchant_id/api_keys/:key_id/roll', { schema: s.rollApiKey }, async (request) => {
    const body = bodyParams(request.body, ['expires_in_seconds']);
    const rolled = await deps.apiKeys.roll(
      request.params.merchant_id,
      request.params.key_id,
      { expiresInSeconds: body.expires_in_seconds },
      operator(request),
    );
    return { ...rolled.key, secret: rolled.secret, previous: rolled.previous };
  });

  app.post('/merchants/:merchant_id/api_keys/:key_id/revoke', { schema: s.revokeApiKey }, async (request) => {
    bodyParams(request.body, []);
    return deps.apiKeys.revoke(request.params.merchant_id, request.params.key_id, operator(request));
  });

  // New x-api-key and OAuth pairs for the api dialect; the old ones and their tokens stop at once.
  app.post(
    '/merchants/:merchant_id/api_credentials/rotate',
    { schema: s.rotateApiCredentials },
    async (request, reply) => {
      bodyParams(request.body, []);
      const merchantId = await merchantOf(request.params.merchant_id);
      return reply
        .code(201)
        .send(await deps.merchants.rotateApiDialectCredentials(merchantId, operator(request)));
    },
  );

  const auditPage = async (scope: Parameters<AuditLog['list']>[0], query: QueryString, url: string) => {
    const { limit, startingAfter } = parseListQuery(query, []);
    const page = await deps.audit
      .list(scope, { limit, startingAfter })
      .catch(unknownCursor('audit entry', startingAfter));
    return { object: 'list', url, has_more: page.hasMore, data: page.data };
  };
  await instance.register(connectorAdminRoutes, {
    merchants: deps.merchants,
    connectorAccounts: deps.connectorAccounts,
  });
  await instance.register(userAdminRoutes, {
    merchants: deps.merchants,
    dashboardUsers: deps.dashboardUsers,
  });

  app.get('/audit_log', { schema: s.auditLog }, async (request) =>
    auditPage('all', request.query, '/admin/v1/audit_log'),
  );
  app.get('/merchants/:merchant_id/audit_log', { schema: s.merchantAuditLog }, async (request) => {
    const merchantId = await merchantOf(request.params.merchant_id);
    return auditPage({ merchantId }, request.query, `/admin/v1/merchants/${merchantId}/audit_log`);
  });
}
