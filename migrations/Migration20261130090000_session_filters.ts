import { Migration } from '@mikro-orm/migrations';

/**
 * What the sessions list filters by, kept on the session so no filter reads interactions:
 * `error_requests` (calls whose outcome was error or upstream_error) and `models` (the distinct
 * models the session called, sorted), both maintained by the recorder's session totals and
 * backfilled here from the interactions already stored. Indexes lead with organization_id: by
 * member, by agent (the device type the proxy recorded), sessions with errors, deleted sessions (the
 * admins' list), models (GIN over btree_gin, so the organization leads), and the cost and token
 * sorts of live sessions.
 */
export class Migration20261130090000_session_filters extends Migration {
  override name = 'Migration20261130090000_session_filters';

  override up(): void {
    this.addSql(
      `alter table "sessions" add column "error_requests" bigint not null default 0, add column "models" text[] not null default '{}';`,
    );
    this.addSql(`update "sessions" s set "error_requests" = a.errors, "models" = a.models
      from (
        select organization_id, session_id,
          count(*) filter (where outcome in ('error', 'upstream_error')) as errors,
          (array_agg(distinct model::text order by model::text))[1:64] as models
        from "interactions" group by organization_id, session_id
      ) a
      where s.organization_id = a.organization_id and s.id = a.session_id;`);
    this.addSql(`create extension if not exists btree_gin;`);
    this.addSql(
      `create index "sessions_organization_user_created_index" on "sessions" ("organization_id", "user_id", "created_at", "id");`,
    );
    this.addSql(
      `create index "sessions_organization_agent_created_index" on "sessions" ("organization_id", ("device"->>'type'), "created_at", "id");`,
    );
    this.addSql(
      `create index "sessions_organization_errors_created_index" on "sessions" ("organization_id", "created_at", "id") where "error_requests" > 0;`,
    );
    this.addSql(
      `create index "sessions_organization_models_index" on "sessions" using gin ("organization_id", "models");`,
    );
    this.addSql(
      `create index "sessions_organization_deleted_created_index" on "sessions" ("organization_id", "created_at", "id") where "deleted_at" is not null;`,
    );
    this.addSql(
      `create index "sessions_organization_cost_index" on "sessions" ("organization_id", "cost_nano_usd", "id") where "deleted_at" is null;`,
    );
    this.addSql(
      `create index "sessions_organization_tokens_index" on "sessions" ("organization_id", ("input_tokens" + "output_tokens" + "cache_read_tokens" + "cache_write5m_tokens" + "cache_write1h_tokens"), "id") where "deleted_at" is null;`,
    );
  }

  override down(): void {
    this.addSql(`drop index "sessions_organization_tokens_index";`);
    this.addSql(`drop index "sessions_organization_cost_index";`);
    this.addSql(`drop index "sessions_organization_deleted_created_index";`);
    this.addSql(`drop index "sessions_organization_models_index";`);
    this.addSql(`drop index "sessions_organization_errors_created_index";`);
    this.addSql(`drop index "sessions_organization_agent_created_index";`);
    this.addSql(`drop index "sessions_organization_user_created_index";`);
    this.addSql(`alter table "sessions" drop column "models", drop column "error_requests";`);
  }
}
