import { Migration } from '@mikro-orm/migrations';

/**
 * Spend limits: limits per scope (organization, API key, member, session) and period, counters of
 * spent and reserved amounts shared by every instance, per-organization settings (time zone,
 * behaviour when the database cannot be reached, alert thresholds, webhook), the alerts already
 * raised in a period, and the webhook delivery log. Every key leads with organization_id.
 *
 * Admission and settlement are functions so that each is one statement (one round trip) that
 * locks its counters in the order the caller gives them (sorted), and rolls back as a whole when
 * any counter has no room.
 */
export class Migration20261130040000_spend_limits extends Migration {
  override name = 'Migration20261130040000_spend_limits';

  override up(): void | Promise<void> {
    this.addSql(`create table "spend_limits" (
  "organization_id" uuid not null,
  "id" uuid not null,
  "scope_type" varchar(16) not null check ("scope_type" in ('organization', 'api_key', 'user', 'session')),
  "scope_id" uuid not null,
  "period" varchar(16) not null check ("period" in ('daily', 'weekly', 'monthly', 'session')),
  "unit" varchar(8) not null check ("unit" in ('usd', 'tokens')),
  "amount" bigint not null check ("amount" >= 0),
  "alert_thresholds" smallint[] null,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  primary key ("organization_id", "id"),
  constraint "spend_limits_scope_unique" unique ("organization_id", "scope_type", "scope_id", "period", "unit"),
  constraint "spend_limits_session_period" check (("scope_type" = 'session') = ("period" = 'session')),
  constraint "spend_limits_tokens_for_sessions" check ("unit" = 'usd' or "scope_type" = 'session')
);`);
    this.addSql(
      `alter table "spend_limits" add constraint "spend_limits_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`,
    );

    this.addSql(`create table "spend_counters" (
  "organization_id" uuid not null,
  "counter_key" varchar(80) not null,
  "period_start" timestamptz not null,
  "spent" bigint not null default 0,
  "reserved" bigint not null default 0,
  "updated_at" timestamptz not null default now(),
  primary key ("organization_id", "counter_key", "period_start")
);`);
    this.addSql(
      `alter table "spend_counters" add constraint "spend_counters_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`,
    );

    this.addSql(`create table "spend_limit_settings" (
  "organization_id" uuid not null,
  "time_zone" varchar(64) not null default 'UTC',
  "failure_mode" varchar(8) not null default 'closed' check ("failure_mode" in ('closed', 'open')),
  "fail_open_amount" bigint not null default 0 check ("fail_open_amount" >= 0),
  "alert_thresholds" smallint[] not null default '{50,80,100}',
  "webhook_url" varchar(2048) null,
  "webhook_secret" varchar(128) null,
  "updated_at" timestamptz not null,
  primary key ("organization_id")
);`);
    this.addSql(
      `alter table "spend_limit_settings" add constraint "spend_limit_settings_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`,
    );

    this.addSql(`create table "spend_alerts" (
  "organization_id" uuid not null,
  "limit_id" uuid not null,
  "period_start" timestamptz not null,
  "threshold" smallint not null,
  "created_at" timestamptz not null,
  primary key ("organization_id", "limit_id", "period_start", "threshold")
);`);
    this.addSql(
      `alter table "spend_alerts" add constraint "spend_alerts_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`,
    );

    this.addSql(`create table "spend_webhook_deliveries" (
  "organization_id" uuid not null,
  "id" uuid not null,
  "event" varchar(40) not null,
  "url" varchar(2048) not null,
  "payload" jsonb not null,
  "status" varchar(12) not null check ("status" in ('pending', 'delivered', 'failed')),
  "attempts" integer not null default 0,
  "last_status_code" integer null,
  "last_error" varchar(200) null,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "delivered_at" timestamptz null,
  primary key ("organization_id", "id")
);`);
    this.addSql(
      `create index "spend_webhook_deliveries_recent" on "spend_webhook_deliveries" ("organization_id", "created_at" desc);`,
    );
    this.addSql(
      `alter table "spend_webhook_deliveries" add constraint "spend_webhook_deliveries_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`,
    );

    // Every instance caches an organization's limits and settings; any change drops them everywhere.
    this.addSql(`create or replace function "lamplight_notify_spend_limits"() returns trigger language plpgsql as $$
begin
  perform pg_notify('lamplight_cache_invalidation', json_build_object('topic', 'spend-limit', 'key', coalesce(new.organization_id, old.organization_id))::text);
  return null;
end $$;`);
    this.addSql(
      `create trigger "spend_limits_cache_invalidation" after insert or update or delete on "spend_limits" for each row execute function "lamplight_notify_spend_limits"();`,
    );
    this.addSql(
      `create trigger "spend_limit_settings_cache_invalidation" after insert or update or delete on "spend_limit_settings" for each row execute function "lamplight_notify_spend_limits"();`,
    );

    // Reserve p_amounts[i] on every counter, in the order given, only if each still fits its cap;
    // otherwise raise LS429 naming the first counter without room (the whole statement rolls back).
    this
      .addSql(`create or replace function "lamplight_spend_admit"(p_org uuid, p_keys text[], p_starts timestamptz[], p_amounts bigint[], p_caps bigint[], p_seeds bigint[])
returns table ("out_key" text, "out_spent" bigint, "out_reserved" bigint) language plpgsql as $$
declare
  i integer;
  r record;
begin
  for i in 1 .. coalesce(array_length(p_keys, 1), 0) loop
    insert into "spend_counters" ("organization_id", "counter_key", "period_start", "spent", "reserved")
      values (p_org, p_keys[i], p_starts[i], p_seeds[i], 0)
      on conflict ("organization_id", "counter_key", "period_start") do update set "spent" = excluded."spent"
        where "spend_counters"."spent" < excluded."spent";
    update "spend_counters" c set "reserved" = c."reserved" + p_amounts[i], "updated_at" = now()
      where c."organization_id" = p_org and c."counter_key" = p_keys[i] and c."period_start" = p_starts[i]
        and c."spent" + c."reserved" + p_amounts[i] <= p_caps[i]
      returning c."counter_key", c."spent", c."reserved" into r;
    if not found then
      raise exception using errcode = 'LS429', message = p_keys[i];
    end if;
    "out_key" := r."counter_key";
    "out_spent" := r."spent";
    "out_reserved" := r."reserved";
    return next;
  end loop;
end $$;`);
    // Release each reservation and add what the call really cost, in the same order as admission.
    this
      .addSql(`create or replace function "lamplight_spend_settle"(p_org uuid, p_keys text[], p_starts timestamptz[], p_reserved bigint[], p_spent bigint[])
returns table ("out_key" text, "out_spent" bigint) language plpgsql as $$
declare
  i integer;
  r record;
begin
  for i in 1 .. coalesce(array_length(p_keys, 1), 0) loop
    update "spend_counters" c set "reserved" = greatest(c."reserved" - p_reserved[i], 0), "spent" = c."spent" + p_spent[i], "updated_at" = now()
      where c."organization_id" = p_org and c."counter_key" = p_keys[i] and c."period_start" = p_starts[i]
      returning c."counter_key", c."spent" into r;
    if found then
      "out_key" := r."counter_key";
      "out_spent" := r."spent";
      return next;
    end if;
  end loop;
end $$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop function if exists "lamplight_spend_settle"(uuid, text[], timestamptz[], bigint[], bigint[]);`);
    this.addSql(
      `drop function if exists "lamplight_spend_admit"(uuid, text[], timestamptz[], bigint[], bigint[], bigint[]);`,
    );
    this.addSql(`drop table if exists "spend_webhook_deliveries" cascade;`);
    this.addSql(`drop table if exists "spend_alerts" cascade;`);
    this.addSql(`drop table if exists "spend_limit_settings" cascade;`);
    this.addSql(`drop table if exists "spend_counters" cascade;`);
    this.addSql(`drop table if exists "spend_limits" cascade;`);
    this.addSql(`drop function if exists "lamplight_notify_spend_limits"();`);
  }
}
