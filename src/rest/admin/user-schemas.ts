import { Type } from '@fastify/type-provider-typebox';
import { admin, errors } from './schemas.js';

/** The operator API's dashboard-user routes, for the OpenAPI document. Errors use the v1 format. */

const str = Type.String();
const MerchantId = Type.Object({ merchant_id: str });
const Role = Type.Union(['owner', 'admin', 'developer', 'analyst'].map((r) => Type.Literal(r)));

const TeamMember = Type.Object(
  {
    id: Type.String({ description: '`usr_` + 20 base62 characters.' }),
    email: str,
    role: Role,
    status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
    created_at: Type.Integer(),
    last_sign_in_at: Type.Union([Type.Integer(), Type.Null()]),
  },
  { description: 'A dashboard user (never the password)' },
);

const Invitation = Type.Object(
  {
    id: Type.String({ description: '`inv_` + 20 base62 characters.' }),
    email: str,
    role: Role,
    created_at: Type.Integer(),
    expires_at: Type.Integer(),
  },
  { description: 'A pending invitation (never its token)' },
);

export const inviteUser = admin({
  operationId: 'inviteDashboardUser',
  summary: 'Invite a dashboard user (the invitation link is shown once)',
  params: MerchantId,
  body: Type.Object({ email: str, role: Role }, { additionalProperties: false }),
  response: {
    201: Type.Object(
      {
        invitation: Invitation,
        url: Type.String({ description: 'Accepts the invitation within 7 days. Shown once.' }),
      },
      { description: 'The invitation and its one-time link' },
    ),
    ...errors({ 404: 'No such merchant' }),
  },
});

export const listUsers = admin({
  operationId: 'listDashboardUsers',
  summary: "A merchant's dashboard users and pending invitations",
  params: MerchantId,
  response: {
    200: Type.Object(
      { users: Type.Array(TeamMember), invitations: Type.Array(Invitation) },
      { description: 'The team' },
    ),
    ...errors({ 404: 'No such merchant' }),
  },
});
