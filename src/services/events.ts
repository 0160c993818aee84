import type { Database } from '../db/orm.js';
import { EventRepository } from '../db/repositories/events.js';
import { notFound } from '../domain/errors.js';
import { EVENT_ID_PATTERN } from '../domain/ids.js';
import { eventFromRow, type TillEvent } from '../events/outbox.js';
import type { Principal } from './principal.js';

/** The events API: the outbox, read back — the same ids as webhooks and subscriptions. */
export class EventService {
  private readonly events: EventRepository;

  constructor(db: Database) {
    this.events = new EventRepository(db);
  }

  async get(principal: Principal, id: string): Promise<TillEvent> {
    const row = EVENT_ID_PATTERN.test(id) ? await this.events.find(principal, id) : undefined;
    if (!row) throw notFound('event', id);
    return eventFromRow(row);
  }

  /** Newest first; `startingAfter` an event id of this principal; `type` an exact type or `prefix.*`. */
  async list(
    principal: Principal,
    options: { limit: number; startingAfter?: string | null; type?: string | null },
  ): Promise<{ data: TillEvent[]; hasMore: boolean }> {
    const rows = await this.events.list(principal, {
      limit: options.limit + 1,
      beforeSeq: options.startingAfter
        ? await this.seqOf(principal, options.startingAfter, 'starting_after')
        : undefined,
      type: !options.type
        ? undefined
        : options.type.endsWith('.*')
          ? { prefix: options.type.slice(0, -1) }
          : { exact: options.type },
    });
    return { data: rows.slice(0, options.limit).map(eventFromRow), hasMore: rows.length > options.limit };
  }

  /**
   * The events of some of the principal's payments, oldest first, by payment id (none for a payment
   * it does not have).
   */
  async ofPayments(
    principal: Principal,
    paymentIds: readonly string[],
    limitEach = 1000,
  ): Promise<Map<string, TillEvent[]>> {
    const byPayment = new Map<string, TillEvent[]>(paymentIds.map((id) => [id, []]));
    for (const row of await this.events.ofPayments(principal, paymentIds, limitEach))
      byPayment.get(row.payment_id)?.push(eventFromRow(row));
    return byPayment;
  }

  /**
   * The principal's events after `eventId`, oldest first, at most `limit`: what a subscriber that
   * resumes missed.
   */
  async after(principal: Principal, eventId: string, limit = 100): Promise<TillEvent[]> {
    const seq = await this.seqOf(principal, eventId, 'after');
    return (await this.events.after(principal, seq, limit)).map(eventFromRow);
  }

  /** Where one of the principal's events is in the outbox, for paging from it. */
  private async seqOf(principal: Principal, id: string, param: string): Promise<string> {
    const seq = EVENT_ID_PATTERN.test(id) ? await this.events.seqOf(principal, id) : undefined;
    if (seq === undefined) throw notFound('event', id, param);
    return seq;
  }
}
