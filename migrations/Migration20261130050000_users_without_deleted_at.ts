import { Migration } from '@mikro-orm/migrations';

/**
 * Users are not soft-deleted: nothing in Lamplight ever set `users.deleted_at`, so the column and
 * the checks that read it go. A row marked by hand would come back to life without the column, so
 * the migration refuses to run while one exists; an operator decides what becomes of it first.
 */
export class Migration20261130050000_users_without_deleted_at extends Migration {
  override name = 'Migration20261130050000_users_without_deleted_at';

  override up(): void | Promise<void> {
    this.addSql(`do $$ begin
      if exists (select 1 from "users" where "deleted_at" is not null) then
        raise exception 'users.deleted_at is set on some rows: delete those users, or clear the mark, before this migration';
      end if;
    end $$;`);
    this.addSql(`alter table "users" drop column "deleted_at";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "users" add column "deleted_at" timestamptz null;`);
  }
}
