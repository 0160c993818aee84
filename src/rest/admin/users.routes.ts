import type { FastifyInstance } from 'fastify';
import { notFound } from '../../domain/errors.js';
import { bodyParams } from '../../http/pipeline/body-params.js';
import { typed } from '../../http/typed-routes.js';
import type { DashboardUserService } from '../../services/dashboard-users.js';
import type { MerchantService } from '../../services/merchants.js';
import { OPERATOR } from '../../services/principal.js';
import * as s from './user-schemas.js';

export interface UserAdminDeps {
  merchants: MerchantService;
  dashboardUsers: DashboardUserService;
}

/**
 * The operator's side of dashboard users (inside the admin API's scope, behind its token): invite
 * anyone, an owner included, and see the team.
 */
export async function userAdminRoutes(instance: FastifyInstance, deps: UserAdminDeps) {
  const app = typed(instance);
  const base = '/merchants/:merchant_id/users';

  app.post(base, { schema: s.inviteUser }, async (request, reply) => {
    const body = bodyParams(request.body, ['email', 'role']);
    const invited = await deps.dashboardUsers.invite(
      request.params.merchant_id,
      { email: body.email, role: body.role },
      { ...OPERATOR, requestId: request.id },
      true,
    );
    return reply.code(201).send(invited);
  });

  app.get(base, { schema: s.listUsers }, async (request) => {
    const merchantId = request.params.merchant_id;
    if (!(await deps.merchants.exists(merchantId))) throw notFound('merchant', merchantId, 'merchant_id');
    return {
      users: await deps.dashboardUsers.list(merchantId),
      invitations: await deps.dashboardUsers.pendingInvitations(merchantId),
    };
  });
}
