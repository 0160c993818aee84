import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalid, notFound } from '../../domain/errors.js';
import { parseListQuery } from '../../http/list-params.js';
import { bodyParams } from '../../http/pipeline/body-params.js';
import { typed } from '../../http/typed-routes.js';
import type { ConnectorAccountService } from '../../services/connector-accounts.js';
import type { MerchantService } from '../../services/merchants.js';
import { OPERATOR, type Actor } from '../../services/principal.js';
import * as s from './connector-schemas.js';

export interface ConnectorAdminDeps {
  merchants: MerchantService;
  connectorAccounts: ConnectorAccountService;
}

const FIELDS = ['connector', 'mode', 'label', 'currencies', 'priority', 'credentials', 'api_base'];

/**
 * The operator's side of acquirer accounts (registered inside the admin API's scope, behind its
 * token): add, list, change, disable, and pin a terminal to accounts.
 */
export async function connectorAdminRoutes(instance: FastifyInstance, deps: ConnectorAdminDeps) {
  const app = typed(instance);
  const operator = (request: FastifyRequest): Actor => ({ ...OPERATOR, requestId: request.id });
  const merchantOf = async (id: string) => {
    if (!(await deps.merchants.exists(id))) throw notFound('merchant', id, 'merchant_id');
    return id;
  };
  const base = '/merchants/:merchant_id/connector_accounts';

  app.post(base, { schema: s.createConnectorAccount }, async (request, reply) => {
    const merchantId = await merchantOf(request.params.merchant_id);
    const body = bodyParams(request.body, FIELDS);
    return reply.code(201).send(await deps.connectorAccounts.create(merchantId, body, operator(request)));
  });

  app.get(base, { schema: s.listConnectorAccounts }, async (request) => {
    const { filters } = parseListQuery(request.query, ['mode']);
    if (filters.mode !== undefined && !['test', 'live'].includes(filters.mode))
      throw invalid('mode', 'mode must be test or live');
    const merchantId = await merchantOf(request.params.merchant_id);
    const data = await deps.connectorAccounts.list(
      merchantId,
      filters.mode === undefined ? undefined : filters.mode === 'live',
    );
    return {
      object: 'list',
      url: `/admin/v1/merchants/${merchantId}/connector_accounts`,
      has_more: false,
      data,
    };
  });

  app.get(`${base}/:account_id`, { schema: s.getConnectorAccount }, async (request) => {
    const merchantId = await merchantOf(request.params.merchant_id);
    const account = await deps.connectorAccounts.get(merchantId, request.params.account_id);
    if (!account) throw notFound('connector account', request.params.account_id, 'account_id');
    return account;
  });

  app.post(`${base}/:account_id`, { schema: s.updateConnectorAccount }, async (request) => {
    const merchantId = await merchantOf(request.params.merchant_id);
    const body = bodyParams(request.body, FIELDS);
    return deps.connectorAccounts.update(merchantId, request.params.account_id, body, operator(request));
  });

  app.delete(`${base}/:account_id`, { schema: s.disableConnectorAccount }, async (request) => {
    const merchantId = await merchantOf(request.params.merchant_id);
    return deps.connectorAccounts.disable(merchantId, request.params.account_id, operator(request));
  });

  app.put(
    '/merchants/:merchant_id/terminals/:terminal_id/connector_accounts',
    { schema: s.pinTerminal },
    async (request) => {
      const merchantId = await merchantOf(request.params.merchant_id);
      const body = bodyParams(request.body, ['connector_account_ids']);
      if (!('connector_account_ids' in body))
        throw invalid('connector_account_ids', 'connector_account_ids is required (a list of ids, or null)');
      const pinned = await deps.connectorAccounts.pinTerminal(
        merchantId,
        request.params.terminal_id,
        body.connector_account_ids,
        operator(request),
      );
      return { terminal_id: request.params.terminal_id, connector_account_ids: pinned };
    },
  );
}
