import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { LIMITS } from '../domain/payment.js';
import type { Permission } from '../services/permissions.js';
import type { WebhookDeliveryLog } from '../webhooks/delivery-log.js';
import { principalOf, type GraphQLContext } from './context.js';
import { toGraphQLError, toUserErrors } from './errors.js';
import { connection, connectionWindow } from './payment-connection.type.js';
import {
  decodeDeliveryCursor,
  encodeDeliveryCursor,
  WebhookDelivery,
  WebhookDeliveryConnection,
  WebhookDeliveryPayload,
} from './webhook-delivery.type.js';

export interface WebhookDeliveriesDeps {
  deliveryLog: WebhookDeliveryLog;
}

/** The webhook delivery log: listing, redelivery and test events. */
@Resolver()
export class WebhookDeliveriesResolver {
  constructor(private readonly deps: WebhookDeliveriesDeps) {}

  @Authorized<Permission>('webhooks:read')
  @Query(() => WebhookDeliveryConnection, {
    description: "Your webhook deliveries, newest first: one endpoint's, one payment's, or all.",
  })
  async webhookDeliveries(
    @Ctx() ctx: GraphQLContext,
    @Arg('endpointId', () => ID, { nullable: true }) endpointId: string | null,
    @Arg('paymentId', () => ID, { nullable: true }) paymentId: string | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('first', () => Int, { defaultValue: 20, description: `1 to ${LIMITS.listMax}.` }) first: number,
  ): Promise<WebhookDeliveryConnection> {
    const principal = principalOf(ctx);
    const window = connectionWindow(first, after, decodeDeliveryCursor);
    const page = await this.deps.deliveryLog
      .list(principal, { ...window, endpointId, paymentId })
      .catch(toGraphQLError);
    const nodes = page.data.map((d) => WebhookDelivery.from(d));
    return connection(nodes, encodeDeliveryCursor, page.hasMore, window.startingAfter !== null);
  }

  @Authorized<Permission>('webhooks:write')
  @Mutation(() => WebhookDeliveryPayload, {
    description:
      'Sends a delivery again now, whatever its status (its endpoint must be enabled, and no attempt of it may be in flight).',
  })
  async redeliverWebhookDelivery(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<WebhookDeliveryPayload> {
    const principal = principalOf(ctx);
    try {
      return {
        delivery: WebhookDelivery.from(await this.deps.deliveryLog.redeliver(principal, id)),
        userErrors: [],
      };
    } catch (error) {
      return { delivery: null, userErrors: toUserErrors(error, []) };
    }
  }

  @Authorized<Permission>('webhooks:write')
  @Mutation(() => WebhookDeliveryPayload, {
    description: 'Sends a signed `ping` test event to this endpoint only.',
  })
  async sendTestWebhookEvent(
    @Arg('endpointId', () => ID) endpointId: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<WebhookDeliveryPayload> {
    const principal = principalOf(ctx);
    try {
      return {
        delivery: WebhookDelivery.from(await this.deps.deliveryLog.sendTestEvent(principal, endpointId)),
        userErrors: [],
      };
    } catch (error) {
      return { delivery: null, userErrors: toUserErrors(error, []) };
    }
  }
}
