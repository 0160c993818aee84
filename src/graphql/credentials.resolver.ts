import {
  Arg,
  Ctx,
  Field,
  ID,
  Int,
  Mutation,
  ObjectType,
  Query,
  registerEnumType,
  Resolver,
  Authorized,
} from 'type-graphql';
import type { Permission } from '../services/permissions.js';
import { AUDIT_ACTIONS, type AuditEntryObject, type AuditLog } from '../services/audit.js';
import { type ApiKeyObject, type ApiKeyService } from '../services/api-keys.js';
import { actorOf } from '../services/principal.js';
import { principalOf, type GraphQLContext } from './context.js';
import { toGraphQLError, toUserErrors } from './errors.js';
import { connection, connectionWindow, PageInfo } from './payment-connection.type.js';
import { JSONObject, SafeInt } from './scalars.js';
import { UserError } from './user-error.type.js';

export interface CredentialsDeps {
  apiKeys: ApiKeyService;
  audit: AuditLog;
}

export enum ApiKeyType {
  SECRET = 'secret',
  PUBLISHABLE = 'publishable',
}
registerEnumType(ApiKeyType, { name: 'ApiKeyType' });

export enum ApiKeyStatus {
  ACTIVE = 'active',
  EXPIRING = 'expiring',
  EXPIRED = 'expired',
  REVOKED = 'revoked',
}
registerEnumType(ApiKeyStatus, {
  name: 'ApiKeyStatus',
  valuesConfig: {
    EXPIRING: { description: 'Rolled: works until `expiresAt`.' },
  },
});

@ObjectType({ description: 'One of your keys, masked: the secret itself is shown only when made.' })
export class ApiKey {
  @Field(() => ID) id!: string;
  @Field(() => ApiKeyType) type!: ApiKeyType;
  @Field() livemode!: boolean;
  @Field({ description: 'The prefix and the last four characters, e.g. `api_test_sk_…a1B2`.' })
  redacted!: string;
  @Field(() => String, { nullable: true }) last4!: string | null;
  @Field(() => ApiKeyStatus) status!: ApiKeyStatus;
  @Field(() => SafeInt) createdAt!: number;
  @Field(() => SafeInt, { nullable: true }) expiresAt!: number | null;
  @Field(() => SafeInt, { nullable: true }) revokedAt!: number | null;
  @Field(() => ID, { nullable: true }) replacedBy!: string | null;

  static from(k: ApiKeyObject): ApiKey {
    return Object.assign(new ApiKey(), {
      id: k.id,
      type: k.type as ApiKeyType,
      livemode: k.livemode,
      redacted: k.redacted,
      last4: k.last4,
      status: k.status as ApiKeyStatus,
      createdAt: k.created_at,
      expiresAt: k.expires_at,
      revokedAt: k.revoked_at,
      replacedBy: k.replaced_by,
    });
  }
}

@ObjectType()
export class ApiKeyPayload {
  @Field(() => ApiKey, { nullable: true }) apiKey!: ApiKey | null;
  @Field(() => String, {
    nullable: true,
    description: 'The new key itself: shown by create and roll, and never again.',
  })
  secret!: string | null;
  @Field(() => ApiKey, { nullable: true, description: 'Roll only: the key that was replaced.' })
  previous!: ApiKey | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType({ description: 'A security-relevant change: who did what to which object.' })
export class AuditEntry {
  @Field(() => ID) id!: string;
  @Field({ description: `One of: ${AUDIT_ACTIONS.join(', ')}.` }) action!: string;
  @Field({ description: 'api_key, access_token, admin, cli or system.' }) actorType!: string;
  @Field(() => String, { nullable: true, description: 'The acting credential’s id (never a secret).' })
  actorId!: string | null;
  @Field() objectType!: string;
  @Field(() => String, { nullable: true }) objectId!: string | null;
  @Field(() => String, { nullable: true }) requestId!: string | null;
  @Field(() => Boolean, { nullable: true, description: 'Null when the change concerns both modes.' })
  livemode!: boolean | null;
  @Field(() => JSONObject) details!: Record<string, unknown>;
  @Field(() => SafeInt) createdAt!: number;

