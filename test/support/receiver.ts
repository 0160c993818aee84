import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

interface Answer {
  status: number;
  delayMs?: number;
  headers?: Record<string, string>;
  /** The response body; `ok` when absent. */
  body?: string;
}

/** A merchant's webhook receiver on loopback whose answers a test scripts (status, delay, headers). */
export class Receiver {
  readonly received: Received[] = [];
  /** Answers for the next requests, in order; then `fallback`. */
  script: Answer[] = [];
  fallback: Answer = { status: 200 };
  /** Requests being answered now, and the most there ever were at once. */
  inFlight = 0;
  maxInFlight = 0;
  private server: Server | null = null;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/webhooks`;
  }

  /** Listens on loopback unless `host` says otherwise (`0.0.0.0`: every interface). */
  async start(port = 0, host = '127.0.0.1'): Promise<this> {
    this.server = createServer((req, res) => {
      this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
      res.on('close', () => this.inFlight--);
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body, at: Date.now() });
        const answer = this.script.shift() ?? this.fallback;
        const timer = setTimeout(() => {
          if (res.destroyed) return;
          res.writeHead(answer.status, answer.headers ?? {});
          res.end(answer.body ?? 'ok');
        }, answer.delayMs ?? 0);
        timer.unref(); // a held-open answer must not keep the test process alive
      });
    });
    this.server.keepAliveTimeout = 1;
    await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
    this.server = null;
  }

  async until(predicate: (r: Received[]) => boolean, ms = 15_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate(this.received)) {
      if (Date.now() > deadline) throw new Error(`receiver timed out with ${this.received.length} requests`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** A listener that accepts connections and never answers: a receiver that hangs every request. */
export class BlackHole {
  private server: TcpServer | null = null;
  private readonly sockets = new Set<Socket>();
  /** Connections accepted so far, and the most that were open at once. */
  accepted = 0;
  maxOpen = 0;
  port = 0;

  get open(): number {
    return this.sockets.size;
  }

  url(path = ''): string {
    return `http://127.0.0.1:${this.port}/${path}`;
  }

  async start(): Promise<this> {
    this.server = createTcpServer((socket) => {
      this.accepted++;
      this.sockets.add(socket);
      this.maxOpen = Math.max(this.maxOpen, this.sockets.size);
      socket.on('error', () => {});
      socket.on('close', () => this.sockets.delete(socket));
      socket.resume(); // read and drop the request, answer nothing
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
    this.server = null;
  }
}
