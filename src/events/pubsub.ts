import { Redis } from 'ioredis';
import { Deliveries, type Listener } from './delivery.js';

export type { Listener } from './delivery.js';

/**
 * Fan-out of published events to subscribers. In-process for one instance; Redis, or PostgreSQL's
 * LISTEN/NOTIFY, when several instances serve the same merchants, so a subscriber on one sees a
 * change made on another (see `pubsubKind`).
 */
export interface PubSub {
  publish(topic: string, message: string): Promise<void>;
  /** Resolves once the subscription is live; the returned function ends it. */
  subscribe(topic: string, listener: Listener): Promise<() => Promise<void>>;
  /** `true` while the backing transport answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export class InProcessPubSub implements PubSub {
  private readonly topics = new Map<string, Set<Listener>>();
  private readonly deliveries = new Deliveries();

  async publish(topic: string, message: string): Promise<void> {
    this.deliveries.deliver(this.topics.get(topic), message);
  }

  async subscribe(topic: string, listener: Listener): Promise<() => Promise<void>> {
    let listeners = this.topics.get(topic);
    if (!listeners) this.topics.set(topic, (listeners = new Set()));
    listeners.add(listener);
    const subscribed = listeners;
    return async () => {
      if (subscribed.delete(listener) && subscribed.size === 0 && this.topics.get(topic) === subscribed)
        this.topics.delete(topic);
    };
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.topics.clear();
    this.deliveries.clear();
  }
}

/** A topic's listeners and the SUBSCRIBE they all wait for. */
interface Topic {
  listeners: Set<Listener>;
  ready: Promise<void>;
}

/** Redis pub/sub: one connection publishes, one holds the SUBSCRIBEs, shared by every listener. */
export class RedisPubSub implements PubSub {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly topics = new Map<string, Topic>();
  private readonly deliveries = new Deliveries();

  constructor(url: string) {
    const options = { lazyConnect: true, maxRetriesPerRequest: 2, enableAutoPipelining: true } as const;
    this.publisher = new Redis(url, options);
    this.subscriber = new Redis(url, { ...options, enableAutoPipelining: false });
    this.subscriber.on('message', (topic: string, message: string) =>
      this.deliveries.deliver(this.topics.get(topic)?.listeners, message),
    );
    // Connection problems surface through ping() (/readyz) and failed publishes; ioredis reconnects.
    this.publisher.on('error', () => {});
    this.subscriber.on('error', () => {});
  }

  /** Connects both connections; rejects if Redis cannot be reached. */
  async connect(): Promise<this> {
    await Promise.all([this.publisher.connect(), this.subscriber.connect()]);
    return this;
  }

  async publish(topic: string, message: string): Promise<void> {
    await this.publisher.publish(topic, message);
  }

  /**
   * Every listener of a topic waits for the one SUBSCRIBE that Redis confirms: a second listener
   * that arrives while it is under way is not told it is live before it is. If Redis refuses, every
   * waiting listener fails and the topic is forgotten, so the next subscribe tries again.
   */
  async subscribe(topic: string, listener: Listener): Promise<() => Promise<void>> {
    let entry = this.topics.get(topic);
    if (!entry) {
      const created: Topic = { listeners: new Set(), ready: this.subscriber.subscribe(topic).then(() => {}) };
      created.ready.catch(() => {
        if (this.topics.get(topic) === created) this.topics.delete(topic);
      });
      this.topics.set(topic, (entry = created));
    }
    entry.listeners.add(listener);
    try {
      await entry.ready;
    } catch (error) {
      entry.listeners.delete(listener);
      throw error;
    }
    const subscribed = entry;
    return async () => {
      if (!subscribed.listeners.delete(listener) || subscribed.listeners.size > 0) return;
      if (this.topics.get(topic) !== subscribed) return;
      this.topics.delete(topic);
      await this.subscriber.unsubscribe(topic).catch(() => {});
    };
  }

  /** Whether Redis answers the publishing connection, and the subscribing one is connected. */
  async ping(): Promise<boolean> {
    try {
      return (await this.publisher.ping()) === 'PONG' && this.subscriber.status === 'ready';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.topics.clear();
    this.deliveries.clear();
    await Promise.allSettled([this.publisher.quit(), this.subscriber.quit()]);
  }
}
