import { Migration } from '@mikro-orm/migrations';

/**
 * Credentials Till reads back are stored sealed (src/crypto/sealing.ts). OIDC private keys move
 * from the jsonb `private_jwk` to the text `private_jwk_sealed`; webhook secrets stay in their text
 * columns, sealed in place. The encryption key is not available to migrations, so rows written
 * before this one are sealed, and `private_jwk` emptied, by Till at its next start
 * (`sealPlaintext` in src/db/sealed-columns.ts).
 */
export class Migration20261122000007SealedSecrets extends Migration {
  override name = 'Migration20261122000007SealedSecrets';

  override up(): void {
    this.addSql(`
      alter table signing_key
        add column private_jwk_sealed text,
        alter column private_jwk drop not null;`);
  }

  override down(): void {
    // Sealed keys cannot be unsealed here; a database taken back keeps only the keys not yet sealed.
    this.addSql(`delete from signing_key where private_jwk is null;`);
    this.addSql(
      `alter table signing_key drop column if exists private_jwk_sealed, alter column private_jwk set not null;`,
    );
  }
}
