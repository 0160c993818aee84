import type { Database } from '../db/orm.js';
import { ErrorCode, invalid, notFound, TillError } from '../domain/errors.js';
import { randomBase62 } from '../domain/ids.js';
import { urlProblem } from '../domain/payment-rules.js';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { AuditAction, AuditLog } from '../services/audit.js';
import { actorOf, type Principal } from '../services/principal.js';
import type { WebhookSecrets } from './secrets.js';
import { EVENT_TYPES } from '../events/topics.js';

export interface WebhookEndpointObject {
  id: string;
  object: 'webhook_endpoint';
  url: string;
  description: string | null;
  enabled_events: string[];
  status: 'enabled' | 'disabled';
  disabled_reason: string | null;
  livemode: boolean;
  created_at: number;
  /** Only in the answers to create and rotate. */
  secret?: string;
  /** When a rotated-out secret stops being used for signatures. */
  previous_secret_expires_at: number | null;
}

export interface DeliveryObject {
  id: string;
  object: 'webhook_delivery';
  endpoint_id: string;
  event_id: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: {
    attempted_at: number;
    status_code: number | null;
    latency_ms: number;
    response_excerpt: string | null;
    error: string | null;
  }[];
  next_attempt_at: number | null;
  created_at: number;
}

interface EndpointRow {
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

const unix = (d: Date | string | null) => (d ? Math.floor(new Date(d).getTime() / 1000) : null);
const pgArray = (v: string[] | string) =>
  Array.isArray(v) ? v : v.replace(/[{}]/g, '').split(',').filter(Boolean);
export const MAX_GRACE_SECONDS = 7 * 24 * 3600;

function toObject(row: EndpointRow, secret?: string): WebhookEndpointObject {
  return {
    id: row.id,
    object: 'webhook_endpoint',
    url: row.url,
    description: row.description,
    enabled_events: pgArray(row.enabled_events),
    status: row.status,
    disabled_reason: row.disabled_reason,
    livemode: row.livemode,
    created_at: unix(row.created_at)!,
    ...(secret ? { secret } : {}),
    previous_secret_expires_at: unix(row.previous_secret_expires_at),
  };
}

/** Webhook endpoints: create (the secret shown once), list, update, delete, rotate; deliveries. */
export class WebhookEndpointService {
  constructor(
    private readonly db: Database,
    private readonly onRedeliver: () => void,
    private readonly audit: AuditLog,
    private readonly secrets: WebhookSecrets,
    /** Endpoints one merchant may have per mode (each can hold delivery slots; see the dispatcher). */
    private readonly maxEndpoints: number,
  ) {}

  /** Runs one change of an endpoint and its audit entry in one transaction. */
  private change(
    principal: Principal,
    action: AuditAction,
    id: string,
    details: Record<string, unknown>,
    write: (em: SqlEntityManager) => Promise<unknown>,
  ): Promise<void> {
    return this.db.em.fork().transactional(async (em) => {
      await write(em);
      await this.audit.record(
        {
          merchantId: principal.merchantId,
          livemode: principal.livemode,
          actor: actorOf(principal),
          action,
          objectType: 'webhook_endpoint',
          objectId: id,
          details,
        },
        em,
      );
    });
  }

  private checkUrl(url: unknown): string {
    if (typeof url !== 'string') throw invalid('url', 'url is required and must be a string');
    const problem = urlProblem(url);
    if (problem) throw invalid('url', `url ${problem}`);
    return url;
  }

  private checkEvents(events: unknown): string[] {
    if (events === undefined || events === null) return ['*'];
    if (!Array.isArray(events) || events.length === 0 || events.some((e) => typeof e !== 'string'))
      throw invalid('enabled_events', 'enabled_events must be a non-empty array of event types (or ["*"])');
    const unknown = events.find((e) => e !== '*' && !(EVENT_TYPES as readonly string[]).includes(e));
    if (unknown)
      throw invalid('enabled_events', `unknown event type '${unknown}'; known: *, ${EVENT_TYPES.join(', ')}`);
    return [...new Set(events as string[])];
  }

  private checkDescription(description: unknown): string | null {
    if (description === undefined || description === null) return null;
    if (typeof description !== 'string' || description.length > 500)
      throw invalid('description', 'description must be a string of at most 500 characters');
    return description;
  }

