import { Migration } from '@mikro-orm/migrations';

/**
 * Payment lists read one scope (merchant and mode) newest first, so each of their filters needs an
 * index that starts with the scope: `payment_list_idx` (no filter, created range, search),
 * `payment_status_list_idx` (status, and amount within a status), `payment_created_idx` and
 * `payment_reference_idx` (narrow ranges and prefixes, sorted after).
 *
 * The table-wide unique index on `seq` goes: it is the one ordered index that does not start with
 * the scope, and a list with a LIMIT walked it backwards through every merchant's history, filtering
 * row by row, whenever the planner guessed the matches were near the newest end (a created range a
 * year back took half a second at a million rows). `seq` stays unique: it is an identity column
 * generated always, which nobody writes.
 */
export class Migration20261123000013ListIndexes extends Migration {
  override name = 'Migration20261123000013ListIndexes';

  override up(): void {
    this.addSql('alter table payment drop constraint payment_seq_key;');
  }

  override down(): void {
    this.addSql('alter table payment add constraint payment_seq_key unique (seq);');
  }
}
