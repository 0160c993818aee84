import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { Deliveries } from './delivery.js';
import type { Listener, PubSub } from './pubsub.js';

/**
 * NOTIFY refuses a payload of 8000 bytes or more. A message is sent whole when it fits under this
 * (header included), in numbered parts otherwise.
 */
const PAYLOAD_BYTES = 7_900;
/** The most notifications sent in one statement (one transaction). */
const NOTIFICATIONS_PER_STATEMENT = 200;
/** A message whose parts stop arriving is given up after this long. */
const PARTS_TIMEOUT_MS = 30_000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/** A topic's listeners and the LISTEN they all wait for. */
interface Topic {
  channel: string;
  listeners: Set<Listener>;
  ready: Promise<void>;
}

/** A message waiting to be sent: its notifications, and who awaits the statement that sends them. */
interface Outgoing {
  channel: string;
  payloads: string[];
  resolve(): void;
  reject(error: unknown): void;
}

/** A message arriving in parts. */
interface Assembly {
  parts: string[];
  received: number;
  startedAt: number;
}

/**
 * The channel a topic is sent on: LISTEN takes an identifier of at most 63 bytes, and a topic is
 * any string, so the channel is a digest of it.
 */
export function channelOf(topic: string): string {
  return `till_${createHash('sha256').update(topic).digest('hex').slice(0, 40)}`;
}

/**
 * Pub/sub over PostgreSQL's LISTEN/NOTIFY, for instances that share a PostgreSQL database and no
 * Redis. One dedicated connection holds the LISTENs (reconnecting, and listening again, when it
 * drops; what is sent meanwhile is missed, as with Redis pub/sub); another sends the NOTIFYs, in
 * order, several per statement when they queue up. This instance's own listeners hear a message
 * the moment it is published; the copy PostgreSQL echoes back is recognised by its sender's tag
 * and dropped.
 *
 * Payload: `<sender>:<n>=<message>`, or for a message too large for one notification, parts
 * `<sender>:<n>#<index>/<count>:<piece>` sent in one transaction (so they arrive together, in order).
 */
