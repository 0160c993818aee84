import type { SqlEntityManager } from '@mikro-orm/sql';
import type { EventRow } from '../../events/outbox.js';
import type { Database } from '../orm.js';

/** A `webhook_endpoint` row as the endpoints API reads it. */
export interface EndpointRow {
  id: string;
  url: string;
  description: string | null;
  enabled_events: string[] | string;
  status: 'enabled' | 'disabled';
  disabled_reason: string | null;
  livemode: boolean;
  created_at: Date | string;
  previous_secret_expires_at: Date | string | null;
  seq: string;
}

/** A claimed delivery with what its attempt needs: the endpoint, its sealed secrets, the event. */
export interface DueRow {
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
  data: EventRow['data'];
  created_at_unix: string | number;
  traceparent: string | null;
}

export interface DeliveryRow {
  id: string;
  event_id: string;
  status: 'pending' | 'succeeded' | 'failed';
  next_attempt_at: Date | null;
  created_at: Date;
}

export interface AttemptRow {
  delivery_id: string;
  attempted_at: Date;
  status_code: number | null;
  latency_ms: number;
  response_excerpt: string | null;
  error: string | null;
}

/** The endpoint fields a merchant sets. */
export interface EndpointSettings {
  url: string;
  description: string | null;
  enabled_events: string[];
}

/** An event a delivery may be created for. */
export interface DeliverableEvent {
  id: string;
  type: string;
  merchantId: string;
  livemode: boolean;
}

/** The caps a claim respects (see `PICK_DUE`). */
export interface ClaimLimits {
  /** Failures in a row past which an endpoint gets one delivery in flight (its probe). */
  breakerThreshold: number;
  perEndpoint: number;
  perMerchant: number;
  /** How long a claimed delivery stays leased to the claiming instance. */
  leaseMs: number;
}

const pgTextArray = (values: readonly string[]) => `{${values.map((e) => `"${e}"`).join(',')}}`;
const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(',');

/**
 * Picks the due deliveries to claim next, at most `limit`, within the in-flight caps. The counts are
 * of leased deliveries in the database, so they include every instance's attempts (and those of an
 * instance that died, until its leases run out). Per endpoint the oldest due go first; across
 * merchants the order is round-robin — each merchant's first delivery before anyone's second, the
 * least busy merchants first — so one merchant's backlog cannot starve another's. An endpoint whose
 * breaker is open is skipped; past its reopening time, one delivery at a time probes it.
 * Parameters: breaker threshold, per-endpoint cap, per-merchant cap, limit.
 */
const PICK_DUE = `
  with busy as (
    select d.endpoint_id, w.merchant_id
      from webhook_delivery d join webhook_endpoint w on w.id = d.endpoint_id
     where d.locked_until > now() and d.status = 'pending'
  ),
  endpoint_busy as (select endpoint_id, count(*) as n from busy group by endpoint_id),
  merchant_busy as (select merchant_id, count(*) as n from busy group by merchant_id),
  due as (
    select d.id, d.seq, d.next_attempt_at, w.merchant_id,
           row_number() over (partition by d.endpoint_id order by d.next_attempt_at, d.seq) as endpoint_rank,
           case when w.consecutive_failures >= ? then 1 else ? end - coalesce(eb.n, 0) as endpoint_free
      from webhook_delivery d
      join webhook_endpoint w on w.id = d.endpoint_id and w.status = 'enabled'
      left join endpoint_busy eb on eb.endpoint_id = d.endpoint_id
     where d.status = 'pending' and d.next_attempt_at <= now()
       and (d.locked_until is null or d.locked_until <= now())
       and (w.breaker_open_until is null or w.breaker_open_until <= now())
  ),
  fair as (
    select id, seq, next_attempt_at, merchant_id,
           row_number() over (partition by merchant_id order by endpoint_rank, next_attempt_at, seq) as merchant_rank
      from due
     where endpoint_rank <= endpoint_free
  )
  select fair.id
    from fair left join merchant_busy mb on mb.merchant_id = fair.merchant_id
   where fair.merchant_rank <= ? - coalesce(mb.n, 0)
   order by fair.merchant_rank + coalesce(mb.n, 0), fair.next_attempt_at, fair.seq
   limit ?`;

/** Webhook endpoints, their deliveries and attempts, and each endpoint's circuit breaker state. */
export class WebhookRepository {
  constructor(private readonly db: Database) {}

  // Endpoints

