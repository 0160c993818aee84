import { Migration } from '@mikro-orm/migrations';

/** Capture, void, refunds, webhooks and the events API. */
export class Migration20261122000004AfterThePage extends Migration {
  override name = 'Migration20261122000004AfterThePage';

  override up(): void {
    this.addSql(`
      alter table payment
        add column amount_captured bigint,
        add column refunds jsonb not null default '[]'::jsonb,
        add column processor_charge_id text,
        add column pending_operation jsonb,
        add column authorization_expires_at timestamptz;`);
    this.addSql(
      `create index payment_authorized_expiry_idx on payment (authorization_expires_at) where status = 'AUTHORIZED';`,
    );
    this.addSql(
      `create index payment_pending_operation_idx on payment (processing_at) where pending_operation is not null;`,
    );
    this.addSql(`
      create table refund (
        id text primary key,
        seq bigint generated always as identity unique,
        merchant_id text not null references merchant (id) deferrable initially deferred,
        livemode boolean not null,
        payment_id text not null references payment (id) deferrable initially deferred,
        amount bigint not null check (amount >= 1),
        status text not null check (status in ('pending', 'succeeded', 'failed')),
        reason text,
        failure_reason text,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );`);
    this.addSql(`create index refund_payment_idx on refund (payment_id, seq);`);
    this.addSql(`create index refund_pending_idx on refund (updated_at) where status = 'pending';`);
    this.addSql(`alter table event add column payment_snapshot jsonb;`);
    this.addSql(`create index event_type_idx on event (merchant_id, livemode, type, seq desc);`);
    this.addSql(`
      create table webhook_endpoint (
        id text primary key,
        seq bigint generated always as identity unique,
        merchant_id text not null references merchant (id) deferrable initially deferred,
        livemode boolean not null,
        url text not null,
        description text,
        enabled_events text[] not null,
        status text not null check (status in ('enabled', 'disabled')),
        disabled_reason text,
        secret text not null,
        previous_secret text,
        previous_secret_expires_at timestamptz,
        created_at timestamptz not null
      );`);
    this.addSql(`create index webhook_endpoint_merchant_idx on webhook_endpoint (merchant_id, livemode);`);
    this.addSql(`
      create table webhook_delivery (
        id text primary key,
        seq bigint generated always as identity unique,
        endpoint_id text not null references webhook_endpoint (id) on delete cascade,
        event_id text not null,
        status text not null check (status in ('pending', 'succeeded', 'failed')),
        attempts integer not null default 0,
        next_attempt_at timestamptz,
        locked_until timestamptz,
        last_status_code integer,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        unique (endpoint_id, event_id)
      );`);
    this.addSql(
      `create index webhook_delivery_due_idx on webhook_delivery (next_attempt_at) where status = 'pending';`,
    );
    this.addSql(`
      create table webhook_attempt (
        id text primary key,
        delivery_id text not null references webhook_delivery (id) on delete cascade,
        attempted_at timestamptz not null,
        status_code integer,
        latency_ms integer not null,
        response_excerpt text,
        error text
      );`);
    this.addSql(`create index webhook_attempt_delivery_idx on webhook_attempt (delivery_id, attempted_at);`);
    this.addSql(`
      create table sandbox_operation (
        idempotency_key text primary key,
        kind text not null,
        charge_id text not null,
        amount bigint,
        outcome text not null,
        created_at timestamptz not null
      );`);
  }

  override down(): void {
    this.addSql(
      'drop table if exists sandbox_operation, webhook_attempt, webhook_delivery, webhook_endpoint, refund;',
    );
    this.addSql('alter table event drop column if exists payment_snapshot;');
    this.addSql(`alter table payment drop column if exists amount_captured, drop column if exists refunds,
      drop column if exists processor_charge_id, drop column if exists pending_operation,
      drop column if exists authorization_expires_at;`);
  }
}
