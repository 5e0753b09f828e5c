import { Migration } from '@mikro-orm/migrations';

export class Migration20261123024310_share_links extends Migration {
  override name = 'Migration20261123024310_share_links';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "share_links" ("id" uuid not null, "created_at" timestamptz not null, "organization_id" uuid not null, "session_id" uuid not null, "token" varchar(64) not null, "include_content" boolean not null default false, "expires_at" timestamptz null, "created_by_id" uuid not null, "revoked_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`alter table "share_links" add constraint "share_links_token_unique" unique ("token");`);
    this.addSql(
      `create index "share_links_organization_session_index" on "share_links" ("organization_id", "session_id", "created_at");`,
    );

    this.addSql(
      `alter table "share_links" add constraint "share_links_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "share_links" add constraint "share_links_session_id_foreign" foreign key ("session_id") references "sessions" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "share_links" add constraint "share_links_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on delete cascade;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "share_links" cascade;`);
  }
}
