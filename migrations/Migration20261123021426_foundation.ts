import { Migration } from '@mikro-orm/migrations';

export class Migration20261123021426 extends Migration {
  override name = 'Migration20261123021426_foundation';

  override up(): void | Promise<void> {
    this.addSql(`create type "provider" as enum ('anthropic');`);
    this.addSql(`create type "membership_role" as enum ('owner', 'admin', 'member');`);
    this.addSql(`create type "api_key_scope" as enum ('proxy', 'read', 'write');`);
    this.addSql(
      `create table "organizations" ("id" uuid not null, "created_at" timestamptz not null, "name" varchar(200) not null, "slug" varchar(64) not null, "settings" jsonb not null, "deleted_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(
      `create unique index "organizations_slug_live_unique" on "organizations" ("slug") where "deleted_at" is null;`,
    );

    this.addSql(
      `create table "users" ("id" uuid not null, "created_at" timestamptz not null, "email" varchar(320) not null, "name" varchar(200) not null, "password_hash" varchar(255) not null, "default_organization_id" uuid null, "deleted_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email");`);

    this.addSql(
      `create table "provider_keys" ("id" uuid not null, "created_at" timestamptz not null, "organization_id" uuid not null, "created_by_id" uuid not null, "provider" "provider" not null default 'anthropic', "name" varchar(100) not null, "ciphertext" text not null, "last4" varchar(4) not null, "is_default" boolean not null default false, "revoked_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(
      `create unique index "provider_keys_one_default_per_organization" on "provider_keys" ("organization_id", "provider") where "is_default" and "revoked_at" is null;`,
    );
    this.addSql(
      `create index "provider_keys_organization_created_index" on "provider_keys" ("organization_id", "created_at");`,
    );

    this.addSql(
      `create table "memberships" ("id" uuid not null, "created_at" timestamptz not null, "organization_id" uuid not null, "user_id" uuid not null, "role" "membership_role" not null, primary key ("id"));`,
    );
    this.addSql(`create index "memberships_user_index" on "memberships" ("user_id");`);
    this.addSql(
      `alter table "memberships" add constraint "memberships_organization_user_unique" unique ("organization_id", "user_id");`,
    );

    this.addSql(
      `create table "api_keys" ("id" uuid not null, "created_at" timestamptz not null, "organization_id" uuid not null, "created_by_id" uuid not null, "name" varchar(100) not null, "prefix" varchar(12) not null, "digest" varchar(64) not null, "scopes" "api_key_scope"[] not null, "last_used_at" timestamptz null, "expires_at" timestamptz null, "revoked_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`alter table "api_keys" add constraint "api_keys_digest_unique" unique ("digest");`);
    this.addSql(`create index "api_keys_organization_created_index" on "api_keys" ("organization_id", "created_at");`);

    this.addSql(
      `alter table "users" add constraint "users_default_organization_id_foreign" foreign key ("default_organization_id") references "organizations" ("id") on delete set null;`,
    );

    this.addSql(
      `alter table "provider_keys" add constraint "provider_keys_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "provider_keys" add constraint "provider_keys_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "memberships" add constraint "memberships_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "memberships" add constraint "memberships_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "api_keys" add constraint "api_keys_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "api_keys" add constraint "api_keys_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on delete cascade;`,
    );
  }
}
