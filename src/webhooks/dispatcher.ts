import { context, ROOT_CONTEXT, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Database } from '../db/orm.js';
import { WebhookRepository, type DueRow } from '../db/repositories/webhooks.js';
import { randomBase62 } from '../domain/ids.js';
import { eventFromRow } from '../events/outbox.js';
import { linkTo, recordFailure, TillAttributes, tracer } from '../tracing/spans.js';
import { postWebhook } from './outbound.js';
import type { WebhookSecrets } from './secrets.js';
import { webhookHeaders } from './signing.js';

/** Attempts not accepted in a row after which an endpoint's circuit breaker opens. */
export const BREAKER_THRESHOLD = 5;
/** Attempts in flight on one instance, whatever their merchants: bounds its sockets and memory. */
const MAX_IN_FLIGHT_PER_INSTANCE = 100;
/** Deliveries taken per claim. */
const CLAIM_BATCH = 20;

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
 *
 * One merchant's slow or dead receivers must not delay anyone else's webhooks: attempts run
 * independently (a slot frees as soon as its attempt ends, nothing waits for a batch), at most
 * `maxInFlightPerEndpoint` per endpoint and `maxInFlightPerMerchant` per merchant, merchants are
 * served round-robin (`WebhookRepository.claimDue`), and an endpoint that keeps failing is set aside by its circuit
 * breaker instead of spending a slot on each of its deliveries.
 */
export class WebhookDispatcher {
  private readonly webhooks: WebhookRepository;

  constructor(
    private readonly db: Database,
    private readonly config: Config['webhooks'],
    private readonly log: FastifyBaseLogger,
    /** Opens the endpoint's sealed secrets for signing. */
    private readonly secrets: WebhookSecrets,
  ) {
    this.webhooks = new WebhookRepository(db);
  }

  private readonly inFlight = new Set<Promise<void>>();
  private claiming: Promise<void> | null = null;
  private claimAgain = false;
  private closing = false;

  /**
   * Starts every due delivery the caps allow; resolves once they are started (not sent). Calls made
   * meanwhile coalesce into one more round. Each finished attempt kicks again, so a freed slot is
   * refilled at once.
   */
  kick(): Promise<void> {
    if (this.closing) return Promise.resolve();
    if (this.claiming) {
      this.claimAgain = true;
      return this.claiming;
    }
    // Claims run outside the trace of whoever kicked (a request that created a delivery); each
    // attempt is then a span of its own.
    this.claiming = context.with(ROOT_CONTEXT, async () => {
      try {
        do {
          this.claimAgain = false;
          while (!this.closing) {
            const wanted = Math.min(MAX_IN_FLIGHT_PER_INSTANCE - this.inFlight.size, CLAIM_BATCH);
            if (wanted <= 0) break;
            const rows = await this.claim(wanted);
            for (const row of rows) this.start(row);
            if (rows.length < wanted) break;
          }
        } while (this.claimAgain && !this.closing);
      } catch (error) {
        this.log.error({ err: error }, 'webhook dispatch failed');
      } finally {
        this.claiming = null;
      }
    });
    return this.claiming;
  }

  private start(row: DueRow): void {
    const attempt: Promise<void> = this.tracedDeliver(row)
      .catch((error: unknown) =>
        this.log.error({ err: error, delivery: row.id }, 'recording a webhook attempt failed'),
      )
      .finally(() => {
        this.inFlight.delete(attempt);
        void this.kick();
      });
    this.inFlight.add(attempt);
  }

  /** Leases up to `limit` due deliveries, within the in-flight caps. */
  private claim(limit: number): Promise<DueRow[]> {
    const { connectTimeoutMs, responseTimeoutMs, maxInFlightPerEndpoint, maxInFlightPerMerchant } =
      this.config;
    return this.webhooks.claimDue(limit, {
      breakerThreshold: BREAKER_THRESHOLD,
      perEndpoint: maxInFlightPerEndpoint,
      perMerchant: maxInFlightPerMerchant,
      // Longer than any attempt can take, so a live instance never loses its lease mid-send.
      leaseMs: (connectTimeoutMs + responseTimeoutMs) * 2 + 1000,
    });
  }

