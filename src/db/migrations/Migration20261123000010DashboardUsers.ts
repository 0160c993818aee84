import { Migration } from '@mikro-orm/migrations';

/** Dashboard users (email + password, one merchant each), their sessions and invitations. */
export class Migration20261123000010DashboardUsers extends Migration {
  override name = 'Migration20261123000010DashboardUsers';

  override up(): void {
    // An email signs in to one account: unique, whatever its case, among users not removed (a
    // removed member's row stays, so the audit log's user ids keep meaning something).
    this.addSql(`
      create table dashboard_user (
        id text primary key,
        merchant_id text not null references merchant (id),
        email text not null,
        password_hash text not null,
        role text not null check (role in ('owner', 'admin', 'developer', 'analyst')),
        status text not null default 'active' check (status in ('active', 'disabled')),
        created_at timestamptz not null,
        last_sign_in_at timestamptz
      );`);
    this.addSql(
      `create unique index dashboard_user_email_idx on dashboard_user (lower(email)) where status = 'active';`,
    );
    this.addSql(`create index dashboard_user_merchant_idx on dashboard_user (merchant_id);`);
    // Sessions store only the SHA-256 of their cookie's token. Revoked rows stay until they expire,
    // so every instance's poll can learn of a revocation it missed on pub/sub.
    this.addSql(`
      create table dashboard_session (
        id text primary key,
        user_id text not null references dashboard_user (id),
        merchant_id text not null,
        token_hash text not null unique,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        revoked_at timestamptz,
        address text,
        user_agent text
      );`);
    this.addSql(`create index dashboard_session_user_idx on dashboard_session (user_id);`);
    this.addSql(
      `create index dashboard_session_revoked_idx on dashboard_session (revoked_at) where revoked_at is not null;`,
    );
    this.addSql(`
      create table dashboard_invitation (
        id text primary key,
        merchant_id text not null references merchant (id),
        email text not null,
        role text not null check (role in ('owner', 'admin', 'developer', 'analyst')),
        token_hash text not null unique,
        created_by text,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        accepted_at timestamptz,
        revoked_at timestamptz
      );`);
    this.addSql(`create index dashboard_invitation_merchant_idx on dashboard_invitation (merchant_id);`);
  }

  override down(): void {
    this.addSql('drop table if exists dashboard_invitation, dashboard_session, dashboard_user;');
  }
}
