import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A merchant's webhook receiver on loopback whose answers a test scripts (status, delay, headers). */
export class Receiver {
  readonly received: Received[] = [];
  /** Answers for the next requests, in order; then `fallback`. */
  script: { status: number; delayMs?: number; headers?: Record<string, string> }[] = [];
  fallback: { status: number; delayMs?: number; headers?: Record<string, string> } = { status: 200 };
  private server: Server | null = null;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/webhooks`;
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body, at: Date.now() });
        const answer = this.script.shift() ?? this.fallback;
        const timer = setTimeout(() => {
          if (res.destroyed) return;
          res.writeHead(answer.status, answer.headers ?? {});
          res.end('ok');
        }, answer.delayMs ?? 0);
        timer.unref(); // a held-open answer must not keep the test process alive
      });
    });
    this.server.keepAliveTimeout = 1;
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
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
