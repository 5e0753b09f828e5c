import { Migration } from '@mikro-orm/migrations';

export class Migration20261123022620_sessions_and_recording extends Migration {
  override name = 'Migration20261123022620_sessions_and_recording';

  override up(): void | Promise<void> {
    this.addSql(`create type "interaction_outcome" as enum ('ok', 'error', 'cancelled', 'upstream_error');`);
    this.addSql(
      `create table "usage_hourly" ("organization_id" uuid not null, "hour" timestamptz not null, "model" varchar(255) not null, "requests" bigint not null, "error_requests" bigint not null, "unpriced_requests" bigint not null, "input_tokens" bigint not null, "output_tokens" bigint not null, "cache_read_tokens" bigint not null, "cache_write5m_tokens" bigint not null, "cache_write1h_tokens" bigint not null, "cost_input_nano_usd" bigint not null, "cost_output_nano_usd" bigint not null, "cost_cache_read_nano_usd" bigint not null, "cost_cache_write5m_nano_usd" bigint not null, "cost_cache_write1h_nano_usd" bigint not null, "cost_total_nano_usd" bigint not null, primary key ("organization_id", "hour", "model"));`,
    );

    this.addSql(
      `create table "sessions" ("id" uuid not null, "created_at" timestamptz not null, "organization_id" uuid not null, "user_id" uuid not null, "external_id" varchar(255) not null, "title" varchar(255) null, "device" jsonb not null, "token_budget" bigint null, "last_activity_at" timestamptz not null, "released_at" timestamptz null, "deleted_at" timestamptz null, "deleted_by_id" uuid null, "request_count" bigint not null default '0', "input_tokens" bigint not null default '0', "output_tokens" bigint not null default '0', "cache_read_tokens" bigint not null default '0', "cache_write5m_tokens" bigint not null default '0', "cache_write1h_tokens" bigint not null default '0', "cost_nano_usd" bigint not null default '0', "unpriced_requests" bigint not null default '0', primary key ("id"));`,
    );
    this.addSql(
      `create unique index "sessions_live_external_id_unique" on "sessions" ("organization_id", "external_id") where "deleted_at" is null and "released_at" is null;`,
    );
    this.addSql(
      `create index "sessions_organization_created_index" on "sessions" ("organization_id", "created_at", "id");`,
    );

    this.addSql(
      `create table "interactions" ("id" uuid not null, "organization_id" uuid not null, "session_id" uuid not null, "api_key_id" uuid null, "user_id" uuid null, "model" varchar(255) not null, "stream" boolean not null, "http_status" smallint not null, "outcome" "interaction_outcome" not null, "stop_reason" varchar(64) null, "error_type" varchar(64) null, "input_tokens" int not null, "output_tokens" int not null, "cache_read_tokens" int not null, "cache_write5m_tokens" int not null, "cache_write1h_tokens" int not null, "cost_input_nano_usd" bigint null, "cost_output_nano_usd" bigint null, "cost_cache_read_nano_usd" bigint null, "cost_cache_write5m_nano_usd" bigint null, "cost_cache_write1h_nano_usd" bigint null, "cost_total_nano_usd" bigint null, "pricing_version" varchar(32) not null, "latency_ms" int not null, "time_to_first_token_ms" int null, "upstream_request_id" varchar(128) null, "agent_id" varchar(255) null, "user_query" text null, "final_output" text null, "content" jsonb null, "content_truncated" boolean not null, "started_at" timestamptz not null, "ended_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `create index "interactions_session_started_index" on "interactions" ("organization_id", "session_id", "started_at", "id");`,
    );

    this.addSql(
      `alter table "sessions" add constraint "sessions_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "sessions" add constraint "sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "sessions" add constraint "sessions_deleted_by_id_foreign" foreign key ("deleted_by_id") references "users" ("id") on delete set null;`,
    );

    this.addSql(
      `alter table "interactions" add constraint "interactions_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "interactions" add constraint "interactions_session_id_foreign" foreign key ("session_id") references "sessions" ("id") on delete cascade;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "interactions" drop constraint "interactions_session_id_foreign";`);

    this.addSql(`drop table if exists "usage_hourly" cascade;`);
    this.addSql(`drop table if exists "sessions" cascade;`);
    this.addSql(`drop table if exists "interactions" cascade;`);

    this.addSql(`drop type "interaction_outcome";`);
  }
}