export class PostgresPubSub implements PubSub {
  private readonly sender = randomBytes(9).toString('base64url');
  private sent = 0;
  private readonly publisher: pg.Pool;
  private readonly topics = new Map<string, Topic>();
  private readonly byChannel = new Map<string, Topic>();
  private readonly partials = new Map<string, Assembly>();
  private readonly deliveries = new Deliveries();
  private listener: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private reconnectDelay = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private outgoing: Outgoing[] = [];
  private sending: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly url: string) {
    // One connection: notifications are sent in the order they were published. A NOTIFY's
    // transaction writes nothing durable, yet PostgreSQL gives it a transaction id, so its commit
    // would wait for the write-ahead log to reach disk; a notification is not kept across a crash
    // anyway, so that wait buys nothing and the commit does not make it.
    this.publisher = new pg.Pool({ connectionString: url, max: 1, options: '-c synchronous_commit=off' });
    // A dropped idle connection is replaced on the next query; failures surface there and in ping().
    this.publisher.on('error', () => {});
  }

  /** Checks that PostgreSQL answers; rejects if it cannot be reached. */
  async connect(): Promise<this> {
    await this.publisher.query('select 1');
    return this;
  }

  publish(topic: string, message: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('pub/sub is closed'));
    const sent = new Promise<void>((resolve, reject) =>
      this.outgoing.push({ channel: channelOf(topic), payloads: this.payloads(message), resolve, reject }),
    );
    this.sending ??= this.send();
    this.deliveries.deliver(this.topics.get(topic)?.listeners, message);
    return sent;
  }

  /**
   * Every listener of a topic waits for the one LISTEN that PostgreSQL confirms. If it fails, every
   * waiting listener fails and the topic is forgotten, so the next subscribe tries again.
   */
  async subscribe(topic: string, listener: Listener): Promise<() => Promise<void>> {
    let entry = this.topics.get(topic);
    if (!entry) {
      const channel = channelOf(topic);
      const created: Topic = {
        channel,
        listeners: new Set(),
        ready: this.listening().then(async (client) => {
          await client.query(`listen ${channel}`);
        }),
      };
      created.ready.catch(() => {
        if (this.topics.get(topic) === created) {
          this.topics.delete(topic);
          this.byChannel.delete(channel);
        }
      });
      this.topics.set(topic, (entry = created));
      this.byChannel.set(channel, created);
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
      this.byChannel.delete(subscribed.channel);
      await this.listener?.query(`unlisten ${subscribed.channel}`).catch(() => {});
    };
  }

  /**
   * Whether both connections answer: the one that sends, and the one that listens while anyone is
   * subscribed (between its drop and the reconnect, this instance hears no other instance's events).
   */
  async ping(): Promise<boolean> {
    try {
      await this.publisher.query('select 1');
      if (this.topics.size === 0) return true;
      if (!this.listener) return false;
      await this.listener.query('select 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.sending;
    this.topics.clear();
    this.byChannel.clear();
    this.deliveries.clear();
    const listener = this.listener ?? (await this.connecting?.catch(() => null));
    this.listener = null;
    await Promise.allSettled([listener?.end(), this.publisher.end()]);
  }

  /** The notifications that carry `message`: one, or its parts. */
  private payloads(message: string): string[] {
    const tag = `${this.sender}:${(this.sent++).toString(36)}`;
    if (Buffer.byteLength(message) + tag.length + 1 <= PAYLOAD_BYTES) return [`${tag}=${message}`];
    // Cut on character boundaries: encodeInto stops before a character that would not fit.
    const pieces: string[] = [];
    const buffer = new Uint8Array(PAYLOAD_BYTES - tag.length - 24);
    const encoder = new TextEncoder();
    for (let at = 0; at < message.length;) {
      let { read } = encoder.encodeInto(message.slice(at, at + buffer.length), buffer);
      // Never between the two halves of a surrogate pair (each half alone is not valid text).
      const last = message.charCodeAt(at + read - 1);
      if (last >= 0xd800 && last <= 0xdbff && at + read < message.length) read -= 1;
      pieces.push(message.slice(at, at + read));
      at += read;
    }
    return pieces.map((piece, index) => `${tag}#${index}/${pieces.length}:${piece}`);
  }

  /** Sends what is queued, a statement at a time, until the queue is empty. */
  private async send(): Promise<void> {
    try {
      while (this.outgoing.length > 0) {
        const batch: Outgoing[] = [];
        let notifications = 0;
        while (
          this.outgoing.length > 0 &&
          (batch.length === 0 || notifications < NOTIFICATIONS_PER_STATEMENT)
        ) {
          const next = this.outgoing.shift()!;
          batch.push(next);
          notifications += next.payloads.length;
        }
        const params: string[] = [];
        const calls: string[] = [];
        for (const { channel, payloads } of batch)
          for (const payload of payloads) {
            params.push(channel, payload);
            calls.push(`pg_notify($${params.length - 1}, $${params.length})`);
          }
        try {
          await this.publisher.query(`select ${calls.join(', ')}`, params);
          for (const item of batch) item.resolve();
        } catch (error) {
          for (const item of batch) item.reject(error);
        }
      }
    } finally {
      this.sending = null;
    }
  }

  /** The LISTEN connection, connecting it (and listening on every topic's channel) if need be. */
  private listening(): Promise<pg.Client> {
    if (this.listener) return Promise.resolve(this.listener);
    if (this.closed) return Promise.reject(new Error('pub/sub is closed'));
    this.connecting ??= this.connectListener().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connectListener(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('error', () => this.dropped(client));
    client.on('end', () => this.dropped(client));
    client.on('notification', (notification) => this.received(notification.channel, notification.payload));
    try {
      await client.connect();
      for (const channel of this.byChannel.keys()) await client.query(`listen ${channel}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      throw new Error('pub/sub is closed');
    }
    this.listener = client;
    this.reconnectDelay = RECONNECT_MIN_MS;
    return client;
  }

  /** The LISTEN connection failed or ended: reconnect while anyone is subscribed. */
  private dropped(client: pg.Client): void {
    if (this.listener !== client) return;
    this.listener = null;
    client.end().catch(() => {});
    this.reconnect();
  }

  private reconnect(): void {
    if (this.closed || this.reconnectTimer || this.topics.size === 0) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(delay * 2, RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.listening().catch(() => this.reconnect());
    }, delay);
    this.reconnectTimer.unref();
  }

  /** A notification: another instance's message, or part of one. */
  private received(channel: string, payload: string | undefined): void {
    const topic = this.byChannel.get(channel);
    if (!topic || payload === undefined) return;
    const header = /^([A-Za-z0-9_-]+):([0-9a-z]+)([=#])/.exec(payload);
    if (!header || header[1] === this.sender) return;
    let message: string | null = payload.slice(header[0].length);
    if (header[3] === '#') message = this.assemble(`${header[1]}:${header[2]}`, message);
    if (message === null) return;
    this.deliveries.deliver(topic.listeners, message);
  }

  /** Adds one part (`<index>/<count>:<piece>`); returns the message once every part has arrived. */
  private assemble(key: string, part: string): string | null {
    const match = /^(\d+)\/(\d+):/.exec(part);
    if (!match) return null;
    const index = Number(match[1]);
    const count = Number(match[2]);
    const now = Date.now();
    for (const [stale, entry] of this.partials)
      if (now - entry.startedAt > PARTS_TIMEOUT_MS) this.partials.delete(stale);
      else break;
    let entry = this.partials.get(key);
    if (!entry)
      this.partials.set(key, (entry = { parts: new Array<string>(count), received: 0, startedAt: now }));
    if (index >= entry.parts.length || entry.parts[index] !== undefined) return null;
    entry.parts[index] = part.slice(match[0].length);
    if (++entry.received < entry.parts.length) return null;
    this.partials.delete(key);
    return entry.parts.join('');
  }
}
