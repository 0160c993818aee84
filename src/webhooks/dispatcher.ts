import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import type { Database } from '../db/orm.js';
import { randomBase62 } from '../domain/ids.js';
import type { TillEvent } from '../events/outbox.js';
import { Drain } from '../events/drain.js';
import { postWebhook } from './outbound.js';
import { signatureHeader } from './signing.js';

interface DueRow {
  id: string;
  attempts: number;
  endpoint_id: string;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_valid: boolean;
  event_id: string;
  type: string;
  livemode: boolean;
  data: TillEvent['data'] | string;
  created_at_unix: string | number;
}

/** Jitter of ±10 % keeps retries of many deliveries from arriving in lockstep. */
const jitter = (seconds: number) => seconds * (0.9 + Math.random() * 0.2);

/** `Retry-After` as seconds (delta or HTTP date), or null. */
function retryAfterSeconds(value: string | string[] | undefined): number | null {
  if (typeof value !== 'string') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, (at - Date.now()) / 1000);
}

/**
 * Delivers webhooks (Standard Webhooks). Each instance claims due deliveries with a lease
 * (FOR UPDATE SKIP LOCKED, then `locked_until`), so several instances share the work; a delivery
 * whose instance died mid-send is retried when its lease runs out (at least once; `webhook-id` lets
 * receivers discard the repeat). Every attempt is recorded. 2xx succeeds, 410 disables the endpoint,
 * anything else retries on the schedule (or after `Retry-After`) until it runs out.
 */
export class WebhookDispatcher {
  constructor(
    private readonly db: Database,
    private readonly config: Config['webhooks'],
    private readonly log: FastifyBaseLogger,
  ) {}

  private readonly drain = new Drain(
    () => this.sendDue(),
    (error) => this.log.error({ err: error }, 'webhook dispatch failed'),
  );

  /** Sends everything due now; calls made meanwhile coalesce. */
  kick(): Promise<void> {
    return this.drain.run();
  }

  /** Claims and sends one batch of due deliveries; returns how many it sent. */
  async sendDue(batchSize = 20): Promise<number> {
    // Longer than any send can take (the timeout), so a live instance never loses its lease mid-send.
    const leaseMs = this.config.timeoutMs * 2 + 1000;
    const due = await this.db.em.fork().transactional(async (em) => {
      const rows = await em.execute<DueRow[]>(
        `select d.id, d.attempts, d.endpoint_id, w.url, w.secret, w.previous_secret,
                coalesce(w.previous_secret_expires_at > now(), false) as previous_secret_valid,
                e.id as event_id, e.type, e.livemode, e.data, extract(epoch from e.created_at)::bigint as created_at_unix
           from webhook_delivery d
           join webhook_endpoint w on w.id = d.endpoint_id and w.status = 'enabled'
           join event e on e.id = d.event_id
          where d.status = 'pending' and d.next_attempt_at <= now() and (d.locked_until is null or d.locked_until <= now())
          order by d.next_attempt_at
          limit ? for update of d skip locked`,
        [batchSize],
      );
      if (rows.length)
        await em.execute(
          `update webhook_delivery set locked_until = now() + (? || ' milliseconds')::interval where id in (${rows.map(() => '?').join(',')})`,
          [String(leaseMs), ...rows.map((r) => r.id)],
        );
      return rows;
    });
    await Promise.all(due.map((row) => this.deliver(row)));
    return due.length;
  }

  private async deliver(row: DueRow): Promise<void> {
    const event: TillEvent = {
      id: row.event_id,
      object: 'event',
      type: row.type,
      created_at: Number(row.created_at_unix),
      livemode: row.livemode,
      data: typeof row.data === 'string' ? JSON.parse(row.data) : row.data,
    };
    const body = JSON.stringify(event);
    const timestamp = Math.floor(Date.now() / 1000);
    const secrets = [
      row.secret,
      ...(row.previous_secret && row.previous_secret_valid ? [row.previous_secret] : []),
    ];
    const started = performance.now();
    let status: number | null = null;
    let excerpt: string | null = null;
    let error: string | null = null;
    let retryAfter: number | null = null;
    try {
      const res = await postWebhook(
        row.url,
        {
          'webhook-id': row.event_id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signatureHeader(secrets, row.event_id, timestamp, body),
        },
        body,
        { timeoutMs: this.config.timeoutMs, allowPrivate: this.config.allowPrivateNetworks },
      );
      status = res.status;
      excerpt = res.excerpt;
      retryAfter = retryAfterSeconds(res.headers['retry-after']);
    } catch (e) {
      error = (e as Error).message.slice(0, 500);
    }
    const latency = Math.round(performance.now() - started);
    const attempts = row.attempts + 1;
    const succeeded = status !== null && status >= 200 && status < 300;
    const gone = status === 410;
    const schedule = this.config.retrySchedule;
    const exhausted = attempts > schedule.length;
    const delay = retryAfter !== null ? Math.min(retryAfter, 86400) : jitter(schedule[attempts - 1] ?? 0);
    const next = succeeded || gone || exhausted ? null : new Date(Date.now() + delay * 1000);
    const final = succeeded ? 'succeeded' : gone || exhausted ? 'failed' : 'pending';
    await this.db.em.fork().transactional(async (em) => {
      await em.execute(
        `insert into webhook_attempt (id, delivery_id, attempted_at, status_code, latency_ms, response_excerpt, error)
         values (?, ?, now(), ?, ?, ?, ?)`,
        [`wa_${randomBase62(24)}`, row.id, status, latency, excerpt, error],
      );
      await em.execute(
        `update webhook_delivery set status = ?, attempts = ?, next_attempt_at = ?, locked_until = null, last_status_code = ?, updated_at = now()
          where id = ?`,
        [final, attempts, next, status, row.id],
      );
      if (gone)
        await em.execute(
          `update webhook_endpoint set status = 'disabled', disabled_reason = ? where id = ?`,
          ['the endpoint answered 410 Gone', row.endpoint_id],
        );
    });
    if (!succeeded)
      this.log.warn(
        { delivery: row.id, endpoint: row.endpoint_id, status, error, attempts, final },
        'webhook delivery not accepted',
      );
  }

  /** Waits for an in-flight dispatch (shutdown). */
  async flush(): Promise<void> {
    await this.drain.idle();
  }
}
