import { Migration } from '@mikro-orm/migrations';

/** Key lifecycle (roll with a grace period, revoke), revoked access tokens, and the audit log. */
export class Migration20261122000005Credentials extends Migration {
  override name = 'Migration20261122000005Credentials';

  override up(): void {
    // `changed_at` moves whenever a key is rolled or revoked, so every instance can poll for what
    // changed since it last looked (the safety net under the pub/sub notification).
    this.addSql(`
      alter table api_key
        add column last4 text,
        add column expires_at timestamptz,
        add column replaced_by text,
        add column changed_at timestamptz;`);
    this.addSql(`create index api_key_changed_idx on api_key (changed_at) where changed_at is not null;`);
    this.addSql(`
      create table revoked_token (
        jti text primary key,
        merchant_id text not null,
        expires_at timestamptz not null,
        revoked_at timestamptz not null
      );`);
    this.addSql(`create index revoked_token_revoked_idx on revoked_token (revoked_at);`);
    this.addSql(`
      create table audit_log (
        id text primary key,
        seq bigint generated always as identity unique,
        merchant_id text,
        livemode boolean,
        actor_type text not null,
        actor_id text,
        action text not null,
        object_type text not null,
        object_id text,
        request_id text,
        details jsonb not null default '{}'::jsonb,
        created_at timestamptz not null
      );`);
    this.addSql(`create index audit_log_merchant_idx on audit_log (merchant_id, seq desc);`);
  }

  override down(): void {
    this.addSql('drop table if exists audit_log, revoked_token;');
    this.addSql(`alter table api_key drop column if exists last4, drop column if exists expires_at,
      drop column if exists replaced_by, drop column if exists changed_at;`);
  }
}
