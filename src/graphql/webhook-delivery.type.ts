import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { DeliveryLogEntry } from '../webhooks/delivery-log.js';
import { PageInfo } from './payment-connection.type.js';
import { SafeInt } from './scalars.js';
import { UserError } from './user-error.type.js';

@ObjectType({ description: "One event's delivery to one webhook endpoint, with its latest attempt." })
export class WebhookDelivery {
  @Field(() => ID) id!: string;
  @Field(() => ID) endpointId!: string;
  @Field(() => ID) eventId!: string;
  @Field({ description: 'The event type (`ping` for a test event).' }) eventType!: string;
  @Field(() => ID, { nullable: true }) paymentId!: string | null;
  @Field({ description: 'pending, succeeded or failed.' }) status!: string;
  @Field(() => SafeInt) attempts!: number;
  @Field(() => Int, { nullable: true, description: "The latest attempt's HTTP status (null: no answer)." })
  responseStatus!: number | null;
  @Field(() => String, {
    nullable: true,
    description: "The start of the latest answer's body, or why nothing answered.",
  })
  responseExcerpt!: string | null;
  @Field(() => SafeInt) createdAt!: number;
  @Field(() => SafeInt, { nullable: true }) lastAttemptAt!: number | null;
  @Field(() => SafeInt, { nullable: true, description: 'When a pending delivery is tried next.' })
  nextAttemptAt!: number | null;

  static from(entry: DeliveryLogEntry): WebhookDelivery {
    return Object.assign(new WebhookDelivery(), entry);
  }
}

@ObjectType()
export class WebhookDeliveryEdge {
  @Field() cursor!: string;
  @Field(() => WebhookDelivery) node!: WebhookDelivery;
}

@ObjectType({ description: 'Webhook deliveries, newest first (Relay cursor connection).' })
export class WebhookDeliveryConnection {
  @Field(() => [WebhookDeliveryEdge]) edges!: WebhookDeliveryEdge[];
  @Field(() => [WebhookDelivery]) nodes!: WebhookDelivery[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType()
export class WebhookDeliveryPayload {
  @Field(() => WebhookDelivery, { nullable: true }) delivery!: WebhookDelivery | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

/** Cursors are opaque to clients: base64url of the delivery id. */
export const encodeDeliveryCursor = (id: string) => Buffer.from(`delivery:${id}`).toString('base64url');
export function decodeDeliveryCursor(cursor: string): string | null {
  const text = Buffer.from(cursor, 'base64url').toString();
  return /^delivery:wd_[A-Za-z0-9]{24}$/.test(text) ? text.slice('delivery:'.length) : null;
}
