import type { PaymentService } from '../services/payments.js';
import { toPaymentObject, type PaymentObject } from '../services/payment-object.js';
import { paymentTopic, type Principal } from '../services/principal.js';
import type { PaymentEventMessage } from './outbox.js';
import type { PubSub } from './pubsub.js';

/**
 * Every subscriber of a topic receives the same message string, one after the other: parsing it
 * once (and sharing the object, which nobody mutates) keeps fan-out to thousands of subscribers cheap.
 */
let lastRaw: string | null = null;
let lastObject: PaymentObject | null = null;
function parseShared(raw: string): PaymentObject {
  if (raw !== lastRaw) {
    lastObject = (JSON.parse(raw) as PaymentEventMessage).payment;
    lastRaw = raw;
  }
  return lastObject!;
}

export interface PaymentFeedOptions {
  pubsub: PubSub;
  payments: PaymentService;
  publicUrl: string;
  principal: Principal;
  /** One payment (starting with its current state), or null for all of the principal's payments. */
  paymentId: string | null;
}

/**
 * A live feed of one principal's payment changes, for subscriptions. With a payment id it starts
 * with that payment's current state, so a reconnecting client never misses the final status.
 * Versions only increase per payment: duplicates and stale deliveries of the at-least-once relay
 * are dropped.
 *
 * A hand-written iterator rather than an async generator: `return()` must end the subscription at
 * once even while the feed waits for the next event (a suspended generator would not run its
 * `finally` until another event arrived).
 */
export async function openPaymentFeed(
  options: PaymentFeedOptions,
): Promise<AsyncIterableIterator<PaymentObject>> {
  const { pubsub, payments, publicUrl, principal, paymentId } = options;
  const queue: PaymentObject[] = [];
  const latest = new Map<string, number>();
  let waiting: ((result: IteratorResult<PaymentObject>) => void) | null = null;
  let done = false;

  const accept = (object: PaymentObject): boolean => {
    if ((latest.get(object.id) ?? 0) >= object.version) return false;
    latest.set(object.id, object.version);
    if (latest.size > 10_000) latest.delete(latest.keys().next().value!);
    return true;
  };
  const push = (object: PaymentObject) => {
    if (done || !accept(object)) return;
    if (waiting) {
      const resolve = waiting;
      waiting = null;
      resolve({ value: object, done: false });
    } else queue.push(object);
  };

  // Subscribe first, then read the current state: a change committed in between still arrives, and
  // the version check keeps it from going backwards.
  const unsubscribe = await pubsub.subscribe(
    paymentTopic(principal.merchantId, principal.livemode),
    (raw) => {
      const object = parseShared(raw);
      if (!paymentId || object.id === paymentId) push(object);
    },
  );
  if (paymentId) {
    try {
      const current = toPaymentObject(await payments.getPayment(principal, paymentId), publicUrl);
      if (accept(current)) queue.unshift(current);
      queue.sort((a, b) => a.version - b.version);
    } catch (error) {
      await unsubscribe();
      throw error;
    }
  }

  const finish = async (): Promise<IteratorResult<PaymentObject>> => {
    if (!done) {
      done = true;
      queue.length = 0;
      waiting?.({ value: undefined, done: true });
      waiting = null;
      await unsubscribe();
    }
    return { value: undefined, done: true };
  };

  return {
    next() {
      const value = queue.shift();
      if (value) return Promise.resolve({ value, done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => (waiting = resolve));
    },
    return: finish,
    throw: async (error: unknown) => {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator](): AsyncIterableIterator<PaymentObject> {
      return this as AsyncIterableIterator<PaymentObject>;
    },
  };
}
