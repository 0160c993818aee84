import { Migration } from '@mikro-orm/migrations';

/**
 * Lists read newest first by creation time, then insertion order (`created_at desc, seq desc`), so
 * a created range is a bound on the same walk instead of a filter on it: a range far back in a
 * million payments was found by walking every newer one, or sorted after reading all of it.
 *
 * - `payment_list_idx` and `payment_status_list_idx` end with that order; the first also serves
 *   the created ranges `payment_created_idx` served, which goes.
 * - `payment_reference_idx` carries the order's keys and the id, so a search picks its page from
 *   the index alone (a prefix matching thousands of old payments is sorted, not walked to).
 * - `payment_amount_idx` finds a narrow amount range directly (it took a sequential scan).
 */
export class Migration20261123000014ListOrder extends Migration {
  override name = 'Migration20261123000014ListOrder';

  override up(): void {
    this.addSql('drop index payment_list_idx;');
    this.addSql(
      'create index payment_list_idx on payment (merchant_id, livemode, created_at desc, seq desc);',
    );
    this.addSql('drop index payment_status_list_idx;');
    this.addSql(
      'create index payment_status_list_idx on payment (merchant_id, livemode, status, created_at desc, seq desc);',
    );
    this.addSql('drop index payment_created_idx;');
    this.addSql('drop index payment_reference_idx;');
    this.addSql(
      `create index payment_reference_idx on payment (merchant_id, livemode, merchant_reference text_pattern_ops)
        include (created_at, seq, id) where merchant_reference is not null;`,
    );
    this.addSql('create index payment_amount_idx on payment (merchant_id, livemode, amount);');
  }

  override down(): void {
    this.addSql('drop index payment_amount_idx;');
    this.addSql('drop index payment_reference_idx;');
    this.addSql(
      `create index payment_reference_idx on payment (merchant_id, livemode, merchant_reference text_pattern_ops)
        where merchant_reference is not null;`,
    );
    this.addSql('create index payment_created_idx on payment (merchant_id, livemode, created_at);');
    this.addSql('drop index payment_status_list_idx;');
    this.addSql('create index payment_status_list_idx on payment (merchant_id, livemode, status, seq desc);');
    this.addSql('drop index payment_list_idx;');
    this.addSql('create index payment_list_idx on payment (merchant_id, livemode, seq desc);');
  }
}
