import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { DashboardUserService } from '../services/dashboard-users.js';
import { can, type Permission } from '../services/permissions.js';
import { actorOf } from '../services/principal.js';
import { principalOf, type GraphQLContext } from './context.js';
import { toUserErrors } from './errors.js';
import { Invitation, InvitationPayload, Role, roleOf, TeamMember, TeamMemberPayload } from './team.types.js';

export interface TeamDeps {
  dashboardUsers: DashboardUserService;
}

/** The merchant's dashboard team: members, their roles, invitations. Team changes span both modes. */
@Resolver()
export class TeamResolver {
  constructor(private readonly deps: TeamDeps) {}

  @Authorized<Permission>('team:read')
  @Query(() => [TeamMember], { description: 'Your dashboard users, oldest first.' })
  async teamMembers(@Ctx() ctx: GraphQLContext): Promise<TeamMember[]> {
    const principal = principalOf(ctx);
    return (await this.deps.dashboardUsers.list(principal.merchantId)).map((m) => TeamMember.from(m));
  }

  @Authorized<Permission>('team:read')
  @Query(() => [Invitation], {
    description: 'Invitations not yet accepted, revoked or expired, newest first.',
  })
  async invitations(@Ctx() ctx: GraphQLContext): Promise<Invitation[]> {
    const principal = principalOf(ctx);
    return (await this.deps.dashboardUsers.pendingInvitations(principal.merchantId)).map((i) =>
      Invitation.from(i),
    );
  }

  @Authorized<Permission>('team:write')
  @Mutation(() => InvitationPayload, {
    description:
      'Invites someone to the team; the answer’s `url` (shown once) accepts it. Inviting an owner needs ownership.',
  })
  async inviteTeamMember(
    @Arg('email') email: string,
    @Arg('role', () => Role) role: Role,
    @Ctx() ctx: GraphQLContext,
  ): Promise<InvitationPayload> {
    const principal = principalOf(ctx);
    try {
      const { invitation, url } = await this.deps.dashboardUsers.invite(
        principal.merchantId,
        { email, role: roleOf(role) },
        actorOf(principal),
        can(principal, 'team:ownership'),
      );
      return { invitation: Invitation.from(invitation), url, userErrors: [] };
    } catch (error) {
      return { invitation: null, url: null, userErrors: toUserErrors(error, []) };
    }
  }

  @Authorized<Permission>('team:write')
  @Mutation(() => TeamMemberPayload, {
    description:
      'Changes a member’s role. Making or unmaking an owner needs ownership; the last owner stays.',
  })
  async updateTeamMemberRole(
    @Arg('id', () => ID) id: string,
    @Arg('role', () => Role) role: Role,
    @Ctx() ctx: GraphQLContext,
  ): Promise<TeamMemberPayload> {
    const principal = principalOf(ctx);
    return this.memberPayload(() =>
      this.deps.dashboardUsers.updateRole(
        principal.merchantId,
        id,
        roleOf(role),
        actorOf(principal),
        can(principal, 'team:ownership'),
      ),
    );
  }

  @Authorized<Permission>('team:write')
  @Mutation(() => TeamMemberPayload, {
    description: 'Removes a member and ends every session they hold at once.',
  })
  async removeTeamMember(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<TeamMemberPayload> {
    const principal = principalOf(ctx);
    return this.memberPayload(() =>
      this.deps.dashboardUsers.remove(
        principal.merchantId,
        id,
        actorOf(principal),
        can(principal, 'team:ownership'),
      ),
    );
  }

  @Authorized<Permission>('team:write')
  @Mutation(() => InvitationPayload, {
    description: 'Withdraws a pending invitation; its link stops working.',
  })
  async revokeInvitation(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<InvitationPayload> {
    const principal = principalOf(ctx);
    try {
      const invitation = await this.deps.dashboardUsers.revokeInvitation(
        principal.merchantId,
        id,
        actorOf(principal),
      );
      return { invitation: Invitation.from(invitation), url: null, userErrors: [] };
    } catch (error) {
      return { invitation: null, url: null, userErrors: toUserErrors(error, []) };
    }
  }

  private async memberPayload(
    work: () => Promise<Parameters<typeof TeamMember.from>[0]>,
  ): Promise<TeamMemberPayload> {
    try {
      return { member: TeamMember.from(await work()), userErrors: [] };
    } catch (error) {
      return { member: null, userErrors: toUserErrors(error, []) };
    }
  }
}
