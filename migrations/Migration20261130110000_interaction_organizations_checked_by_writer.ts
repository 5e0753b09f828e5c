import { Migration } from '@mikro-orm/migrations';

/**
 * `interactions` loses its foreign key to `organizations`, as it lost the one to `sessions`
 * (Migration20261130100000_interaction_sessions_checked_by_writer). The recorder's statement, the
 * only writer of calls, locks the organizations of its calls (FOR KEY SHARE, what the key's check
 * took row by row, once per organization) and refuses a call whose organization or session is not
 * found; purging an organization removes its calls itself, under a lock on the organization's row
 * that waits for any statement writing to it (retention.repository.ts). The key's check was a query
 * per call inserted, about a tenth of the statement's time.
 */
export class Migration20261130110000_interaction_organizations_checked_by_writer extends Migration {
  override name = 'Migration20261130110000_interaction_organizations_checked_by_writer';

  override up(): void {
    this.addSql(`alter table "interactions" drop constraint "interactions_organization_id_foreign";`);
  }

  override down(): void {
    this.addSql(
      `alter table "interactions" add constraint "interactions_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`,
    );
  }
}
