import { Migration } from '@mikro-orm/migrations';

/** Seed 000's dialect: OIDC signing keys, hosted sessions on payments, publishable keys kept readable. */
export class Migration20261122000002ApiDialect extends Migration {
  override name = 'Migration20261122000002ApiDialect';

  override up(): void {
    this.addSql(`
      create table signing_key (
        kid text primary key,
        alg text not null,
        public_jwk jsonb not null,
        private_jwk jsonb not null,
        created_at timestamptz not null,
        retired_at timestamptz
      );`);
    // The publishable client key is not a secret: the hosted page shows it in window.InitData.
    this.addSql(`alter table merchant add column client_key text unique;`);
    this.addSql(`
      alter table payment
        add column transaction_type text not null default 'PURCHASE',
        add column success_url text,
        add column cancel_url text,
        add column error_url text,
        add column customer jsonb,
        add column country text,
        add column tokenization boolean not null default false,
        add column session_id text unique,
        add column session_token_hash text;`);
  }

  override down(): void {
    this.addSql('drop table if exists signing_key;');
    this.addSql('alter table merchant drop column if exists client_key;');
    this
      .addSql(`alter table payment drop column if exists transaction_type, drop column if exists success_url,
      drop column if exists cancel_url, drop column if exists error_url, drop column if exists customer,
      drop column if exists country, drop column if exists tokenization, drop column if exists session_id,
      drop column if exists session_token_hash;`);
  }
}
