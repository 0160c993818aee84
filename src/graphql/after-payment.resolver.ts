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
  Resolver,
  Root,
  Subscription,
  Authorized,
} from 'type-graphql';
import type { Permission } from '../services/permissions.js';
import { authorize } from './auth-checker.js';
import type { Payment as DomainPayment } from '../domain/payment.js';
import { LIMITS } from '../domain/payment.js';
import type { TillEvent } from '../events/outbox.js';
import { EVENT_TYPES } from '../events/topics.js';
import type { AuthorizationService } from '../services/authorizations.js';
import type { EventService } from '../services/events.js';
import type { RefundService } from '../services/refunds.js';
import type { PaymentService } from '../services/payments.js';
import type { WebhookEndpointObject, WebhookEndpointService } from '../webhooks/endpoints.js';
import { principalOf, type GraphQLContext } from './context.js';
import { toGraphQLError, toUserErrors } from './errors.js';
import { connection, connectionWindow, PageInfo } from './payment-connection.type.js';
import { Payment, Refund } from './payment.type.js';
import { JSONObject, SafeInt } from './scalars.js';
import { UserError } from './user-error.type.js';

export interface AfterPaymentDeps {
  payments: PaymentService;
  authorizations: AuthorizationService;
  refunds: RefundService;
  events: EventService;
  webhooks: WebhookEndpointService;
  publicUrl: string;
}

