import { Migration } from '@mikro-orm/migrations';

/**
 * Live-session counts per organization (DESIGN section 5, P7): the analytics sessions page's
 * `total_count` was an exact count(*) over the organization's sessions on every page, which grew
 * with the organization (~6 ms at 20k sessions, ~50 ms at 200k, ~150 ms at 1M). Now it is one
 * primary-key read of `organization_session_counts`.
 *
 * The count is "sessions of the organization with `deleted_at IS NULL`" (released ones included),
 * kept exact by triggers on `sessions`, so every writer keeps it (the API, the proxy's plain-SQL
 * session creation, scripts, SQL by hand), in the writer's own transaction. INSERT, UPDATE (soft
 * delete, restore) and DELETE (incl. cascades from organizations and users) fire per statement
 * and read the statement's transition tables: one count update per organization whose live
 * sessions changed, so a bulk statement is one update, not one per row. (Per-row triggers were
 * quadratic on bulk changes: each row update of the same count row within one transaction
 * lengthened its version chain; 75k soft deletes in one statement took 35 s.) An update that
 * changes no `deleted_at` (the recorder's running totals) nets zero and writes nothing.
 * TRUNCATE empties the counts too.
 * An organization without a row has no live sessions. No foreign key (as for usage_hourly): a
 * hard-deleted organization's row is left at zero by the cascade that deletes its sessions.
 *
 * Backfilled from the existing sessions under a lock that holds writers off from the moment the
 * triggers exist until the migration commits, so no change is counted twice or missed.
 */
export class Migration20261124090000_session_counts extends Migration {
  override name = 'Migration20261124090000_session_counts';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "organization_session_counts" ("organization_id" uuid not null, "live_sessions" bigint not null default '0', primary key ("organization_id"));`,
    );

    this.addSql(`lock table "sessions" in share row exclusive mode;`);

    // Each adds, per organization the statement touched, its live rows after minus its live rows
    // before; organizations in key order, so concurrent statements lock their counts in one order.
    this.addSql(`create or replace function "lamplight_session_counts_insert"() returns trigger language plpgsql as $$
begin
  insert into organization_session_counts as c (organization_id, live_sessions)
  select n.organization_id, count(*) from new_rows n where n.deleted_at is null group by n.organization_id order by n.organization_id
  on conflict (organization_id) do update set live_sessions = c.live_sessions + excluded.live_sessions;
  return null;
end $$;`);
    this.addSql(
      `create trigger "sessions_count_insert" after insert on "sessions" referencing new table as new_rows for each statement execute function "lamplight_session_counts_insert"();`,
    );

    this.addSql(`create or replace function "lamplight_session_counts_update"() returns trigger language plpgsql as $$
begin
  insert into organization_session_counts as c (organization_id, live_sessions)
  select d.organization_id, sum(d.delta) from (
    select n.organization_id, 1 as delta from new_rows n where n.deleted_at is null
    union all
    select o.organization_id, -1 from old_rows o where o.deleted_at is null
  ) d
  group by d.organization_id having sum(d.delta) <> 0 order by d.organization_id
  on conflict (organization_id) do update set live_sessions = c.live_sessions + excluded.live_sessions;
  return null;
end $$;`);
    this.addSql(
      `create trigger "sessions_count_update" after update on "sessions" referencing old table as old_rows new table as new_rows for each statement execute function "lamplight_session_counts_update"();`,
    );

    this.addSql(`create or replace function "lamplight_session_counts_delete"() returns trigger language plpgsql as $$
begin
  update organization_session_counts c set live_sessions = c.live_sessions - d.n
  from (select o.organization_id, count(*) as n from old_rows o where o.deleted_at is null group by o.organization_id) d
  where c.organization_id = d.organization_id;
  return null;
end $$;`);
    this.addSql(
      `create trigger "sessions_count_delete" after delete on "sessions" referencing old table as old_rows for each statement execute function "lamplight_session_counts_delete"();`,
    );

    this.addSql(`create or replace function "lamplight_session_counts_truncate"() returns trigger language plpgsql as $$
begin
  delete from organization_session_counts;
  return null;
end $$;`);
    this.addSql(
      `create trigger "sessions_count_truncate" after truncate on "sessions" for each statement execute function "lamplight_session_counts_truncate"();`,
    );

    this.addSql(
      `insert into "organization_session_counts" ("organization_id", "live_sessions") select "organization_id", count(*) from "sessions" where "deleted_at" is null group by "organization_id";`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "sessions_count_truncate" on "sessions";`);
    this.addSql(`drop trigger if exists "sessions_count_update" on "sessions";`);
    this.addSql(`drop trigger if exists "sessions_count_delete" on "sessions";`);
    this.addSql(`drop trigger if exists "sessions_count_insert" on "sessions";`);
    this.addSql(`drop function if exists "lamplight_session_counts_truncate"();`);
    this.addSql(`drop function if exists "lamplight_session_counts_update"();`);
    this.addSql(`drop function if exists "lamplight_session_counts_delete"();`);
    this.addSql(`drop function if exists "lamplight_session_counts_insert"();`);
    this.addSql(`drop table if exists "organization_session_counts";`);
  }
}
