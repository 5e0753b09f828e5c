import { Migration } from '@mikro-orm/migrations';

/**
 * `interactions` loses its foreign key to `sessions`. The recorder's statement, the only writer of
 * calls, looks up each call's session before inserting the calls and refuses the statement when
 * one is missing (see interaction-writer.repository.ts), so the key's per-row check, which cost about a
 * third of the statement's time, checked what was already checked. Sessions are never removed but
 * with their organization, and the foreign key to `organizations` (kept) removes the calls then.
 */
export class Migration20261130100000_interaction_sessions_checked_by_writer extends Migration {
  override name = 'Migration20261130100000_interaction_sessions_checked_by_writer';

  override up(): void {
    this.addSql(`alter table "interactions" drop constraint "interactions_session_id_foreign";`);
  }

  override down(): void {
    this.addSql(
      `alter table "interactions" add constraint "interactions_session_id_foreign" foreign key ("organization_id", "session_id") references "sessions" ("organization_id", "id") on delete cascade;`,
    );
  }
}