  async create(
    principal: Principal,
    input: { url?: unknown; enabled_events?: unknown; description?: unknown },
  ): Promise<WebhookEndpointObject> {
    const url = this.checkUrl(input.url);
    const events = this.checkEvents(input.enabled_events);
    const description = this.checkDescription(input.description);
    const id = `we_${randomBase62(24)}`;
    const { secret, sealed } = this.secrets.mint(id);
    await this.change(
      principal,
      'webhook_endpoint.created',
      id,
      { url, enabled_events: events },
      async (em) => {
        await this.checkRoomForOneMore(em, principal);
        await em.execute(
          `insert into webhook_endpoint (id, merchant_id, livemode, url, description, enabled_events, status, secret, created_at)
         values (?, ?, ?, ?, ?, ?, 'enabled', ?, now())`,
          [
            id,
            principal.merchantId,
            principal.livemode,
            url,
            description,
            `{${events.map((e) => `"${e}"`).join(',')}}`,
            sealed,
          ],
        );
      },
    );
    return toObject(await this.row(principal, id), secret);
  }

  /**
   * Refuses an endpoint beyond `maxEndpoints` for the merchant and mode. The merchant's row is locked
   * first, so concurrent creates count one after another and cannot both take the last place.
   */
  private async checkRoomForOneMore(em: SqlEntityManager, principal: Principal): Promise<void> {
    await em.execute('select id from merchant where id = ? for no key update', [principal.merchantId]);
    const [row] = await em.execute<{ n: number | string }[]>(
      'select count(*) as n from webhook_endpoint where merchant_id = ? and livemode = ?',
      [principal.merchantId, principal.livemode],
    );
    if (Number(row?.n ?? 0) >= this.maxEndpoints)
      throw invalid(
        'url',
        `You already have ${this.maxEndpoints} webhook endpoints in ${principal.livemode ? 'live' : 'test'} mode, the most allowed; delete one before adding another.`,
      );
  }

  async list(principal: Principal): Promise<WebhookEndpointObject[]> {
    const rows = await this.db.em
      .fork()
      .execute<EndpointRow[]>(
        'select * from webhook_endpoint where merchant_id = ? and livemode = ? order by seq desc',
        [principal.merchantId, principal.livemode],
      );
    return rows.map((r) => toObject(r));
  }

  async get(principal: Principal, id: string): Promise<WebhookEndpointObject> {
    return toObject(await this.row(principal, id));
  }

  async update(
    principal: Principal,
    id: string,
    input: { url?: unknown; enabled_events?: unknown; description?: unknown; disabled?: unknown },
  ): Promise<WebhookEndpointObject> {
    const current = await this.row(principal, id);
    const url = input.url === undefined ? current.url : this.checkUrl(input.url);
    const events =
      input.enabled_events === undefined
        ? pgArray(current.enabled_events)
        : this.checkEvents(input.enabled_events);
    const description =
      input.description === undefined ? current.description : this.checkDescription(input.description);
    if (input.disabled !== undefined && typeof input.disabled !== 'boolean')
      throw invalid('disabled', 'disabled must be true or false');
    const status = input.disabled === undefined ? current.status : input.disabled ? 'disabled' : 'enabled';
    const changed = Object.keys(input).filter((k) => (input as Record<string, unknown>)[k] !== undefined);
    // A new URL or a re-enabled endpoint starts with a closed circuit breaker.
    const fresh = url !== current.url || status !== current.status;
    await this.change(principal, 'webhook_endpoint.updated', id, { url, status, changed }, (em) =>
      em.execute(
        `update webhook_endpoint set url = ?, enabled_events = ?, description = ?, status = ?,
           disabled_reason = case when ? = 'enabled' then null when ? then 'disabled by the merchant' else disabled_reason end,
           consecutive_failures = case when ? then 0 else consecutive_failures end,
           breaker_open_until = case when ? then null else breaker_open_until end
         where id = ?`,
        [
          url,
          `{${events.map((e) => `"${e}"`).join(',')}}`,
          description,
          status,
          status,
          input.disabled === true,
          fresh,
          fresh,
          id,
        ],
      ),
    );
    return toObject(await this.row(principal, id));
  }

  async delete(
    principal: Principal,
    id: string,
  ): Promise<{ id: string; object: 'webhook_endpoint'; deleted: true }> {
    const row = await this.row(principal, id);
    await this.change(principal, 'webhook_endpoint.deleted', id, { url: row.url }, (em) =>
      em.execute('delete from webhook_endpoint where id = ?', [id]),
    );
    return { id, object: 'webhook_endpoint', deleted: true };
  }

