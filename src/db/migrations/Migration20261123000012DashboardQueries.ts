import { Migration } from '@mikro-orm/migrations';

/**
 * Indexes for the dashboard's reads: statistics and filters over a scope's creation times, the
 * merchant-reference prefix search, a payment's events, and the webhook delivery log by endpoint and
 * by event.
 */
export class Migration20261123000012DashboardQueries extends Migration {
  override name = 'Migration20261123000012DashboardQueries';

  override up(): void {
    this.addSql('create index payment_created_idx on payment (merchant_id, livemode, created_at);');
    this.addSql(
      `create index payment_reference_idx on payment (merchant_id, livemode, merchant_reference text_pattern_ops)
        where merchant_reference is not null;`,
    );
    this.addSql('create index event_payment_idx on event (payment_id, seq) where payment_id is not null;');
    this.addSql('create index webhook_delivery_endpoint_idx on webhook_delivery (endpoint_id, seq desc);');
    this.addSql('create index webhook_delivery_event_idx on webhook_delivery (event_id);');
  }

  override down(): void {
    this.addSql('drop index if exists webhook_delivery_event_idx;');
    this.addSql('drop index if exists webhook_delivery_endpoint_idx;');
    this.addSql('drop index if exists event_payment_idx;');
    this.addSql('drop index if exists payment_reference_idx;');
    this.addSql('drop index if exists payment_created_idx;');
  }
}
