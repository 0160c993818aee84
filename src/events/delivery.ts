/** Told each message published to a topic it listens to. */
export type Listener = (message: string) => void;

/** How many listeners hear a message before the event loop gets a turn. */
export const LISTENERS_PER_TURN = 500;

/** A message on its way to the listeners its topic had when it arrived. */
interface Delivery {
  message: string;
  /** The topic's listeners now: one that leaves before its turn does not hear the message. */
  listeners: ReadonlySet<Listener>;
  /** The listeners it had when the message arrived, in the order they subscribed. */
  audience: Listener[];
  next: number;
}

/**
 * Hands each message to its topic's listeners, in the order the messages arrived, a slice of
 * {@link LISTENERS_PER_TURN} at a time. A topic with thousands of subscribers (dashboards following
 * one merchant) would otherwise hold the event loop for the whole fan-out, and every request in
 * flight — the one whose change is being announced included — would wait for it. Between slices
 * the event loop turns (`setImmediate`), so I/O, timers and answers interleave. A message for a
 * smaller audience is delivered within the call, as before.
 *
 * A listener that throws keeps neither the others nor the sender from the message.
 */
export class Deliveries {
  private readonly queue: Delivery[] = [];
  private scheduled = false;
  private running = false;

  deliver(listeners: ReadonlySet<Listener> | undefined, message: string): void {
    if (!listeners || listeners.size === 0) return;
    this.queue.push({ message, listeners, audience: [...listeners], next: 0 });
    // Later messages wait behind those still being delivered (in this call or in a later turn).
    if (!this.running && !this.scheduled) this.run();
  }

  /** Drops what is still queued (the pub/sub is closing). */
  clear(): void {
    this.queue.length = 0;
  }

  private run(): void {
    this.running = true;
    try {
      let budget = LISTENERS_PER_TURN;
      while (this.queue.length > 0) {
        const delivery = this.queue[0]!;
        while (delivery.next < delivery.audience.length) {
          if (budget-- === 0) {
            this.scheduled = true;
            setImmediate(() => {
              this.scheduled = false;
              this.run();
            });
            return;
          }
          const listener = delivery.audience[delivery.next++]!;
          if (!delivery.listeners.has(listener)) continue;
          try {
            listener(delivery.message);
          } catch {
            // A subscriber's own failure; the message is still delivered to the rest.
          }
        }
        this.queue.shift();
      }
    } finally {
      this.running = false;
    }
  }
}
