import { GRAPHQL_TRANSPORT_WS_PROTOCOL } from 'graphql-ws';
import WebSocket from 'ws';

/** One graphql-transport-ws message as it travels on the wire. */
export interface ProtocolMessage {
  id?: string;
  type: string;
  payload?: any;
}

/**
 * The graphql-transport-ws protocol spoken by hand over `ws`: for what a well-behaved client never
 * sends (oversized messages, hundreds of operations on one socket) and to watch every message and
 * the close code as they arrive.
 */
export class RawGraphQLSocket {
  readonly messages: ProtocolMessage[] = [];
  /** Set once the server acknowledged `connection_init`. */
  acked = false;
  /** Resolves with the close code and reason, whoever closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  private closedWith: { code: number; reason: string } | null = null;
  private waiters = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as ProtocolMessage;
      if (message.type === 'connection_ack') this.acked = true;
      this.messages.push(message);
      this.notify();
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', (code, reason) => {
        this.closedWith = { code, reason: String(reason) };
        resolve(this.closedWith);
        this.notify();
      }),
    );
    socket.on('error', () => {}); // the close that follows is what tests look at
  }

  /**
   * Opens a socket on `/graphql` and sends `connection_init` with the Bearer key; resolves once the
   * server acknowledged or closed the socket (`acked` tells which).
   */
  static async open(base: string, key: string): Promise<RawGraphQLSocket> {
    const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/graphql`, GRAPHQL_TRANSPORT_WS_PROTOCOL);
    const raw = new RawGraphQLSocket(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } });
    await raw.until(() => raw.acked || raw.closedWith !== null);
    return raw;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(message: ProtocolMessage): void {
    this.socket.send(JSON.stringify(message));
  }

  subscribe(id: string, query: string, variables?: Record<string, unknown>): void {
    this.send({ id, type: 'subscribe', payload: { query, ...(variables ? { variables } : {}) } });
  }

  /** The first message (already received or still to come) for operation `id` of type `type`. */
  async message(id: string, type: string, ms = 10_000): Promise<ProtocolMessage> {
    const find = () => this.messages.find((m) => m.id === id && m.type === type);
    await this.until(() => find() !== undefined, ms, `no ${type} for ${id}`);
    return find()!;
  }

  /** Messages of operation `id` so far. */
  of(id: string): ProtocolMessage[] {
    return this.messages.filter((m) => m.id === id);
  }

  /** Resolves when `predicate` holds, or rejects after `ms`. */
  async until(predicate: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${what}; messages=${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING)
      this.socket.terminate();
  }

  private notify() {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter();
  }
}
