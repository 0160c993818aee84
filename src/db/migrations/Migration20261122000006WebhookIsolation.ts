import { Migration } from '@mikro-orm/migrations';

/** Webhook delivery isolation: a circuit breaker per endpoint, and a cheap count of leased deliveries. */
export class Migration20261122000006WebhookIsolation extends Migration {
  override name = 'Migration20261122000006WebhookIsolation';

  override up(): void {
    // `consecutive_failures` counts attempts not accepted since the last accepted one; past the
    // threshold the breaker is open until `breaker_open_until` and then lets one probe through.
    this.addSql(`
      alter table webhook_endpoint
        add column consecutive_failures integer not null default 0,
        add column breaker_open_until timestamptz;`);
    // A delivery holds `locked_until` only while an instance is sending it (or until the lease of an
    // instance that died runs out), so the in-flight counts of the claim read a handful of rows.
    this.addSql(
      `create index webhook_delivery_leased_idx on webhook_delivery (locked_until) where locked_until is not null;`,
    );
  }

  override down(): void {
    this.addSql('drop index if exists webhook_delivery_leased_idx;');
    this.addSql(`alter table webhook_endpoint drop column if exists consecutive_failures,
      drop column if exists breaker_open_until;`);
  }
}
