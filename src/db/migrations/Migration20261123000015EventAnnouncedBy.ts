import { Migration } from '@mikro-orm/migrations';

/**
 * An event names the relay that publishes it the moment its transaction commits; other instances'
 * relays leave such an event to that one for a while, so a subscriber hears it once.
 */
export class Migration20261123000015EventAnnouncedBy extends Migration {
  override name = 'Migration20261123000015EventAnnouncedBy';

  override up(): void {
    this.addSql('alter table event add column announced_by text;');
  }

  override down(): void {
    this.addSql('alter table event drop column if exists announced_by;');
  }
}
