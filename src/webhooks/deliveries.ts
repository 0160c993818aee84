import { trace } from '@opentelemetry/api';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { DeliverableEvent, WebhookRepository } from '../db/repositories/webhooks.js';
import { newId } from '../domain/ids.js';
import { TillAttributes } from '../tracing/spans.js';

/** Creating webhook deliveries for published events (sending them is the dispatcher's job). */
export class WebhookDeliveries {
  constructor(private readonly webhooks: WebhookRepository) {}

  /**
   * One pending delivery per enabled endpoint subscribed to each event, in `tx` (the transaction
   * that publishes the events, so an event is published exactly when its deliveries exist). Due at
   * once, or when the endpoint's circuit breaker lets deliveries through again. Running it again
   * for the same events creates nothing more. Returns how many deliveries it created, and records
   * that on the active span (the relay's batch).
   */
  async createFor(tx: SqlEntityManager, events: readonly DeliverableEvent[]): Promise<number> {
    const targets = await this.webhooks.subscribedEndpoints(tx, events);
    const created = await this.webhooks.insertDeliveries(
      tx,
      targets.map((t) => ({ id: newId.webhookDelivery(), endpointId: t.endpoint_id, eventId: t.event_id })),
    );
    trace.getActiveSpan()?.setAttribute(TillAttributes.webhookDeliveries, created);
    return created;
  }
}