  async insertEndpoint(
    tx: SqlEntityManager,
    endpoint: EndpointSettings & { id: string; merchantId: string; livemode: boolean; sealedSecret: string },
  ): Promise<void> {
    await tx.execute(
      `insert into webhook_endpoint (id, merchant_id, livemode, url, description, enabled_events, status, secret, created_at)
       values (?, ?, ?, ?, ?, ?, 'enabled', ?, now())`,
      [
        endpoint.id,
        endpoint.merchantId,
        endpoint.livemode,
        endpoint.url,
        endpoint.description,
        pgTextArray(endpoint.enabled_events),
        endpoint.sealedSecret,
      ],
    );
  }

  /**
   * How many endpoints the merchant has in a mode, counted after locking the merchant's row for
   * `tx`: concurrent creates then count one after another.
   */
  async lockAndCountEndpoints(tx: SqlEntityManager, merchantId: string, livemode: boolean): Promise<number> {
    await tx.execute('select id from merchant where id = ? for no key update', [merchantId]);
    const [row] = await tx.execute<{ n: number | string }[]>(
      'select count(*) as n from webhook_endpoint where merchant_id = ? and livemode = ?',
      [merchantId, livemode],
    );
    return Number(row?.n ?? 0);
  }

  endpointsOf(merchantId: string, livemode: boolean): Promise<EndpointRow[]> {
    return this.db.em
      .fork()
      .execute<EndpointRow[]>(
        'select * from webhook_endpoint where merchant_id = ? and livemode = ? order by seq desc',
        [merchantId, livemode],
      );
  }

  async endpoint(merchantId: string, livemode: boolean, id: string): Promise<EndpointRow | undefined> {
    const [row] = await this.db.em
      .fork()
      .execute<EndpointRow[]>(
        'select * from webhook_endpoint where id = ? and merchant_id = ? and livemode = ?',
        [id, merchantId, livemode],
      );
    return row;
  }

  /**
   * Sets an endpoint's fields. Disabling by the merchant records why; enabling clears the reason;
   * `freshBreaker` closes the circuit breaker (a new URL or a re-enabled endpoint starts afresh).
   */
  async updateEndpoint(
    tx: SqlEntityManager,
    id: string,
    settings: EndpointSettings & {
      status: 'enabled' | 'disabled';
      disabledByMerchant: boolean;
      freshBreaker: boolean;
    },
  ): Promise<void> {
    await tx.execute(
      `update webhook_endpoint set url = ?, enabled_events = ?, description = ?, status = ?,
         disabled_reason = case when ? = 'enabled' then null when ? then 'disabled by the merchant' else disabled_reason end,
         consecutive_failures = case when ? then 0 else consecutive_failures end,
         breaker_open_until = case when ? then null else breaker_open_until end
       where id = ?`,
      [
        settings.url,
        pgTextArray(settings.enabled_events),
        settings.description,
        settings.status,
        settings.status,
        settings.disabledByMerchant,
        settings.freshBreaker,
        settings.freshBreaker,
        id,
      ],
    );
  }

  async deleteEndpoint(tx: SqlEntityManager, id: string): Promise<void> {
    await tx.execute('delete from webhook_endpoint where id = ?', [id]);
  }

  /** A new sealed secret; the current one becomes the previous, valid `graceSeconds` more. */
  async rotateSecret(
    tx: SqlEntityManager,
    id: string,
    sealedSecret: string,
    graceSeconds: number,
  ): Promise<void> {
    await tx.execute(
      `update webhook_endpoint set previous_secret = secret, previous_secret_expires_at = now() + (? || ' seconds')::interval, secret = ?
       where id = ?`,
      [String(graceSeconds), sealedSecret, id],
    );
  }

  /** Disables an endpoint (it answered that it is gone), saying why. */
  async disableEndpoint(tx: SqlEntityManager, id: string, reason: string): Promise<void> {
    await tx.execute(`update webhook_endpoint set status = 'disabled', disabled_reason = ? where id = ?`, [
      reason,
      id,
    ]);
  }

  // Deliveries

