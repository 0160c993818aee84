import { Migration } from '@mikro-orm/migrations';

/**
 * Acquirer accounts per merchant and mode (credentials sealed), the account and every attempt a
 * payment was routed through, a terminal's pinned accounts, and the sandbox acquirer's record of the
 * charge requests it received (so it can finish one whose answer a crash lost).
 */
export class Migration20261123000009Connectors extends Migration {
  override name = 'Migration20261123000009Connectors';

  override up(): void {
    this.addSql(`
      create table connector_account (
        id text primary key,
        seq bigint generated always as identity unique,
        merchant_id text not null references merchant (id),
        livemode boolean not null,
        connector text not null,
        label text not null,
        currencies text[] not null default '{}',
        priority integer not null,
        credentials text,
        api_base text,
        disabled_at timestamptz,
        created_at timestamptz not null default now()
      );`);
    this.addSql(
      'create index connector_account_route_idx on connector_account (merchant_id, livemode, priority) where disabled_at is null;',
    );
    this.addSql(
      `alter table payment add column connector_account_id text, add column processor_attempts jsonb not null default '[]', add column reconcile_after timestamptz;`,
    );
    this.addSql(
      'create index payment_processor_ref_idx on payment (processor_charge_id) where processor_charge_id is not null;',
    );
    // The stray-charge sweep's query: the few payments with a try nobody has checked yet.
    this.addSql(
      `create index payment_unchecked_failure_idx on payment (processing_at)
         where processor_attempts @> '[{"status": "technical_failure", "checked_at": null}]'::jsonb;`,
    );
    this.addSql('alter table terminal add column connector_account_ids text[];');
    this.addSql(`
      create table sandbox_charge_request (
        idempotency_key text primary key,
        card_ref text not null,
        amount bigint not null,
        currency text not null,
        capture boolean not null,
        tokenize boolean not null,
        simulation jsonb not null,
        created_at timestamptz not null default now()
      );`);
  }

  override down(): void {
    this.addSql('drop table if exists sandbox_charge_request;');
    this.addSql('alter table terminal drop column if exists connector_account_ids;');
    this.addSql('drop index if exists payment_unchecked_failure_idx;');
    this.addSql('drop index if exists payment_processor_ref_idx;');
    this.addSql(
      'alter table payment drop column if exists connector_account_id, drop column if exists processor_attempts, drop column if exists reconcile_after;',
    );
    this.addSql('drop table if exists connector_account;');
  }
}
