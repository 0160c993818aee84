import { Migration } from '@mikro-orm/migrations';

/** A payment may name the language of its hosted page (a BCP 47 tag); null lets the browser choose. */
export class Migration20261123000011PaymentLocale extends Migration {
  override name = 'Migration20261123000011PaymentLocale';

  override up(): void {
    this.addSql('alter table payment add column locale text;');
  }

  override down(): void {
    this.addSql('alter table payment drop column if exists locale;');
  }
}
