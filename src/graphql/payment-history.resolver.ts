import { Authorized, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { EventService } from '../services/events.js';
import type { Permission } from '../services/permissions.js';
import type { WebhookDeliveryLog } from '../webhooks/delivery-log.js';
import { Event } from './after-payment.resolver.js';
import { principalOf, type GraphQLContext } from './context.js';
import { Payment } from './payment.type.js';
import { WebhookDelivery } from './webhook-delivery.type.js';

export interface PaymentHistoryDeps {
  events: EventService;
  deliveryLog: WebhookDeliveryLog;
}

/**
 * A payment's history for its detail view: its events and their webhook deliveries. Each field
 * needs its own permission, whoever may read the payment itself.
 */
@Resolver(() => Payment)
export class PaymentHistoryResolver {
  constructor(private readonly deps: PaymentHistoryDeps) {}

  @Authorized<Permission>('events:read')
  @FieldResolver(() => [Event], { description: "This payment's events (its refunds' too), oldest first." })
  async events(@Root() payment: Payment, @Ctx() ctx: GraphQLContext): Promise<Event[]> {
    return (await this.deps.events.ofPayment(principalOf(ctx), payment.id)).map((e) => Event.from(e));
  }

  @Authorized<Permission>('webhooks:read')
  @FieldResolver(() => [WebhookDelivery], {
    description: "The webhook deliveries of this payment's events, newest first.",
  })
  async webhookDeliveries(@Root() payment: Payment, @Ctx() ctx: GraphQLContext): Promise<WebhookDelivery[]> {
    return (await this.deps.deliveryLog.ofPayment(principalOf(ctx), payment.id)).map((d) =>
      WebhookDelivery.from(d),
    );
  }
}