  /**
   * One attempt as a span of its own — its HTTP request and the statements recording it are its
   * children — linked to the request that committed the event.
   */
  private tracedDeliver(row: DueRow): Promise<void> {
    return tracer.startActiveSpan(
      'webhook attempt',
      {
        root: true,
        links: linkTo(row.traceparent),
        attributes: {
          [TillAttributes.webhookDeliveryId]: row.id,
          [TillAttributes.webhookEndpointId]: row.endpoint_id,
          [TillAttributes.webhookAttempt]: row.attempts + 1,
          [TillAttributes.eventId]: row.event_id,
          [TillAttributes.eventType]: row.type,
        },
      },
      async (span) => {
        try {
          await this.deliver(row, span);
        } catch (error) {
          recordFailure(span, error);
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  private async deliver(row: DueRow, span: Span): Promise<void> {
    const body = JSON.stringify(eventFromRow({ ...row, id: row.event_id }));
    const timestamp = Math.floor(Date.now() / 1000);
    const started = performance.now();
    let status: number | null = null;
    let excerpt: string | null = null;
    let error: string | null = null;
    let retryAfter: number | null = null;
    try {
      const res = await postWebhook(
        row.url,
        // Opened here, inside the attempt: a secret that will not open is a recorded, retried failure.
        webhookHeaders(this.secrets.signing(row), row.event_id, timestamp, body),
        body,
        {
          connectTimeoutMs: this.config.connectTimeoutMs,
          responseTimeoutMs: this.config.responseTimeoutMs,
          allowPrivate: this.config.allowPrivateNetworks,
        },
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
    span.setAttributes({
      'http.response.status_code': status ?? undefined,
      [TillAttributes.webhookOutcome]: final,
    });
    if (!succeeded) span.setStatus({ code: SpanStatusCode.ERROR, message: error ?? `answered ${status}` });
    await this.db.em.fork().transactional(async (em) => {
      await this.webhooks.recordAttempt(
        em,
        {
          id: `wa_${randomBase62(24)}`,
          deliveryId: row.id,
          statusCode: status,
          latencyMs: latency,
          excerpt,
          error,
        },
        { status: final, attempts, nextAttemptAt: next },
      );
      if (gone) await this.webhooks.disableEndpoint(em, row.endpoint_id, 'the endpoint answered 410 Gone');
      else if (succeeded) await this.webhooks.closeBreaker(em, row.endpoint_id);
      else await this.countFailure(em, row.endpoint_id, retryAfter);
    });
    if (!succeeded)
      this.log.warn(
        { delivery: row.id, endpoint: row.endpoint_id, status, error, attempts, final },
        'webhook delivery not accepted',
      );
  }

  /**
   * The circuit breaker. Past `BREAKER_THRESHOLD` failures in a row the endpoint is set aside until
   * its next retry — the retry schedule again, stepping on with each further failure, or the
   * receiver's `Retry-After` — and its pending deliveries due before then wait until then instead
   * of each spending a slot on a receiver that is down. Then one delivery probes it: accepted closes
   * the breaker, anything else opens it again for the next step. A deferred delivery older than the
   * whole schedule fails, as it would have after its own retries.
   */
  private async countFailure(
    em: SqlEntityManager,
    endpointId: string,
    retryAfter: number | null,
  ): Promise<void> {
    const failures = await this.webhooks.countFailure(em, endpointId);
    if (failures < BREAKER_THRESHOLD) return;
    const schedule = this.config.retrySchedule;
    const step = schedule[Math.min(failures - BREAKER_THRESHOLD, schedule.length - 1)] ?? 0;
    const reopen = new Date(
      Date.now() + (retryAfter !== null ? Math.min(retryAfter, 86400) : jitter(step)) * 1000,
    );
    const wholeSchedule = schedule.reduce((sum, s) => sum + s, 0);
    await this.webhooks.openBreaker(em, endpointId, reopen, wholeSchedule);
  }

  /** Stops claiming and waits for the attempts in flight (shutdown); what is left stays due. */
  async flush(): Promise<void> {
    this.closing = true;
    await this.claiming;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
