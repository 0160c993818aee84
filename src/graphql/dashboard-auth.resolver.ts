import { GraphQLError } from 'graphql';
import { Arg, Ctx, Field, ID, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { DashboardSessionService, OpenedSession } from '../services/dashboard-sessions.js';
import { sessionPrincipal } from '../services/dashboard-sessions.js';
import type { DashboardUserService } from '../services/dashboard-users.js';
import type { MerchantService } from '../services/merchants.js';
import { permissionsOf } from '../services/permissions.js';
import type { Principal } from '../services/principal.js';
import type { GraphQLContext } from './context.js';
import type { DashboardTransport } from './dashboard-transport.js';
import { toUserErrors } from './errors.js';
import { Role, TeamMember } from './team.types.js';
import { UserError } from './user-error.type.js';

export interface DashboardAuthDeps {
  dashboardSessions: DashboardSessionService;
  dashboardUsers: DashboardUserService;
  merchants: MerchantService;
}

@ObjectType()
export class MerchantInfo {
  @Field(() => ID) id!: string;
  @Field() name!: string;
}

@ObjectType({ description: 'Who is calling: the account, the mode, and what the caller may do.' })
export class Viewer {
  @Field(() => TeamMember, { nullable: true, description: 'Null for API credentials.' })
  user!: TeamMember | null;
  @Field(() => MerchantInfo) merchant!: MerchantInfo;
  @Field() livemode!: boolean;
  @Field(() => Role, { nullable: true, description: 'Null for API credentials.' }) role!: Role | null;
  @Field(() => [String], { description: 'The permissions this caller holds, e.g. payments:read.' })
  permissions!: string[];
}

@ObjectType()
export class SignInPayload {
  @Field(() => Viewer, { nullable: true }) viewer!: Viewer | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

/** Signing in and out of the dashboard opens and ends a cookie session: over HTTP only. */
function transportOf(ctx: GraphQLContext): DashboardTransport {
  if (!ctx.dashboard)
    throw new GraphQLError('Sign in and out over HTTP (POST /graphql): a session is a cookie.', {
      extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
    });
  return ctx.dashboard;
}

/** The dashboard's sign-in, sign-out and `viewer`: the public face of dashboard sessions. */
@Resolver()
export class DashboardAuthResolver {
  constructor(private readonly deps: DashboardAuthDeps) {}

  @Query(() => Viewer, {
    nullable: true,
    description: 'The caller (a dashboard session or an API credential); null when anonymous.',
  })
  async viewer(@Ctx() ctx: GraphQLContext): Promise<Viewer | null> {
    return ctx.principal ? this.viewerOf(ctx.principal) : null;
  }

  @Mutation(() => SignInPayload, {
    description:
      'Signs in to the dashboard with an email and password and sets the session cookie. Repeated failures are throttled (RATE_LIMITED).',
  })
  async signIn(
    @Arg('email') email: string,
    @Arg('password') password: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<SignInPayload> {
    const transport = transportOf(ctx);
    let opened: OpenedSession | null;
    try {
      opened = await this.deps.dashboardSessions.signIn(email, password, transport.client);
    } catch (error) {
      return { viewer: null, userErrors: toUserErrors(error, []) };
    }
    if (!opened)
      return {
        viewer: null,
        userErrors: [{ field: [], message: 'The email or password is wrong.', code: 'invalid_credentials' }],
      };
    return this.signedIn(transport, opened);
  }

  @Mutation(() => Boolean, {
    description:
      'Ends this dashboard session and clears its cookie; `everywhere` ends every session of the user.',
  })
  async signOut(
    @Arg('everywhere', { defaultValue: false }) everywhere: boolean,
    @Ctx() ctx: GraphQLContext,
  ): Promise<boolean> {
    const transport = transportOf(ctx);
    if (ctx.principal?.kind === 'session')
      await this.deps.dashboardSessions.signOut(ctx.principal, everywhere);
    transport.clearSession();
    return true;
  }

  @Mutation(() => SignInPayload, {
    description: 'Accepts an invitation: creates the user with this password and signs them in.',
  })
  async acceptInvitation(
    @Arg('token') token: string,
    @Arg('password') password: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<SignInPayload> {
    const transport = transportOf(ctx);
    try {
      const opened = await this.deps.dashboardUsers.accept(token, password, transport.client);
      return await this.signedIn(transport, opened);
    } catch (error) {
      return { viewer: null, userErrors: toUserErrors(error, []) };
    }
  }

  private async signedIn(transport: DashboardTransport, opened: OpenedSession): Promise<SignInPayload> {
    transport.setSession(opened.token, opened.session.expiresAt);
    const principal = sessionPrincipal(opened.session, transport.livemode, transport.client.requestId);
    return { viewer: await this.viewerOf(principal), userErrors: [] };
  }

  private async viewerOf(principal: Principal): Promise<Viewer> {
    const [name, member] = await Promise.all([
      this.deps.merchants.nameOf(principal.merchantId),
      principal.userId ? this.deps.dashboardUsers.member(principal.merchantId, principal.userId) : null,
    ]);
    return {
      user: member ? TeamMember.from(member) : null,
      merchant: { id: principal.merchantId, name: name ?? '' },
      livemode: principal.livemode,
      role: (principal.role as Role | null | undefined) ?? null,
      permissions: [...permissionsOf(principal)],
    };
  }
}
