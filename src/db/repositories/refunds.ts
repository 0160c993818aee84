import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Refund } from '../../domain/payment.js';
import type { Database } from '../orm.js';

/**
 * Where refunds are stored (the `refund` table): the record of each refund and its outcome, which
 * recovery scans. A payment also keeps its refunds, written with it by the payment repository.
 */
export class RefundRepository {
  constructor(private readonly db: Database) {}

  async insert(
    em: SqlEntityManager,
    refund: Refund,
    owner: { merchantId: string; livemode: boolean },
  ): Promise<void> {
    await em.execute(
      `insert into refund (id, merchant_id, livemode, payment_id, amount, status, reason, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        refund.id,
        owner.merchantId,
        owner.livemode,
        refund.paymentId,
        refund.amount,
        refund.status,
        refund.reason,
        refund.createdAt,
        refund.createdAt,
      ],
    );
  }

  async recordOutcome(em: SqlEntityManager, refund: Refund): Promise<void> {
    await em.execute(`update refund set status = ?, failure_reason = ?, updated_at = now() where id = ?`, [
      refund.status,
      refund.failureReason,
      refund.id,
    ]);
  }

  /** Refunds still pending since `before` (their processor call may have been cut off), oldest first. */
  async pendingSince(before: Date, limit: number): Promise<{ id: string; paymentId: string }[]> {
    const rows = await this.db.em
      .fork()
      .execute<{ id: string; payment_id: string }[]>(
        `select id, payment_id from refund where status = 'pending' and updated_at <= ? order by updated_at limit ?`,
        [before, limit],
      );
    return rows.map((r) => ({ id: r.id, paymentId: r.payment_id }));
  }
}
