import { Migration } from '@mikro-orm/migrations';

/**
 * `interactions.content_status`: what an interaction holds of the conversation — complete,
 * truncated, not stored (the organization's setting), capture_failed (capturing it failed, the
 * call is recorded without it) or dropped (the database refused the row as sent; it was stored
 * without content and the original kept in the dead-letter file). Existing rows are classified
 * from what they hold.
 */
export class Migration20261129120000_content_status extends Migration {
  override name = 'Migration20261129120000_content_status';

  override up(): void {
    this.addSql(
      `create type "interaction_content_status" as enum ('complete', 'truncated', 'not_stored', 'capture_failed', 'dropped');`,
    );
    this.addSql(
      `alter table "interactions" add column "content_status" "interaction_content_status" not null default 'complete';`,
    );
    this.addSql(`update "interactions" set "content_status" = case
      when "content_truncated" then 'truncated'::interaction_content_status
      when "content" is null and "user_query" is null and "final_output" is null then 'not_stored'::interaction_content_status
      else 'complete'::interaction_content_status end
      where "content_truncated" or ("content" is null and "user_query" is null and "final_output" is null);`);
  }

  override down(): void {
    this.addSql(`alter table "interactions" drop column "content_status";`);
    this.addSql(`drop type "interaction_content_status";`);
  }
}
