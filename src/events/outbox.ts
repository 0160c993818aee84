import type { SqlEntityManager } from '@mikro-orm/sql';
import { EventSchema } from '../db/entities/event.entity.js';
import type { Payment } from '../db/entities/payment.entity.js';
import { newId } from '../domain/ids.js';
import type { RefundObject } from '../domain/payment.js';
import { toPaymentObject, type PaymentObject } from '../services/payment-object.js';

/**
 * Seed-style event (`{id, type, created_at, livemode, data: {object}}`): the body of webhooks and of
 * the events API, the same ids everywhere.
 */
export interface TillEvent {
  id: string;
  object: 'event';
  type: string;
  created_at: number;
  livemode: boolean;
  data: { object: PaymentObject | RefundObject };
}

/** What the relay publishes: the event plus, for subscribers, the payment as it is after it. */
export interface PaymentEventMessage extends TillEvent {
  merchant_id: string;
  payment: PaymentObject;
}

/**
 * Queues an event in the caller's transaction (the transactional outbox): the event exists exactly
 * when the change it describes was committed. `object` defaults to the payment itself; refund
 * events carry the refund, with the payment's snapshot alongside for subscribers.
 */
export async function recordPaymentEvent(
  em: SqlEntityManager,
  payment: Payment,
  type: string,
  publicUrl: string,
  object?: RefundObject,
): Promise<void> {
  const snapshot = toPaymentObject(payment, publicUrl);
  await em.insert(EventSchema, {
    id: newId.event(),
    merchantId: payment.merchantId,
    livemode: payment.livemode,
    type,
    paymentId: payment.id,
    data: { object: object ?? snapshot },
    paymentSnapshot: object ? snapshot : null,
    createdAt: new Date(),
    publishedAt: null,
  });
}
