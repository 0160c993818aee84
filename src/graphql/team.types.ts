import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import type { InvitationObject, TeamMemberObject } from '../services/dashboard-users.js';
import type { Role as RoleName } from '../services/principal.js';
import { SafeInt } from './scalars.js';
import { UserError } from './user-error.type.js';

export enum Role {
  OWNER = 'owner',
  ADMIN = 'admin',
  DEVELOPER = 'developer',
  ANALYST = 'analyst',
}
registerEnumType(Role, {
  name: 'Role',
  description: 'A dashboard user’s role; the README’s table lists what each may do.',
});

export const roleOf = (role: Role): RoleName => role as RoleName;

@ObjectType({ description: 'A dashboard user of your account.' })
export class TeamMember {
  @Field(() => ID) id!: string;
  @Field() email!: string;
  @Field(() => Role) role!: Role;
  @Field({ description: 'active or disabled.' }) status!: string;
  @Field(() => SafeInt) createdAt!: number;
  @Field(() => SafeInt, { nullable: true }) lastSignInAt!: number | null;

  static from(m: TeamMemberObject): TeamMember {
    return Object.assign(new TeamMember(), {
      id: m.id,
      email: m.email,
      role: m.role as Role,
      status: m.status,
      createdAt: m.created_at,
      lastSignInAt: m.last_sign_in_at,
    });
  }
}

@ObjectType({ description: 'A pending invitation to join your team.' })
export class Invitation {
  @Field(() => ID) id!: string;
  @Field() email!: string;
  @Field(() => Role) role!: Role;
  @Field(() => SafeInt) createdAt!: number;
  @Field(() => SafeInt) expiresAt!: number;

  static from(i: InvitationObject): Invitation {
    return Object.assign(new Invitation(), {
      id: i.id,
      email: i.email,
      role: i.role as Role,
      createdAt: i.created_at,
      expiresAt: i.expires_at,
    });
  }
}

@ObjectType()
export class InvitationPayload {
  @Field(() => Invitation, { nullable: true }) invitation!: Invitation | null;
  @Field(() => String, {
    nullable: true,
    description: 'inviteTeamMember only: the link that accepts the invitation, shown once.',
  })
  url!: string | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class TeamMemberPayload {
  @Field(() => TeamMember, { nullable: true }) member!: TeamMember | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
