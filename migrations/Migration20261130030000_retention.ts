import { Migration } from '@mikro-orm/migrations';

/**
 * Retention (docs/scale-out.md):
 * - `organization_retention`: per organization, how many days content and interactions are kept
 *   (null: kept for ever). Distributed by organization like every tenant table.
 * - `retention_removals`: what a retention pass removed of one organization's data, and when; read
 *   through the API by its members.
 * - `retention_runs`: one row per pass, for operators (`/metrics`): partitions dropped, rows
 *   removed, organizations purged. Global: a reference table.
 */
export class Migration20261130030000_retention extends Migration {
  override name = 'Migration20261130030000_retention';

  override up(): void | Promise<void> {
    this.addSql(`create table "organization_retention" (
  "organization_id" uuid not null references "organizations" ("id") on delete cascade,
  "content_days" int null check ("content_days" between 1 and 36500),
  "interactions_days" int null check ("interactions_days" between 1 and 36500),
  "updated_at" timestamptz not null default now(),
  primary key ("organization_id"));`);
    this.addSql(`create table "retention_removals" (
  "organization_id" uuid not null references "organizations" ("id") on delete cascade,
  "id" uuid not null,
  "kind" text not null check ("kind" in ('content', 'interactions')),
  "rows" bigint not null,
  "older_than" timestamptz not null,
  "removed_at" timestamptz not null,
  primary key ("organization_id", "id"));`);
    this.addSql(
      `create index "retention_removals_organization_removed_index" on "retention_removals" ("organization_id", "removed_at");`,
    );
    this.addSql(`create table "retention_runs" (
  "id" uuid not null primary key,
  "started_at" timestamptz not null,
  "ended_at" timestamptz not null,
  "partitions_created" text[] not null,
  "partitions_dropped" text[] not null,
  "content_removed" bigint not null,
  "interactions_removed" bigint not null,
  "organizations_purged" int not null);`);
    this.addSql(`create index "retention_runs_started_index" on "retention_runs" ("started_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table "retention_runs";`);
    this.addSql(`drop table "retention_removals";`);
    this.addSql(`drop table "organization_retention";`);
  }
}
