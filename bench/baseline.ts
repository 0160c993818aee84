/**
 * The benchmark's baseline: the SQL writes of Till's REST create (`POST /v1/payments/hpp`)
 * through `pg`, with no framework around them. A plain `node:http` server; `bench/run.ts` starts it
 * as a child process against the database Till migrated, for a merchant Till created.
 *
 * Per POST, in one transaction: claim the idempotency key, insert the payment, insert its
 * `payment.created` outbox event, mark the key done with the stored response, commit. Then it
 * answers with the payment object as JSON, as Till does.
 *
 * Env: BASELINE_DATABASE_URL, BASELINE_PORT, BASELINE_MERCHANT_ID, BASELINE_API_KEY (the Bearer it
 * accepts), BASELINE_PUBLIC_URL (for hosted_payment_url), BASELINE_POOL_MAX (default 10, Till's pool).
 *
 * Runs under plain Node 24 (type stripping): erasable TypeScript only, nothing from src/.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`baseline: ${name} is required`);
    process.exit(2);
  }
  return value;
}

const databaseUrl = required('BASELINE_DATABASE_URL');
const port = Number(required('BASELINE_PORT'));
const merchantId = required('BASELINE_MERCHANT_ID');
const apiKeyHash = createHash('sha256').update(required('BASELINE_API_KEY')).digest();
const publicUrl = (process.env.BASELINE_PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
const poolMax = Number(process.env.BASELINE_POOL_MAX ?? 10);

const HPP_TTL_MS = 3600 * 1000;
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const BODY_LIMIT = 64 * 1024;

const pool = new pg.Pool({ connectionString: databaseUrl, max: poolMax });
pool.on('error', (error) => console.error('baseline: idle client error', error.message));

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Same id shape as Till's: prefix + 24 uniformly random base62 characters. */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

const unix = (d: Date) => Math.floor(d.getTime() / 1000);

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) reject(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function authorized(header: string | undefined): boolean {
  const match = /^Bearer (\S+)$/.exec(header ?? '');
  if (!match) return false;
  return timingSafeEqual(createHash('sha256').update(match[1]!).digest(), apiKeyHash);
}

interface CreateBody {
  amount: number;
  currency: string;
  return_url: string;
  merchant_reference?: string | null;
  description?: string | null;
}

function parseCreate(raw: string): CreateBody | string {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return 'body must be JSON';
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be a JSON object';
  const b = body as Record<string, unknown>;
  if (typeof b.amount !== 'number' || !Number.isInteger(b.amount) || b.amount < 1)
    return 'amount must be a positive integer';
  if (typeof b.currency !== 'string' || !/^[A-Z]{3}$/.test(b.currency))
    return 'currency must be an ISO 4217 code';
  if (typeof b.return_url !== 'string') return 'return_url is required';
  return b as unknown as CreateBody;
}

async function createPayment(key: string, rawBody: string, input: CreateBody): Promise<string> {
  const now = new Date();
  const fingerprint = createHash('sha256').update('POST /v1/payments/hpp\n').update(rawBody).digest('hex');
  const paymentId = `pay_${randomBase62(24)}`;
  const expiresAt = new Date(now.getTime() + HPP_TTL_MS);
  const object = {
    id: paymentId,
    amount: input.amount,
    currency: input.currency,
    status: 'PENDING',
    integration_type: 'HOSTED_PAYMENT_PAGE',
    amount_refunded: 0,
    amount_refundable: 0,
    created_at: unix(now),
    livemode: false,
    merchant_reference: input.merchant_reference ?? null,
    description: input.description ?? null,
    card: null,
    billing_details: null,
    metadata: {},
    decline_code: null,
    decline_message: null,
    hosted_payment_url: `${publicUrl}/hpp/${paymentId}`,
    refunds: [],
    status_transitions: {
      requires_action_at: null,
      processing_at: null,
      authorized_at: null,
      succeeded_at: null,
      failed_at: null,
      canceled_at: null,
      expired_at: null,
    },
    next_action: null,
    return_url: input.return_url,
    expires_at: unix(expiresAt),
    version: 1,
  };
  const responseBody = JSON.stringify(object);

  const client = await pool.connect();
  try {
    await client.query('begin');
    const claimed = await client.query(
      `insert into idempotency_key (merchant_id, livemode, key, fingerprint, state, locked_at, created_at, expires_at)
       values ($1, $2, $3, $4, 'running', $5, $5, $6)
       on conflict (merchant_id, livemode, key) do nothing
       returning key`,
      [merchantId, false, key, fingerprint, now, new Date(now.getTime() + IDEMPOTENCY_TTL_MS)],
    );
    if (claimed.rowCount === 0) {
      await client.query('rollback');
      throw Object.assign(new Error('idempotency key already used'), { status: 409 });
    }
    await client.query(
      `insert into payment (id, merchant_id, livemode, status, integration_type, amount, currency, amount_refunded,
         merchant_reference, description, billing_details, metadata, card, decline_code, decline_message, next_action,
         return_url, terminal_id, version, created_at, expires_at)
       values ($1, $2, false, 'PENDING', 'HOSTED_PAYMENT_PAGE', $3, $4, 0, $5, $6, null, '{}', null, null, null, null,
         $7, null, 1, $8, $9)
       returning seq`,
      [
        paymentId,
        merchantId,
        input.amount,
        input.currency,
        object.merchant_reference,
        object.description,
        input.return_url,
        now,
        expiresAt,
      ],
    );
    await client.query(
      `insert into event (id, merchant_id, livemode, type, payment_id, data, created_at, published_at)
       values ($1, $2, false, 'payment.created', $3, $4, $5, null)`,
      [`evt_${randomBase62(24)}`, merchantId, paymentId, `{"object":${responseBody}}`, now],
    );
    await client.query(
      `update idempotency_key set state = 'done', response_status = 200, response_body = $1
        where merchant_id = $2 and livemode = false and key = $3`,
      [responseBody, merchantId, key],
    );
    await client.query('commit');
  } catch (error) {
    if (!(error as { status?: number }).status) await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
  return responseBody;
}

const server = createServer(async (req, res) => {
  try {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/readyz') {
      await pool.query('select 1');
      return send(res, 200, { status: 'ready' });
    }
    if (req.method !== 'POST' || path !== '/v1/payments/hpp')
      return send(res, 404, { error: { message: 'not found' } });
    if (!authorized(req.headers.authorization))
      return send(res, 401, { error: { message: 'invalid API key' } });
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || key.length < 1 || key.length > 255)
      return send(res, 400, { error: { message: 'Idempotency-Key is required' } });
    const raw = await readBody(req);
    const input = parseCreate(raw);
    if (typeof input === 'string') return send(res, 400, { error: { message: input } });
    send(res, 200, await createPayment(key, raw, input));
  } catch (error) {
    const status = (error as { status?: number }).status ?? 500;
    if (status === 500) console.error('baseline: request failed:', (error as Error).message);
    if (!res.headersSent) send(res, status, { error: { message: (error as Error).message } });
  }
});
server.keepAliveTimeout = 65_000;

server.listen(port, '127.0.0.1', () => console.log(`baseline listening on 127.0.0.1:${port}`));

const stop = () => {
  server.close();
  server.closeAllConnections();
  void pool.end().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 5000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
