import { Migration } from '@mikro-orm/migrations';

/**
 * An event remembers the trace of the request that committed it (a W3C `traceparent`, null when
 * tracing is off), so the relay's and the webhook dispatcher's spans — on whichever instance, however
 * much later — link back to that request.
 */
export class Migration20261122000008EventTraceparent extends Migration {
  override name = 'Migration20261122000008EventTraceparent';

  override up(): void {
    this.addSql('alter table event add column traceparent text;');
  }

  override down(): void {
    this.addSql('alter table event drop column if exists traceparent;');
  }
}