  static from(e: AuditEntryObject): AuditEntry {
    return Object.assign(new AuditEntry(), {
      id: e.id,
      action: e.action,
      actorType: e.actor.type,
      actorId: e.actor.id,
      objectType: e.object_type,
      objectId: e.object_id,
      requestId: e.request_id,
      livemode: e.livemode,
      details: e.details,
      createdAt: e.created_at,
    });
  }
}

@ObjectType()
export class AuditEntryEdge {
  @Field() cursor!: string;
  @Field(() => AuditEntry) node!: AuditEntry;
}

@ObjectType()
export class AuditEntryConnection {
  @Field(() => [AuditEntryEdge]) edges!: AuditEntryEdge[];
  @Field(() => [AuditEntry]) nodes!: AuditEntry[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

const encode = (id: string) => Buffer.from(`audit:${id}`).toString('base64url');
const decode = (cursor: string) => {
  const text = Buffer.from(cursor, 'base64url').toString();
  return /^audit:aud_[A-Za-z0-9]{24}$/.test(text) ? text.slice(6) : null;
};

/**
 * A merchant's own keys (in the caller's mode: a test key never touches live keys) and its audit
 * log. Thin adapters over ApiKeyService and AuditLog.
 */
@Resolver()
export class CredentialsResolver {
  constructor(private readonly deps: CredentialsDeps) {}

  @Authorized<Permission>('keys:read')
  @Query(() => [ApiKey], { description: 'Your secret and publishable keys of this mode, newest first.' })
  async apiKeys(@Ctx() ctx: GraphQLContext): Promise<ApiKey[]> {
    const principal = principalOf(ctx);
    return (await this.deps.apiKeys.list(principal.merchantId, principal.livemode)).map((k) =>
      ApiKey.from(k),
    );
  }

  @Authorized<Permission>('keys:write')
  @Mutation(() => ApiKeyPayload, { description: 'A new key of this mode; its secret is shown once.' })
  async createApiKey(
    @Arg('type', () => ApiKeyType) type: ApiKeyType,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ApiKeyPayload> {
    const principal = principalOf(ctx);
    return this.payload(async () => {
      const { key, secret } = await this.deps.apiKeys.create(
        principal.merchantId,
        { type, livemode: principal.livemode },
        actorOf(principal),
      );
      return { apiKey: ApiKey.from(key), secret, previous: null };
    });
  }

  @Authorized<Permission>('keys:write')
  @Mutation(() => ApiKeyPayload, {
    description:
      'Replaces a key. The new key is shown once; the old one keeps working for `expiresInSeconds` (0 to 604800; 0 = stops now).',
  })
  async rollApiKey(
    @Arg('id', () => ID) id: string,
    @Arg('expiresInSeconds', () => Int, { defaultValue: 0 }) expiresInSeconds: number,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ApiKeyPayload> {
    const principal = principalOf(ctx);
    return this.payload(async () => {
      const rolled = await this.deps.apiKeys.roll(
        principal.merchantId,
        id,
        { expiresInSeconds },
        actorOf(principal),
        { livemode: principal.livemode },
      );
      return {
        apiKey: ApiKey.from(rolled.key),
        secret: rolled.secret,
        previous: ApiKey.from(rolled.previous),
      };
    });
  }

  @Authorized<Permission>('keys:write')
  @Mutation(() => ApiKeyPayload, { description: 'Cuts a key off at once, everywhere.' })
  async revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<ApiKeyPayload> {
    const principal = principalOf(ctx);
    return this.payload(async () => {
      const key = await this.deps.apiKeys.revoke(principal.merchantId, id, actorOf(principal), {
        livemode: principal.livemode,
      });
      return { apiKey: ApiKey.from(key), secret: null, previous: null };
    });
  }

  @Authorized<Permission>('audit:read')
  @Query(() => AuditEntryConnection, { description: 'Your audit log, newest first.' })
  async auditLog(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<AuditEntryConnection> {
    const principal = principalOf(ctx);
    const window = connectionWindow(first, after, decode);
    const page = await this.deps.audit
      .list({ merchantId: principal.merchantId, livemode: principal.livemode }, window)
      .catch(toGraphQLError);
    return connection(
      page.data.map((e) => AuditEntry.from(e)),
      encode,
      page.hasMore,
      window.startingAfter !== null,
    );
  }

  private async payload(work: () => Promise<Omit<ApiKeyPayload, 'userErrors'>>): Promise<ApiKeyPayload> {
    try {
      return { ...(await work()), userErrors: [] };
    } catch (error) {
      return { apiKey: null, secret: null, previous: null, userErrors: toUserErrors(error, []) };
    }
  }
}
