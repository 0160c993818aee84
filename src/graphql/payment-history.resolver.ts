import DataLoader from 'dataloader';
import { Authorized, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { EventService } from '../services/events.js';
import type { Permission } from '../services/permissions.js';
import type { Principal } from '../services/principal.js';
import type { WebhookDeliveryLog } from '../webhooks/delivery-log.js';
import { Event } from './after-payment.resolver.js';
import { principalOf, type GraphQLContext } from './context.js';
import { Payment } from './payment.type.js';
import { WebhookDelivery } from './webhook-delivery.type.js';

export interface PaymentHistoryDeps {
  events: EventService;
  deliveryLog: WebhookDeliveryLog;
}

interface Loaders {
  events: DataLoader<string, Event[]>;
  deliveries: DataLoader<string, WebhookDelivery[]>;
}

/**
 * A payment's history for its detail view: its events and their webhook deliveries. Each field
 * needs its own permission, whoever may read the payment itself. A list of payments asking for
 * them costs one query per field, not one per payment: the loaders of an operation batch the ids
 * asked for together (without caching, so a subscription's next result reads afresh).
 */
@Resolver(() => Payment)
export class PaymentHistoryResolver {
  private readonly loaders = new WeakMap<GraphQLContext, Loaders>();

  constructor(private readonly deps: PaymentHistoryDeps) {}

  private loadersOf(ctx: GraphQLContext, principal: Principal): Loaders {
    let loaders = this.loaders.get(ctx);
    if (!loaders) {
      loaders = {
        events: new DataLoader(
          async (ids) => {
            const found = await this.deps.events.ofPayments(principal, ids);
            return ids.map((id) => (found.get(id) ?? []).map((e) => Event.from(e)));
          },
          { cache: false },
        ),
        deliveries: new DataLoader(
          async (ids) => {
            const found = await this.deps.deliveryLog.ofPayments(principal, ids);
            return ids.map((id) => (found.get(id) ?? []).map((d) => WebhookDelivery.from(d)));
          },
          { cache: false },
        ),
      };
      this.loaders.set(ctx, loaders);
    }
    return loaders;
  }

  @Authorized<Permission>('events:read')
  @FieldResolver(() => [Event], { description: "This payment's events (its refunds' too), oldest first." })
  events(@Root() payment: Payment, @Ctx() ctx: GraphQLContext): Promise<Event[]> {
    return this.loadersOf(ctx, principalOf(ctx)).events.load(payment.id);
  }

  @Authorized<Permission>('webhooks:read')
  @FieldResolver(() => [WebhookDelivery], {
    description: "The webhook deliveries of this payment's events, newest first.",
  })
  webhookDeliveries(@Root() payment: Payment, @Ctx() ctx: GraphQLContext): Promise<WebhookDelivery[]> {
    return this.loadersOf(ctx, principalOf(ctx)).deliveries.load(payment.id);
  }
}
