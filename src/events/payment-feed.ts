import { LiveQueue } from './live-queue.js';
import { parseEventMessage } from './outbox.js';
import type { PaymentPayload } from './payment-payload.js';
import type { PubSub } from './pubsub.js';
import { paymentTopic, type FeedScope } from './topics.js';

export interface PaymentFeedOptions {
  pubsub: PubSub;
  scope: FeedScope;
  /** One payment (starting with its current state), or null for all of the scope's payments. */
  paymentId: string | null;
  /** Reads a payment's current state, scoped to the same merchant and mode (rejects when unknown). */
  current(paymentId: string): Promise<PaymentPayload>;
}

/**
 * A live feed of one merchant's payment changes, for subscriptions. With a payment id it starts
 * with that payment's current state, so a reconnecting client never misses the final status.
 * Versions only increase per payment: duplicates and stale deliveries of the at-least-once relay
 * are dropped.
 */
export async function openPaymentFeed(
  options: PaymentFeedOptions,
): Promise<AsyncIterableIterator<PaymentPayload>> {
  const { pubsub, scope, paymentId } = options;
  const queue = new LiveQueue<PaymentPayload>();
  const latest = new Map<string, number>();

  const accept = (object: PaymentPayload): boolean => {
    if ((latest.get(object.id) ?? 0) >= object.version) return false;
    latest.set(object.id, object.version);
    if (latest.size > 10_000) latest.delete(latest.keys().next().value!);
    return true;
  };

  // Subscribe first, then read the current state: a change committed in between still arrives, and
  // the version check keeps it from going backwards.
  const unsubscribe = await pubsub.subscribe(paymentTopic(scope.merchantId, scope.livemode), (raw) => {
    const object = parseEventMessage(raw).payment;
    if ((!paymentId || object.id === paymentId) && !queue.done && accept(object)) queue.push(object);
  });
  queue.whenEnded(unsubscribe);
  if (paymentId) {
    try {
      const current = await options.current(paymentId);
      if (accept(current)) queue.buffer.unshift(current);
      queue.buffer.sort((a, b) => a.version - b.version);
    } catch (error) {
      await queue.end();
      throw error;
    }
  }
  return queue.iterator();
}