  /** A new secret; the old one keeps signing (both signatures are sent) for `graceSeconds`. */
  async rotateSecret(
    principal: Principal,
    id: string,
    graceSeconds: unknown = 86400,
  ): Promise<WebhookEndpointObject> {
    if (
      typeof graceSeconds !== 'number' ||
      !Number.isInteger(graceSeconds) ||
      graceSeconds < 0 ||
      graceSeconds > MAX_GRACE_SECONDS
    )
      throw invalid(
        'grace_period_seconds',
        `grace_period_seconds must be an integer from 0 to ${MAX_GRACE_SECONDS}`,
      );
    await this.row(principal, id);
    const { secret, sealed } = this.secrets.mint(id);
    await this.change(
      principal,
      'webhook_endpoint.secret_rotated',
      id,
      { grace_period_seconds: graceSeconds },
      (em) =>
        em.execute(
          `update webhook_endpoint set previous_secret = secret, previous_secret_expires_at = now() + (? || ' seconds')::interval, secret = ?
           where id = ?`,
          [String(graceSeconds), sealed, id],
        ),
    );
    return toObject(await this.row(principal, id), secret);
  }

  async deliveries(principal: Principal, endpointId: string, limit = 20): Promise<DeliveryObject[]> {
    await this.row(principal, endpointId);
    const rows = await this.db.em.fork().execute<
      {
        id: string;
        event_id: string;
        status: DeliveryObject['status'];
        next_attempt_at: Date | null;
        created_at: Date;
      }[]
    >(
      // A pending delivery waits for its endpoint's circuit breaker too, whichever comes later: a
      // delivery created while the breaker was opening keeps its own earlier time in its row.
      `select d.id, d.event_id, d.status, d.created_at,
              case when d.status = 'pending' then greatest(d.next_attempt_at, e.breaker_open_until)
                   else d.next_attempt_at end as next_attempt_at
         from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id
        where d.endpoint_id = ? order by d.seq desc limit ?`,
      [endpointId, limit],
    );
    const attempts = rows.length
      ? await this.db.em.fork().execute<
          {
            delivery_id: string;
            attempted_at: Date;
            status_code: number | null;
            latency_ms: number;
            response_excerpt: string | null;
            error: string | null;
          }[]
        >(
          `select delivery_id, attempted_at, status_code, latency_ms, response_excerpt, error from webhook_attempt
            where delivery_id in (${rows.map(() => '?').join(',')}) order by attempted_at`,
          rows.map((r) => r.id),
        )
      : [];
    return rows.map((r) => ({
      id: r.id,
      object: 'webhook_delivery',
      endpoint_id: endpointId,
      event_id: r.event_id,
      status: r.status,
      attempts: attempts
        .filter((a) => a.delivery_id === r.id)
        .map((a) => ({
          attempted_at: unix(a.attempted_at)!,
          status_code: a.status_code,
          latency_ms: a.latency_ms,
          response_excerpt: a.response_excerpt,
          error: a.error,
        })),
      next_attempt_at: unix(r.next_attempt_at),
      created_at: unix(r.created_at)!,
    }));
  }

  /** Sends a delivery again now (manual redelivery), whatever its status. */
  async redeliver(principal: Principal, endpointId: string, deliveryId: string): Promise<DeliveryObject> {
    const endpoint = await this.row(principal, endpointId);
    if (endpoint.status !== 'enabled')
      throw new TillError(
        ErrorCode.InvalidState,
        'Enable the endpoint before redelivering to it.',
        'endpoint',
      );
    const updated = await this.db.em.fork().execute<{ id: string }[]>(
      `update webhook_delivery set status = 'pending', next_attempt_at = now(), locked_until = null, updated_at = now()
          where id = ? and endpoint_id = ? returning id`,
      [deliveryId, endpointId],
    );
    if (updated.length === 0) throw notFound('webhook delivery', deliveryId);
    // Asked for by the merchant, it goes now even past an open circuit breaker, as the probe.
    await this.db.em
      .fork()
      .execute('update webhook_endpoint set breaker_open_until = null where id = ?', [endpointId]);
    this.onRedeliver();
    return (await this.deliveries(principal, endpointId, 100)).find((d) => d.id === deliveryId)!;
  }

  private async row(principal: Principal, id: string): Promise<EndpointRow> {
    const [row] = /^we_[A-Za-z0-9]{24}$/.test(id)
      ? await this.db.em
          .fork()
          .execute<EndpointRow[]>(
            'select * from webhook_endpoint where id = ? and merchant_id = ? and livemode = ?',
            [id, principal.merchantId, principal.livemode],
          )
      : [];
    if (!row) throw notFound('webhook endpoint', id);
    return row;
  }
}
