import type { Database } from '../db/orm.js';
import { paymentTopic } from '../services/principal.js';
import type { PaymentEventMessage } from './outbox.js';
import type { PubSub } from './pubsub.js';

interface OutboxRow {
  seq: string | number;
  id: string;
  type: string;
  merchant_id: string;
  livemode: boolean;
  data: PaymentEventMessage['data'] | string;
  created_at_unix: string | number;
}

/**
 * The outbox relay: publishes committed events to pub/sub, oldest first, and marks them published.
 * Each batch is claimed with FOR UPDATE SKIP LOCKED, so several instances relay side by side
 * without publishing an event twice; a failed publish rolls back and is retried (at least once).
 */
export class OutboxRelay {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly db: Database,
    private readonly pubsub: PubSub,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Publishes everything pending now; coalesces calls made while a drain is already running. */
  kick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          while ((await this.publishBatch()) > 0);
        } while (this.again);
      } catch (error) {
        this.onError(error);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** Publishes one batch; returns its size. */
  async publishBatch(batchSize = 200): Promise<number> {
    return this.db.em.fork().transactional(async (em) => {
      const rows = await em.execute<OutboxRow[]>(
        `select seq, id, type, merchant_id, livemode, data, extract(epoch from created_at)::bigint as created_at_unix
           from event where published_at is null order by seq limit ? for update skip locked`,
        [batchSize],
      );
      if (rows.length === 0) return 0;
      for (const row of rows) {
        const message: PaymentEventMessage = {
          id: row.id,
          type: row.type,
          created_at: Number(row.created_at_unix),
          livemode: row.livemode,
          merchant_id: row.merchant_id,
          data: typeof row.data === 'string' ? JSON.parse(row.data) : row.data,
        };
        await this.pubsub.publish(paymentTopic(row.merchant_id, row.livemode), JSON.stringify(message));
      }
      await em.execute(
        `update event set published_at = now() where seq in (${rows.map(() => '?').join(',')})`,
        [...rows.map((r) => r.seq)],
      );
      return rows.length;
    });
  }

  /** Waits for an in-flight drain (used on shutdown so nothing committed is left unpublished). */
  async flush(): Promise<void> {
    await this.kick();
  }
}
