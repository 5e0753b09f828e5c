import { Migration } from '@mikro-orm/migrations';

/**
 * `provider_objects`: which organization created which message batch or file through Lamplight.
 * Anthropic's ids are per Anthropic key, and organizations may share a key: Lamplight answers for
 * an id only to the organization that created it. Keyed by organization first. `details` keeps,
 * for a batch, the session each request belongs to, for recording its results.
 */
export class Migration20261129140000_provider_objects extends Migration {
  override name = 'Migration20261129140000_provider_objects';

  override up(): void {
    this.addSql(`create type "provider_object_kind" as enum ('message_batch', 'file');`);
    this.addSql(`create table "provider_objects" (
      "organization_id" uuid not null references "organizations" ("id") on delete cascade,
      "kind" "provider_object_kind" not null,
      "object_id" varchar(255) not null,
      "created_at" timestamptz not null default now(),
      "user_id" uuid null,
      "api_key_id" uuid null,
      "deleted_at" timestamptz null,
      "details" jsonb null,
      primary key ("organization_id", "kind", "object_id"));`);
    this.addSql(
      `create index "provider_objects_created_index" on "provider_objects" ("organization_id", "kind", "created_at");`,
    );
  }

  override down(): void {
    this.addSql(`drop table "provider_objects";`);
    this.addSql(`drop type "provider_object_kind";`);
  }
}