@ObjectType()
export class CapturePaymentPayload {
  @Field(() => Payment, { nullable: true }) payment!: Payment | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class RefundPaymentPayload {
  @Field(() => Refund, { nullable: true }) refund!: Refund | null;
  @Field(() => Payment, { nullable: true }) payment!: Payment | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType({ description: 'Something that happened: the same ids as webhooks and subscriptions.' })
export class Event {
  @Field(() => ID) id!: string;
  @Field() type!: string;
  @Field(() => SafeInt) createdAt!: number;
  @Field() livemode!: boolean;
  @Field(() => JSONObject, {
    description: "The event's `data.object` (a Payment or a Refund), in the REST shape.",
  })
  object!: Record<string, unknown>;

  static from(e: TillEvent): Event {
    return Object.assign(new Event(), {
      id: e.id,
      type: e.type,
      createdAt: e.created_at,
      livemode: e.livemode,
      object: e.data.object,
    });
  }
}

@ObjectType()
export class EventEdge {
  @Field() cursor!: string;
  @Field(() => Event) node!: Event;
}

@ObjectType()
export class EventConnection {
  @Field(() => [EventEdge]) edges!: EventEdge[];
  @Field(() => [Event]) nodes!: Event[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType()
export class WebhookEndpoint {
  @Field(() => ID) id!: string;
  @Field() url!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => [String]) enabledEvents!: string[];
  @Field() status!: string;
  @Field(() => String, { nullable: true }) disabledReason!: string | null;
  @Field(() => SafeInt) createdAt!: number;
  @Field(() => SafeInt, { nullable: true }) previousSecretExpiresAt!: number | null;

  static from(e: WebhookEndpointObject): WebhookEndpoint {
    return Object.assign(new WebhookEndpoint(), {
      id: e.id,
      url: e.url,
      description: e.description,
      enabledEvents: e.enabled_events,
      status: e.status,
      disabledReason: e.disabled_reason,
      createdAt: e.created_at,
      previousSecretExpiresAt: e.previous_secret_expires_at,
    });
  }
}

@ObjectType()
export class WebhookEndpointPayload {
  @Field(() => WebhookEndpoint, { nullable: true }) webhookEndpoint!: WebhookEndpoint | null;
  @Field(() => String, {
    nullable: true,
    description: 'The `whsec_` signing secret: shown only by create and rotate.',
  })
  secret!: string | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class DeleteWebhookEndpointPayload {
  @Field(() => ID, { nullable: true }) deletedId!: string | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@InputType()
export class WebhookEndpointInput {
  @Field(() => String, { nullable: true }) url?: string | null;
  @Field(() => [String], {
    nullable: true,
    description: `Event types (${EVENT_TYPES.join(', ')}), or ["*"] for all (the default).`,
  })
  enabledEvents?: string[] | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => Boolean, { nullable: true }) disabled?: boolean | null;
}

const subscriptionViews = new WeakMap<TillEvent, Event>();

const encode = (id: string) => Buffer.from(`event:${id}`).toString('base64url');
const decode = (cursor: string) => {
  const text = Buffer.from(cursor, 'base64url').toString();
  return /^event:evt_[A-Za-z0-9]{24}$/.test(text) ? text.slice(6) : null;
};

/** Capture, refunds, the events connection and webhook endpoints: thin adapters over the services. */
@Resolver()
export class AfterPaymentResolver {
  constructor(private readonly deps: AfterPaymentDeps) {}

  private view(payment: DomainPayment): Payment {
    return Payment.from(payment, this.deps.publicUrl);
  }

  @Authorized<Permission>('payments:write')
  @Mutation(() => CapturePaymentPayload, {
    description: 'Captures an AUTHORIZED payment, all or part (the rest is released).',
  })
  async capturePayment(
    @Arg('id', () => ID) id: string,
    @Arg('amount', () => SafeInt, { nullable: true }) amount: number | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<CapturePaymentPayload> {
    const principal = principalOf(ctx);
    try {
      return {
        payment: this.view(await this.deps.authorizations.capture(principal, id, amount)),
        userErrors: [],
      };
    } catch (error) {
      return { payment: null, userErrors: toUserErrors(error, []) };
    }
  }

  @Authorized<Permission>('payments:write')
  @Mutation(() => RefundPaymentPayload, {
    description: 'Refunds a SUCCEEDED payment, all of what is left or `amount`.',
  })
  async refundPayment(
    @Arg('paymentId', () => ID) paymentId: string,
    @Arg('amount', () => SafeInt, { nullable: true }) amount: number | null,
    @Arg('reason', () => String, {
      nullable: true,
      description: 'requested_by_customer, duplicate or fraudulent.',
    })
    reason: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<RefundPaymentPayload> {
    const principal = principalOf(ctx);
    try {
      const refund = await this.deps.refunds.create(principal, paymentId, { amount, reason });
      const payment = await this.deps.payments.getPayment(principal, paymentId);
      return { refund: Refund.from(refund), payment: this.view(payment), userErrors: [] };
    } catch (error) {
      return { refund: null, payment: null, userErrors: toUserErrors(error, []) };
    }
  }

  @Authorized<Permission>('events:read')
  @Query(() => EventConnection, { description: 'Your events, newest first: the same ids as webhooks.' })
  async events(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: LIMITS.listDefault, description: `1 to ${LIMITS.listMax}.` })
    first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('type', () => String, {
      nullable: true,
      description: `An event type (${EVENT_TYPES.join(', ')}), or payment.* / refund.*`,
    })
    type: string | null,
  ): Promise<EventConnection> {
    const principal = principalOf(ctx);
    const window = connectionWindow(first, after, decode);
    const page = await this.deps.events.list(principal, { ...window, type }).catch(toGraphQLError);
    const nodes = page.data.map((e) => Event.from(e));
    return connection(nodes, encode, page.hasMore, window.startingAfter !== null);
  }

  @Subscription(() => Event, {
    name: 'events',
    description:
      'Your events as they happen, payments and refunds: the same ids and objects as webhooks. With `after` (an event id), the events since that one come first, oldest first, so a client that reconnects misses nothing.',
    subscribe: async ({ args, context }) => {
      const principal = authorize(context as GraphQLContext, 'events:read');
      const after = (args as { after?: string | null }).after ?? null;
      return (context as GraphQLContext).openEventFeed(principal, after).catch(toGraphQLError);
    },
  })
  eventStream(
    @Root() event: TillEvent,
    @Arg('after', () => ID, { nullable: true }) _after: string | null,
  ): Event {
    // Subscribers of one event share one TillEvent; convert it once for all of them.
    let view = subscriptionViews.get(event);
    if (!view) subscriptionViews.set(event, (view = Event.from(event)));
    return view;
  }

  @Authorized<Permission>('webhooks:read')
  @Query(() => [WebhookEndpoint])
  async webhookEndpoints(@Ctx() ctx: GraphQLContext): Promise<WebhookEndpoint[]> {
    return (await this.deps.webhooks.list(principalOf(ctx))).map((e) => WebhookEndpoint.from(e));
  }

  @Authorized<Permission>('webhooks:write')
  @Mutation(() => WebhookEndpointPayload, {
    description: 'Creates a webhook endpoint; the secret is shown once.',
  })
  async createWebhookEndpoint(
    @Arg('input', () => WebhookEndpointInput) input: WebhookEndpointInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<WebhookEndpointPayload> {
    return this.endpointPayload(() =>
      this.deps.webhooks.create(principalOf(ctx), {
        url: input.url,
        enabled_events: input.enabledEvents,
        description: input.description,
      }),
    );
  }

  @Authorized<Permission>('webhooks:write')
  @Mutation(() => WebhookEndpointPayload)
  async updateWebhookEndpoint(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => WebhookEndpointInput) input: WebhookEndpointInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<WebhookEndpointPayload> {
    const patch: Record<string, unknown> = {};
    if (input.url != null) patch.url = input.url;
    if (input.enabledEvents != null) patch.enabled_events = input.enabledEvents;
    if (input.description !== undefined) patch.description = input.description;
    if (input.disabled != null) patch.disabled = input.disabled;
    return this.endpointPayload(() => this.deps.webhooks.update(principalOf(ctx), id, patch));
  }

  @Authorized<Permission>('webhooks:write')
  @Mutation(() => WebhookEndpointPayload, {
    description: 'New secret; the old one keeps signing for the grace period.',
  })
  async rotateWebhookEndpointSecret(
    @Arg('id', () => ID) id: string,
    @Arg('gracePeriodSeconds', () => Int, { defaultValue: 86400 }) grace: number,
    @Ctx() ctx: GraphQLContext,
  ): Promise<WebhookEndpointPayload> {
    return this.endpointPayload(() => this.deps.webhooks.rotateSecret(principalOf(ctx), id, grace));
  }

  @Authorized<Permission>('webhooks:write')
  @Mutation(() => DeleteWebhookEndpointPayload)
  async deleteWebhookEndpoint(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<DeleteWebhookEndpointPayload> {
    const principal = principalOf(ctx);
    try {
      return { deletedId: (await this.deps.webhooks.delete(principal, id)).id, userErrors: [] };
    } catch (error) {
      return { deletedId: null, userErrors: toUserErrors(error, []) };
    }
  }

  private async endpointPayload(work: () => Promise<WebhookEndpointObject>): Promise<WebhookEndpointPayload> {
    try {
      const endpoint = await work();
      return {
        webhookEndpoint: WebhookEndpoint.from(endpoint),
        secret: endpoint.secret ?? null,
        userErrors: [],
      };
    } catch (error) {
      return { webhookEndpoint: null, secret: null, userErrors: toUserErrors(error, ['input']) };
    }
  }
}
