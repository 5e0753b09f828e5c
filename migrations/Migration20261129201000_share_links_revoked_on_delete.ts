import { Migration } from '@mikro-orm/migrations';

/**
 * Deleting a session revokes its share links, whoever deletes it (the API, a script, SQL by
 * hand), so restoring it does not silently republish it: sharing again is explicit and makes a
 * new token. Links of sessions deleted before this migration are revoked now, for the same reason.
 */
export class Migration20261129201000_share_links_revoked_on_delete extends Migration {
  override name = 'Migration20261129201000_share_links_revoked_on_delete';

  override up(): void | Promise<void> {
    this
      .addSql(`create or replace function "lamplight_revoke_share_links_of_deleted_session"() returns trigger language plpgsql as $$
begin
  if old.deleted_at is null and new.deleted_at is not null then
    update "share_links" set "revoked_at" = new.deleted_at
     where "organization_id" = new.organization_id and "session_id" = new.id and "revoked_at" is null;
  end if;
  return null;
end $$;`);
    this.addSql(
      `create trigger "sessions_revoke_share_links" after update of "deleted_at" on "sessions" for each row execute function "lamplight_revoke_share_links_of_deleted_session"();`,
    );
    this.addSql(`update "share_links" l set "revoked_at" = s."deleted_at" from "sessions" s
      where s.id = l.session_id and s.deleted_at is not null and l.revoked_at is null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "sessions_revoke_share_links" on "sessions";`);
    this.addSql(`drop function if exists "lamplight_revoke_share_links_of_deleted_session"();`);
  }
}