  /**
   * The (endpoint, event) pairs due a delivery: each enabled endpoint of the event's merchant and
   * mode subscribed to its type (or to `*`).
   */
  subscribedEndpoints(
    tx: SqlEntityManager,
    events: readonly DeliverableEvent[],
  ): Promise<{ endpoint_id: string; event_id: string }[]> {
    if (events.length === 0) return Promise.resolve([]);
    return tx.execute<{ endpoint_id: string; event_id: string }[]>(
      `select e.id as endpoint_id, v.event_id
         from (values ${events.map(() => '(?, ?, ?::boolean, ?)').join(',')}) as v(event_id, merchant_id, livemode, type)
         join webhook_endpoint e on e.merchant_id = v.merchant_id and e.livemode = v.livemode
        where e.status = 'enabled' and ('*' = any(e.enabled_events) or v.type = any(e.enabled_events))`,
      events.flatMap((event) => [event.id, event.merchantId, event.livemode, event.type]),
    );
  }

  /**
   * Inserts pending deliveries in one statement, due at once or when the endpoint's circuit breaker
   * lets deliveries through again. A delivery the endpoint already has for the event is left as it
   * is. Returns how many were inserted.
   */
  async insertDeliveries(
    tx: SqlEntityManager,
    deliveries: readonly { id: string; endpointId: string; eventId: string }[],
  ): Promise<number> {
    if (deliveries.length === 0) return 0;
    const inserted = await tx.execute<{ id: string }[]>(
      `insert into webhook_delivery (id, endpoint_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)
       select v.id, e.id, v.event_id, 'pending', 0, greatest(now(), e.breaker_open_until), now(), now()
         from (values ${deliveries.map(() => '(?, ?, ?)').join(',')}) as v(id, endpoint_id, event_id)
         join webhook_endpoint e on e.id = v.endpoint_id
       on conflict (endpoint_id, event_id) do nothing
       returning id`,
      deliveries.flatMap((d) => [d.id, d.endpointId, d.eventId]),
    );
    return inserted.length;
  }

  /**
   * Leases up to `limit` due deliveries to this instance (see `PICK_DUE`), with what their attempts
   * need. One claim at a time across instances, so the leased counts `PICK_DUE` reads are complete.
   */
  claimDue(limit: number, caps: ClaimLimits): Promise<DueRow[]> {
    return this.db.em.fork().transactional(async (em) => {
      await em.execute(`select pg_advisory_xact_lock(hashtext('webhook_delivery'), 0)`);
      const picked = await em.execute<{ id: string }[]>(PICK_DUE, [
        caps.breakerThreshold,
        caps.perEndpoint,
        caps.perMerchant,
        limit,
      ]);
      if (picked.length === 0) return [];
      const rows = await em.execute<DueRow[]>(
        `select d.id, d.attempts, d.endpoint_id, w.url, w.secret, w.previous_secret,
                coalesce(w.previous_secret_expires_at > now(), false) as previous_secret_valid,
                e.id as event_id, e.type, e.livemode, e.data, extract(epoch from e.created_at)::bigint as created_at_unix,
                e.traceparent
           from webhook_delivery d
           join webhook_endpoint w on w.id = d.endpoint_id and w.status = 'enabled'
           join event e on e.id = d.event_id
          where d.id in (${placeholders(picked.length)})
            and d.status = 'pending' and (d.locked_until is null or d.locked_until <= now())
          for update of d skip locked`,
        picked.map((p) => p.id),
      );
      if (rows.length)
        await em.execute(
          `update webhook_delivery set locked_until = now() + (? || ' milliseconds')::interval where id in (${placeholders(rows.length)})`,
          [String(caps.leaseMs), ...rows.map((r) => r.id)],
        );
      return rows;
    });
  }

  /** Records one attempt and the delivery's state after it; the lease is released. */
  async recordAttempt(
    tx: SqlEntityManager,
    attempt: {
      id: string;
      deliveryId: string;
      statusCode: number | null;
      latencyMs: number;
      excerpt: string | null;
      error: string | null;
    },
    after: { status: DeliveryRow['status']; attempts: number; nextAttemptAt: Date | null },
  ): Promise<void> {
    await tx.execute(
      `insert into webhook_attempt (id, delivery_id, attempted_at, status_code, latency_ms, response_excerpt, error)
       values (?, ?, now(), ?, ?, ?, ?)`,
      [attempt.id, attempt.deliveryId, attempt.statusCode, attempt.latencyMs, attempt.excerpt, attempt.error],
    );
    await tx.execute(
      `update webhook_delivery set status = ?, attempts = ?, next_attempt_at = ?, locked_until = null, last_status_code = ?, updated_at = now()
        where id = ?`,
      [after.status, after.attempts, after.nextAttemptAt, attempt.statusCode, attempt.deliveryId],
    );
  }

