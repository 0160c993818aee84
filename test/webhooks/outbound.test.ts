import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postWebhook } from '../../src/webhooks/outbound.js';

const OPTIONS = { connectTimeoutMs: 2_000, responseTimeoutMs: 5_000, allowPrivate: true };

describe('a webhook POST and the answer it reads', () => {
  let server: Server;
  let url: string;
  let answer: (res: ServerResponse) => void;
  let closed: Promise<void>;

  beforeEach(async () => {
    let markClosed!: () => void;
    closed = new Promise((resolve) => (markClosed = resolve));
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
      res.on('close', markClosed);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reads a short answer to its end: status and whole body as the excerpt', async () => {
    answer = (res) => res.writeHead(202).end('accepted');
    const response = await postWebhook(url, {}, '{}', OPTIONS);
    expect(response).toMatchObject({ status: 202, excerpt: 'accepted' });
  });

  it('stops reading an endless body once it has the status and the first 1 KiB, long before its deadline', async () => {
    let timer: NodeJS.Timeout | undefined;
    answer = (res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      // A body that never ends: 64 KiB every 10 ms until the connection goes.
      timer = setInterval(() => res.write('x'.repeat(64 * 1024)), 10);
    };
    const started = Date.now();
    try {
      const response = await postWebhook(url, {}, '{}', OPTIONS);
      expect(response.status).toBe(200);
      expect(response.excerpt).toBe('x'.repeat(1024));
      expect(Date.now() - started).toBeLessThan(OPTIONS.responseTimeoutMs);
      // Till hung up on it rather than reading on.
      await closed;
    } finally {
      clearInterval(timer);
    }
  });
});
