import { Migration } from '@mikro-orm/migrations';

/**
 * The hosted page and the sandbox processor. Tables prefixed `sandbox_` belong to the simulated
 * processor (they stand for another company's systems): Till's own tables never hold a card number.
 */
export class Migration20261122000003Checkout extends Migration {
  override name = 'Migration20261122000003Checkout';

  override up(): void {
    this.addSql(`
      alter table payment
        add column processor text,
        add column processor_card_ref text,
        add column processor_charge_key text,
        add column card_token text,
        add column attempts integer not null default 0;`);
    this.addSql(
      `create index payment_processing_idx on payment (processing_at) where status = 'PROCESSING';`,
    );
    this.addSql(`
      create table card_token (
        id text primary key,
        merchant_id text not null references merchant (id) deferrable initially deferred,
        livemode boolean not null,
        customer_id text,
        brand text not null,
        last4 text not null,
        exp_month integer not null,
        exp_year integer not null,
        fingerprint text not null,
        processor text not null,
        processor_ref text not null,
        payment_id text not null,
        created_at timestamptz not null
      );`);
    this.addSql(`create index card_token_customer_idx on card_token (merchant_id, livemode, customer_id);`);
    this.addSql(`
      create table sandbox_card (
        ref text primary key,
        profile text not null,
        brand text not null,
        last4 text not null,
        exp_month integer not null,
        exp_year integer not null,
        country text,
        fingerprint text not null,
        created_at timestamptz not null
      );`);
    this.addSql(`
      create table sandbox_charge (
        id text primary key,
        idempotency_key text not null unique,
        card_ref text not null,
        amount bigint not null,
        currency text not null,
        capture boolean not null,
        outcome text not null,
        decline_code text,
        decline_message text,
        approval_code text,
        card_token text,
        created_at timestamptz not null
      );`);
    this.addSql(`
      create table sandbox_challenge (
        id text primary key,
        payment_id text not null,
        card_ref text not null,
        steps text[] not null,
        step integer not null default 0,
        result text,
        created_at timestamptz not null
      );`);
  }

  override down(): void {
    this.addSql('drop table if exists sandbox_challenge, sandbox_charge, sandbox_card, card_token;');
    this
      .addSql(`alter table payment drop column if exists processor, drop column if exists processor_card_ref,
      drop column if exists processor_charge_key, drop column if exists card_token, drop column if exists attempts;`);
  }
}