  /** The endpoint's newest deliveries; a pending one shows when it will go, breaker included. */
  deliveriesOf(endpointId: string, limit: number): Promise<DeliveryRow[]> {
    return this.db.em.fork().execute<DeliveryRow[]>(
      // A pending delivery waits for its endpoint's circuit breaker too, whichever comes later: a
      // delivery created while the breaker was opening keeps its own earlier time in its row.
      `select d.id, d.event_id, d.status, d.created_at,
              case when d.status = 'pending' then greatest(d.next_attempt_at, e.breaker_open_until)
                   else d.next_attempt_at end as next_attempt_at
         from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id
        where d.endpoint_id = ? order by d.seq desc limit ?`,
      [endpointId, limit],
    );
  }

  /** The attempts of these deliveries, oldest first. */
  attemptsOf(deliveryIds: readonly string[]): Promise<AttemptRow[]> {
    if (deliveryIds.length === 0) return Promise.resolve([]);
    return this.db.em.fork().execute<AttemptRow[]>(
      `select delivery_id, attempted_at, status_code, latency_ms, response_excerpt, error from webhook_attempt
        where delivery_id in (${placeholders(deliveryIds.length)}) order by attempted_at`,
      [...deliveryIds],
    );
  }

  /**
   * Makes one of the endpoint's deliveries due now, whatever its status, and lets it past the
   * endpoint's circuit breaker (as the probe). Not while an attempt is under way (its lease has not
   * run out): due again and unleased, the delivery would be claimed and sent a second time beside
   * the attempt in flight. `missing` when the endpoint has no such delivery.
   */
  async redeliverNow(endpointId: string, deliveryId: string): Promise<'due' | 'in_flight' | 'missing'> {
    const em = this.db.em.fork();
    // The lease is checked on the row as updated: a claim that leases it meanwhile is waited for.
    const [row] = await em.execute<{ due: boolean; found: boolean }[]>(
      `with due as (
         update webhook_delivery set status = 'pending', next_attempt_at = now(), locked_until = null, updated_at = now()
          where id = ? and endpoint_id = ? and (locked_until is null or locked_until <= now())
         returning id)
       select exists (select 1 from due) as due,
              exists (select 1 from webhook_delivery where id = ? and endpoint_id = ?) as found`,
      [deliveryId, endpointId, deliveryId, endpointId],
    );
    if (!row?.due) return row?.found ? 'in_flight' : 'missing';
    await em.execute('update webhook_endpoint set breaker_open_until = null where id = ?', [endpointId]);
    return 'due';
  }

  // The circuit breaker

  /** An accepted attempt closes the endpoint's breaker (a no-op write is skipped). */
  async closeBreaker(tx: SqlEntityManager, endpointId: string): Promise<void> {
    await tx.execute(
      `update webhook_endpoint set consecutive_failures = 0, breaker_open_until = null
        where id = ? and (consecutive_failures <> 0 or breaker_open_until is not null)`,
      [endpointId],
    );
  }

  /** Counts one more failure in a row of the endpoint; returns the count. */
  async countFailure(tx: SqlEntityManager, endpointId: string): Promise<number> {
    const [endpoint] = await tx.execute<{ consecutive_failures: number }[]>(
      `update webhook_endpoint set consecutive_failures = consecutive_failures + 1 where id = ?
        returning consecutive_failures`,
      [endpointId],
    );
    return endpoint?.consecutive_failures ?? 0;
  }

  /**
   * Opens the endpoint's breaker until `reopen` (never earlier than it already was) and defers its
   * unleased pending deliveries due before then to then; one created more than `maxAgeSeconds` ago
   * fails instead.
   */
  async openBreaker(
    tx: SqlEntityManager,
    endpointId: string,
    reopen: Date,
    maxAgeSeconds: number,
  ): Promise<void> {
    await tx.execute(
      `update webhook_endpoint set breaker_open_until = greatest(coalesce(breaker_open_until, now()), ?::timestamptz) where id = ?`,
      [reopen, endpointId],
    );
    await tx.execute(
      `update webhook_delivery
          set status = case when created_at < now() - (? || ' seconds')::interval then 'failed' else status end,
              next_attempt_at = case when created_at < now() - (? || ' seconds')::interval then null else ?::timestamptz end,
              updated_at = now()
        where endpoint_id = ? and status = 'pending' and next_attempt_at < ?::timestamptz
          and (locked_until is null or locked_until <= now())`,
      [String(maxAgeSeconds), String(maxAgeSeconds), reopen, endpointId, reopen],
    );
  }
}
