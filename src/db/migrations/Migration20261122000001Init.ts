import { Migration } from '@mikro-orm/migrations';

/**
 * The spine's schema. Plain PostgreSQL that PGlite runs too, so one migration set serves both
 * the embedded default and PostgreSQL servers.
 */
export class Migration20261122000001Init extends Migration {
  override name = 'Migration20261122000001Init';

  override up(): void {
    this.addSql(`
      create table merchant (
        id text primary key,
        name text not null,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`
      create table api_key (
        id text primary key,
        merchant_id text not null references merchant (id) deferrable initially deferred,
        kind text not null check (kind in ('secret', 'publishable', 'api', 'oauth_client', 'oauth_password')),
        livemode boolean not null,
        identifier text,
        display_prefix text not null,
        secret_hash text not null unique,
        created_at timestamptz not null default now(),
        revoked_at timestamptz
      );`);
    this.addSql(`create index api_key_merchant_idx on api_key (merchant_id);`);
    this.addSql(
      `create unique index api_key_identifier_idx on api_key (kind, identifier) where identifier is not null;`,
    );
    this.addSql(`
      create table terminal (
        merchant_id text not null references merchant (id) deferrable initially deferred,
        id text not null,
        currencies text[] not null,
        payment_methods text[] not null,
        tokenization boolean not null default false,
        primary key (merchant_id, id)
      );`);
    this.addSql(`
      create table payment (
        id text primary key,
        seq bigint generated always as identity unique,
        merchant_id text not null references merchant (id) deferrable initially deferred,
        livemode boolean not null,
        status text not null,
        integration_type text not null,
        amount bigint not null check (amount >= 1),
        currency text not null,
        amount_refunded bigint not null default 0 check (amount_refunded >= 0),
        merchant_reference text,
        description text,
        billing_details jsonb,
        metadata jsonb not null default '{}'::jsonb,
        card jsonb,
        decline_code text,
        decline_message text,
        next_action jsonb,
        return_url text,
        terminal_id text,
        requires_action_at timestamptz,
        processing_at timestamptz,
        authorized_at timestamptz,
        succeeded_at timestamptz,
        failed_at timestamptz,
        canceled_at timestamptz,
        expired_at timestamptz,
        version integer not null default 1,
        created_at timestamptz not null,
        expires_at timestamptz not null
      );`);
    this.addSql(`create index payment_list_idx on payment (merchant_id, livemode, seq desc);`);
    this.addSql(`create index payment_status_list_idx on payment (merchant_id, livemode, status, seq desc);`);
    this.addSql(
      `create index payment_expiry_idx on payment (expires_at) where status in ('PENDING', 'REQUIRES_ACTION');`,
    );
    this.addSql(`
      create table event (
        seq bigint generated always as identity primary key,
        id text not null unique,
        merchant_id text not null references merchant (id) deferrable initially deferred,
        livemode boolean not null,
        type text not null,
        payment_id text references payment (id) deferrable initially deferred,
        data jsonb not null,
        created_at timestamptz not null,
        published_at timestamptz
      );`);
    this.addSql(`create index event_unpublished_idx on event (seq) where published_at is null;`);
    this.addSql(`create index event_merchant_idx on event (merchant_id, livemode, seq desc);`);
    this.addSql(`
      create table idempotency_key (
        merchant_id text not null references merchant (id) deferrable initially deferred,
        livemode boolean not null,
        key text not null,
        fingerprint text not null,
        state text not null check (state in ('running', 'done')),
        response_status integer,
        response_body text,
        locked_at timestamptz not null,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        primary key (merchant_id, livemode, key)
      );`);
    this.addSql(`create index idempotency_key_expiry_idx on idempotency_key (expires_at);`);
  }

  override down(): void {
    this.addSql('drop table if exists idempotency_key, event, payment, terminal, api_key, merchant cascade;');
  }
}
