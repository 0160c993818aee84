import type { Database } from '../db/orm.js';
import { unixSecondsOrNull } from '../domain/time.js';
import { WebhookRepository, type EndpointRow } from '../db/repositories/webhooks.js';
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

/** Raw rows carry times as Date or as the driver's string. */
const unix = (d: Date | string | null) => unixSecondsOrNull(d === null ? null : new Date(d));
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
  private readonly webhooks: WebhookRepository;

  constructor(
    private readonly db: Database,
    private readonly onRedeliver: () => void,
    private readonly audit: AuditLog,
    private readonly secrets: WebhookSecrets,
    /** Endpoints one merchant may have per mode (each can hold delivery slots; see the dispatcher). */
    private readonly maxEndpoints: number,
  ) {
    this.webhooks = new WebhookRepository(db);
  }

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
        await this.webhooks.insertEndpoint(em, {
          id,
          merchantId: principal.merchantId,
          livemode: principal.livemode,
          url,
          description,
          enabled_events: events,
          sealedSecret: sealed,
        });
      },
    );
    return toObject(await this.row(principal, id), secret);
  }

  /**
   * Refuses an endpoint beyond `maxEndpoints` for the merchant and mode. The merchant's row is locked
   * first, so concurrent creates count one after another and cannot both take the last place.
   */
  private async checkRoomForOneMore(em: SqlEntityManager, principal: Principal): Promise<void> {
    const count = await this.webhooks.lockAndCountEndpoints(em, principal.merchantId, principal.livemode);
    if (count >= this.maxEndpoints)
      throw invalid(
        'url',
        `You already have ${this.maxEndpoints} webhook endpoints in ${principal.livemode ? 'live' : 'test'} mode, the most allowed; delete one before adding another.`,
      );
  }

  async list(principal: Principal): Promise<WebhookEndpointObject[]> {
    const rows = await this.webhooks.endpointsOf(principal.merchantId, principal.livemode);
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
      this.webhooks.updateEndpoint(em, id, {
        url,
        enabled_events: events,
        description,
        status,
        disabledByMerchant: input.disabled === true,
        freshBreaker: fresh,
      }),
    );
    return toObject(await this.row(principal, id));
  }

  async delete(
    principal: Principal,
    id: string,
  ): Promise<{ id: string; object: 'webhook_endpoint'; deleted: true }> {
    const row = await this.row(principal, id);
    await this.change(principal, 'webhook_endpoint.deleted', id, { url: row.url }, (em) =>
      this.webhooks.deleteEndpoint(em, id),
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
      (em) => this.webhooks.rotateSecret(em, id, sealed, graceSeconds),
    );
    return toObject(await this.row(principal, id), secret);
  }

  async deliveries(principal: Principal, endpointId: string, limit = 20): Promise<DeliveryObject[]> {
    await this.row(principal, endpointId);
    const rows = await this.webhooks.deliveriesOf(endpointId, limit);
    const attempts = await this.webhooks.attemptsOf(rows.map((r) => r.id));
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

  /** Sends a delivery again now (manual redelivery), whatever its status, unless it is being sent. */
  async redeliver(principal: Principal, endpointId: string, deliveryId: string): Promise<DeliveryObject> {
    const endpoint = await this.row(principal, endpointId);
    if (endpoint.status !== 'enabled')
      throw new TillError(
        ErrorCode.InvalidState,
        'Enable the endpoint before redelivering to it.',
        'endpoint',
      );
    // Asked for by the merchant, it goes now even past an open circuit breaker, as the probe.
    const outcome = await this.webhooks.redeliverNow(endpointId, deliveryId);
    if (outcome === 'missing') throw notFound('webhook delivery', deliveryId);
    if (outcome === 'in_flight')
      throw new TillError(
        ErrorCode.InvalidState,
        'This delivery is being sent right now. Redeliver it once that attempt has ended.',
        'delivery',
      );
    this.onRedeliver();
    return (await this.deliveries(principal, endpointId, 100)).find((d) => d.id === deliveryId)!;
  }

  private async row(principal: Principal, id: string): Promise<EndpointRow> {
    const row = /^we_[A-Za-z0-9]{24}$/.test(id)
      ? await this.webhooks.endpoint(principal.merchantId, principal.livemode, id)
      : undefined;
    if (!row) throw notFound('webhook endpoint', id);
    return row;
  }
}
