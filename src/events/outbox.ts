import type { SqlEntityManager } from '@mikro-orm/sql';
import { EventSchema } from '../db/entities/event.entity.js';
import type { Payment } from '../db/entities/payment.entity.js';
import { newId } from '../domain/ids.js';
import { toPaymentObject, type PaymentObject } from '../services/payment-object.js';

/** What the relay publishes for each outbox row, and what subscribers receive. */
export interface PaymentEventMessage {
  id: string;
  type: string;
  created_at: number;
  livemode: boolean;
  merchant_id: string;
  data: { object: PaymentObject };
}

/**
 * Queues an event for `payment` in the caller's transaction (the transactional outbox): the event
 * exists exactly when the change it describes was committed.
 */
export async function recordPaymentEvent(
  em: SqlEntityManager,
  payment: Payment,
  type: string,
  publicUrl: string,
): Promise<void> {
  const now = new Date();
  await em.insert(EventSchema, {
    id: newId.event(),
    merchantId: payment.merchantId,
    livemode: payment.livemode,
    type,
    paymentId: payment.id,
    data: { object: toPaymentObject(payment, publicUrl) },
    createdAt: now,
    publishedAt: null,
  });
}
