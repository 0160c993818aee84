import type { DeliveryLogRow, WebhookDeliveryRepository } from '../db/repositories/webhook-deliveries.js';
import { ErrorCode, notFound, TillError } from '../domain/errors.js';
import { newId, PAYMENT_ID_PATTERN } from '../domain/ids.js';
import { unixSecondsOrNull } from '../domain/time.js';
import type { Principal } from '../services/principal.js';
import type { WebhookEndpointService } from './endpoints.js';

/** One delivery of the log, times in Unix seconds. */
export interface DeliveryLogEntry {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  paymentId: string | null;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  responseStatus: number | null;
  responseExcerpt: string | null;
  createdAt: number;
  lastAttemptAt: number | null;
  nextAttemptAt: number | null;
}

const DELIVERY_ID_PATTERN = /^wd_[A-Za-z0-9]{24}$/;
const ENDPOINT_ID_PATTERN = /^we_[A-Za-z0-9]{24}$/;
/** The most deliveries listed for one payment (its events times its endpoints). */
const PAYMENT_DELIVERIES_MAX = 500;

const unix = (d: Date | string | null) => unixSecondsOrNull(d === null ? null : new Date(d));

function entry(row: DeliveryLogRow): DeliveryLogEntry {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    eventId: row.event_id,
    eventType: row.event_type,
    paymentId: row.payment_id,
    status: row.status,
    attempts: Number(row.attempts),
    responseStatus: row.response_status === null ? null : Number(row.response_status),
    responseExcerpt: row.response_excerpt,
    createdAt: unix(row.created_at)!,
    lastAttemptAt: unix(row.last_attempt_at),
    nextAttemptAt: unix(row.next_attempt_at),
  };
}

/**
 * The webhook delivery log across a merchant's endpoints (one mode): listing, redelivery and test
 * events. Sending stays the dispatcher's job, so test events are signed and bound by the outbound
 * address policy like every other delivery.
 */
export class WebhookDeliveryLog {
  constructor(
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly endpoints: WebhookEndpointService,
    /** Tells the dispatcher a delivery is due now. */
    private readonly onDue: () => void,
  ) {}

  /** Newest first; `startingAfter` a delivery id of this principal. */
  async list(
    principal: Principal,
    options: {
      limit: number;
      startingAfter?: string | null;
      endpointId?: string | null;
      paymentId?: string | null;
    },
  ): Promise<{ data: DeliveryLogEntry[]; hasMore: boolean }> {
    if (options.endpointId && !ENDPOINT_ID_PATTERN.test(options.endpointId))
      throw notFound('webhook endpoint', options.endpointId, 'endpointId');
    if (options.paymentId && !PAYMENT_ID_PATTERN.test(options.paymentId))
      throw notFound('payment', options.paymentId, 'paymentId');
    let beforeSeq: string | null = null;
    if (options.startingAfter) {
      const after = await this.row(principal, options.startingAfter, 'after');
      beforeSeq = String(after.seq);
    }
    const rows = await this.deliveries.list(principal, {
      limit: options.limit + 1,
      endpointId: options.endpointId,
      paymentIds: options.paymentId ? [options.paymentId] : null,
      beforeSeq,
    });
    return { data: rows.slice(0, options.limit).map(entry), hasMore: rows.length > options.limit };
  }

  /** The deliveries of some payments' events, newest first, by payment id. */
  async ofPayments(
    principal: Principal,
    paymentIds: readonly string[],
  ): Promise<Map<string, DeliveryLogEntry[]>> {
    const byPayment = new Map<string, DeliveryLogEntry[]>(paymentIds.map((id) => [id, []]));
    const rows = await this.deliveries.list(principal, {
      limit: PAYMENT_DELIVERIES_MAX * paymentIds.length,
      paymentIds,
    });
    for (const row of rows) {
      const forPayment = byPayment.get(row.payment_id!);
      if (forPayment && forPayment.length < PAYMENT_DELIVERIES_MAX) forPayment.push(entry(row));
    }
    return byPayment;
  }

  /** Sends a delivery again now, whatever its status (through its endpoint, which must be enabled). */
  async redeliver(principal: Principal, id: string): Promise<DeliveryLogEntry> {
    const row = await this.row(principal, id, 'id');
    await this.endpoints.redeliver(principal, row.endpoint_id, row.id);
    return entry((await this.deliveries.find(principal, id))!);
  }

  /** A `ping` test event delivered to this endpoint only, due now. */
  async sendTestEvent(principal: Principal, endpointId: string): Promise<DeliveryLogEntry> {
    const endpoint = await this.endpoints.get(principal, endpointId).catch((error: unknown) => {
      if (error instanceof TillError && error.code === ErrorCode.NotFound)
        throw notFound('webhook endpoint', endpointId, 'endpointId');
      throw error;
    });
    if (endpoint.status !== 'enabled')
      throw new TillError(
        ErrorCode.InvalidState,
        'Enable the endpoint before sending it a test event.',
        'endpointId',
      );
    const ids = { eventId: newId.event(), deliveryId: newId.webhookDelivery(), endpointId };
    await this.deliveries.insertTestDelivery(principal, ids, {
      object: 'ping',
      endpoint_id: endpointId,
      message: 'A test event from Till: your endpoint receives and verifies webhooks.',
    });
    this.onDue();
    return entry((await this.deliveries.find(principal, ids.deliveryId))!);
  }

  private async row(principal: Principal, id: string, field: string): Promise<DeliveryLogRow> {
    const row = DELIVERY_ID_PATTERN.test(id) ? await this.deliveries.find(principal, id) : undefined;
    if (!row) throw notFound('webhook delivery', id, field);
    return row;
  }
}
