import {
  Arg,
  Ctx,
  Field,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  registerEnumType,
  Resolver,
  Authorized,
} from 'type-graphql';
import type { Permission } from '../services/permissions.js';
import type { ConnectorAccountService, ConnectorAccountView } from '../services/connector-accounts.js';
import { actorOf } from '../services/principal.js';
import { principalOf, type GraphQLContext } from './context.js';
import { toUserErrors } from './errors.js';
import { JSONObject, SafeInt } from './scalars.js';
import { UserError } from './user-error.type.js';

export interface ConnectorAccountsDeps {
  connectorAccounts: ConnectorAccountService;
}

export enum ConnectorKind {
  SANDBOX = 'sandbox',
  STRIPE = 'stripe',
  ADYEN = 'adyen',
}
registerEnumType(ConnectorKind, {
  name: 'ConnectorKind',
  description: 'The acquirers Till routes cards to.',
});

@ObjectType({
  description: 'One of your accounts at an acquirer. Its credentials are never shown, only which are set.',
})
export class ConnectorAccount {
  @Field(() => ID, { description: '`ca_` + 24 base62 characters.' }) id!: string;
  @Field(() => ConnectorKind) connector!: ConnectorKind;
  @Field() livemode!: boolean;
  @Field() label!: string;
  @Field(() => [String], { description: 'ISO 4217 codes it takes; empty: every currency.' })
  currencies!: string[];
  @Field(() => Int, { description: 'Lower is tried first.' }) priority!: number;
  @Field(() => [String], { description: 'Names of the credentials stored (sealed), never their values.' })
  credentialsSet!: string[];
  @Field(() => String, {
    nullable: true,
    description: "Where to point the acquirer's webhooks for this account.",
  })
  webhookUrl!: string | null;
  @Field(() => String, { nullable: true, description: 'A base URL the operator set (a proxy).' })
  apiBase!: string | null;
  @Field({ description: 'enabled or disabled.' }) status!: string;
  @Field(() => SafeInt) createdAt!: number;

  static from(v: ConnectorAccountView): ConnectorAccount {
    return Object.assign(new ConnectorAccount(), {
      id: v.id,
      connector: v.connector as ConnectorKind,
      livemode: v.mode === 'live',
      label: v.label,
      currencies: v.currencies,
      priority: v.priority,
      credentialsSet: v.credentials_set,
      webhookUrl: v.webhook_url,
      apiBase: v.api_base,
      status: v.status,
      createdAt: v.created_at,
    });
  }
}

@InputType({ description: 'A new acquirer account, in the mode of the key that makes it.' })
export class CreateConnectorAccountInput {
  @Field(() => ConnectorKind) connector!: ConnectorKind;
  @Field(() => String, { nullable: true }) label?: string | null;
  @Field(() => [String], { nullable: true }) currencies?: string[] | null;
  @Field(() => Int, { nullable: true }) priority?: number | null;
  @Field(() => JSONObject, {
    nullable: true,
    description:
      'stripe: secret_key, webhook_secret. adyen: api_key, merchant_account, hmac_key, live_url_prefix (live). Stored sealed; never returned.',
  })
  credentials?: Record<string, unknown> | null;
}

@ObjectType()
export class ConnectorAccountPayload {
  @Field(() => ConnectorAccount, { nullable: true }) connectorAccount!: ConnectorAccount | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

/**
 * A merchant's own acquirer accounts, in the caller's mode (a test key never sees or makes live
 * accounts). The base URL override is the operator's alone (admin API, CLI).
 */
@Resolver()
export class ConnectorAccountsResolver {
  constructor(private readonly deps: ConnectorAccountsDeps) {}

  @Authorized<Permission>('connectors:read')
  @Query(() => [ConnectorAccount], { description: 'Your acquirer accounts of this mode, in routing order.' })
  async connectorAccounts(@Ctx() ctx: GraphQLContext): Promise<ConnectorAccount[]> {
    const principal = principalOf(ctx);
    return (await this.deps.connectorAccounts.list(principal.merchantId, principal.livemode)).map((v) =>
      ConnectorAccount.from(v),
    );
  }

  @Authorized<Permission>('connectors:write')
  @Mutation(() => ConnectorAccountPayload, {
    description: 'Adds an acquirer account in the mode of your key.',
  })
  async createConnectorAccount(
    @Arg('input', () => CreateConnectorAccountInput) input: CreateConnectorAccountInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ConnectorAccountPayload> {
    const principal = principalOf(ctx);
    return this.payload(() =>
      this.deps.connectorAccounts.create(
        principal.merchantId,
        {
          connector: input.connector,
          mode: principal.livemode ? 'live' : 'test',
          label: input.label ?? undefined,
          currencies: input.currencies ?? undefined,
          priority: input.priority ?? undefined,
          credentials: input.credentials ?? undefined,
        },
        actorOf(principal),
        { allowApiBase: false },
      ),
    );
  }

  @Authorized<Permission>('connectors:write')
  @Mutation(() => ConnectorAccountPayload, {
    description: 'Stops routing new payments to an account; payments it holds keep using it.',
  })
  async disableConnectorAccount(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ConnectorAccountPayload> {
    const principal = principalOf(ctx);
    return this.payload(() =>
      this.deps.connectorAccounts.disable(principal.merchantId, id, actorOf(principal), principal.livemode),
    );
  }

  private async payload(work: () => Promise<ConnectorAccountView>): Promise<ConnectorAccountPayload> {
    try {
      return { connectorAccount: ConnectorAccount.from(await work()), userErrors: [] };
    } catch (error) {
      return { connectorAccount: null, userErrors: toUserErrors(error, ['input']) };
    }
  }
}
