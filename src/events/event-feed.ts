import { iteratorOf, LiveQueue } from './live-queue.js';
import { eventObject, parseEventMessage, type PaymentEventMessage, type TillEvent } from './outbox.js';
import type { PubSub } from './pubsub.js';
import { paymentTopic, type FeedScope } from './topics.js';

export interface EventFeedOptions {
  pubsub: PubSub;
  scope: FeedScope;
  /** Replay the scope's events after this one first (a client resuming), or null: new events only. */
  after: string | null;
  /**
   * The scope's stored events after `eventId`, oldest first, one page at a time (empty once caught
   * up); rejects when `eventId` is not one of the scope's events.
   */
  replay(eventId: string): Promise<TillEvent[]>;
}

/** Ids already sent, so an event both replayed and then published arrives once. */
const REMEMBERED_IDS = 10_000;

/** Subscribers of one message share its event object (nobody mutates it). */
const shared = new WeakMap<PaymentEventMessage, TillEvent>();
function eventOf(message: PaymentEventMessage): TillEvent {
  let event = shared.get(message);
  if (!event) {
    event = eventObject({
      id: message.id,
      type: message.type,
      createdAt: message.created_at,
      livemode: message.livemode,
      object: message.data.object,
    });
    shared.set(message, event);
  }
  return event;
}

/**
 * A live feed of one merchant's events (payments and refunds), for subscriptions: every event the
 * relay publishes, once each, in the shape of webhooks and the events API. With `after`, the events
 * stored since that one come first, from the outbox, so a client that reconnects misses nothing;
 * events published meanwhile wait behind them, and those already replayed are skipped.
 */
export async function openEventFeed(options: EventFeedOptions): Promise<AsyncIterableIterator<TillEvent>> {
  const { pubsub, scope, replay } = options;
  const live = new LiveQueue<TillEvent>();
  const sent = new Set<string>();
  const firstTime = (event: TillEvent): boolean => {
    if (sent.has(event.id)) return false;
    sent.add(event.id);
    if (sent.size > REMEMBERED_IDS) sent.delete(sent.values().next().value!);
    return true;
  };

  // Subscribe before reading the outbox: an event committed in between is in one or the other.
  const unsubscribe = await pubsub.subscribe(paymentTopic(scope.merchantId, scope.livemode), (raw) =>
    live.push(eventOf(parseEventMessage(raw))),
  );
  live.whenEnded(unsubscribe);

  let cursor = options.after;
  let page: TillEvent[] = [];
  if (cursor) {
    try {
      page = await replay(cursor);
      if (page.length === 0) cursor = null;
    } catch (error) {
      await live.end();
      throw error;
    }
  }

  return iteratorOf(
    async () => {
      for (;;) {
        if (live.done) return { value: undefined, done: true };
        const replayed = page.shift();
        if (replayed) {
          cursor = replayed.id;
          if (firstTime(replayed)) return { value: replayed, done: false };
          continue;
        }
        if (cursor) {
          page = await replay(cursor);
          if (page.length === 0) cursor = null; // caught up: from here on, live events only
          continue;
        }
        const next = await live.next();
        if (next.done || firstTime(next.value)) return next;
      }
    },
    () => live.end(),
  );
}
