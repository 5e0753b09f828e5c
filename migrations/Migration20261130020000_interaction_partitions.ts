import { Migration } from '@mikro-orm/migrations';

/**
 * `interactions` range-partitioned by month of `started_at` (UTC), so time-bounded reads scan only
 * their months and retention drops whole months (docs/scale-out.md).
 *
 * - The primary key becomes `(organization_id, id, started_at)`: a partitioned table's unique keys
 *   must contain the partition key, and a distributed one's the organization. The recorder's
 *   idempotent insert names this key; a replayed record carries the same start time, so it still
 *   meets its first copy.
 * - Partitions are `interactions_pYYYY_MM`; `lamplight_ensure_interactions_partition(t)` makes the
 *   month holding t (the app calls it at start and daily for the coming months, and so does
 *   `npm run maintenance`). Concurrent callers serialise on an advisory lock.
 * - `interactions_default` takes any row outside every month made so far, so no write ever fails
 *   for want of a partition; making that month later moves such rows into it.
 *
 * The rows are copied into the new table under an exclusive lock, which holds the recorder's
 * writes (they wait, then go on): 120,000 interactions without content took about 20 s here, on 2
 * busy cores. Down copies them back.
 */
export class Migration20261130020000_interaction_partitions extends Migration {
  override name = 'Migration20261130020000_interaction_partitions';

  override up(): void | Promise<void> {
    this.addSql(`lock table "interactions" in access exclusive mode;`);
    this.addSql(`alter table "interactions" rename to "interactions_unpartitioned";`);
    this.addSql(
      `alter table "interactions_unpartitioned" rename constraint "interactions_pkey" to "interactions_unpartitioned_pkey";`,
    );
    this.addSql(
      `alter table "interactions_unpartitioned" rename constraint "interactions_organization_id_foreign" to "interactions_unpartitioned_organization_id_foreign";`,
    );
    this.addSql(
      `alter table "interactions_unpartitioned" rename constraint "interactions_session_id_foreign" to "interactions_unpartitioned_session_id_foreign";`,
    );
    this.addSql(
      `alter index "interactions_session_started_index" rename to "interactions_unpartitioned_session_started_index";`,
    );

    this.addSql(
      `create table "interactions" (like "interactions_unpartitioned" including defaults including constraints including storage including comments) partition by range ("started_at");`,
    );
    this.addSql(
      `alter table "interactions" add constraint "interactions_pkey" primary key ("organization_id", "id", "started_at");`,
    );
    this.addSql(
      `create index "interactions_session_started_index" on "interactions" ("organization_id", "session_id", "started_at", "id");`,
    );
    this.addSql(
      `alter table "interactions" add constraint "interactions_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "interactions" add constraint "interactions_session_id_foreign" foreign key ("organization_id", "session_id") references "sessions" ("organization_id", "id") on delete cascade;`,
    );
    this.addSql(`create table "interactions_default" partition of "interactions" default;`);

    this
      .addSql(`create function "lamplight_ensure_interactions_partition"(at timestamptz) returns text language plpgsql as $$
declare
  first timestamptz := date_trunc('month', at, 'UTC');
  after timestamptz := date_trunc('month', at, 'UTC') + interval '1 month';
  part text := 'interactions_p' || to_char(date_trunc('month', at, 'UTC') at time zone 'UTC', 'YYYY_MM');
begin
  perform pg_advisory_xact_lock(hashtext('lamplight_interactions_partitions'));
  if to_regclass(quote_ident(part)) is not null then
    return null;
  end if;
  execute format('create table %I (like interactions including defaults including constraints including storage)', part);
  -- Rows of that month that went to the default partition move into it, so attaching finds none left.
  execute format('with moved as (delete from interactions_default where started_at >= $1 and started_at < $2 returning *) insert into %I select * from moved', part) using first, after;
  -- A matching check lets the attach skip its scan of the new partition.
  execute format('alter table %I add constraint %I check (started_at >= %L and started_at < %L)', part, part || '_range', first, after);
  execute format('alter table interactions attach partition %I for values from (%L) to (%L)', part, first, after);
  execute format('alter table %I drop constraint %I', part, part || '_range');
  return part;
end $$;`);
    // Every month holding data, and the current one and the next three.
    this.addSql(`select lamplight_ensure_interactions_partition(m) from generate_series(
  date_trunc('month', least((select min(started_at) from interactions_unpartitioned), now()), 'UTC'),
  date_trunc('month', now(), 'UTC') + interval '3 months', interval '1 month') m;`);
    this.addSql(`insert into "interactions" select * from "interactions_unpartitioned";`);
    this.addSql(`drop table "interactions_unpartitioned";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`lock table "interactions" in access exclusive mode;`);
    this.addSql(`drop function "lamplight_ensure_interactions_partition"(timestamptz);`);
    this.addSql(`alter table "interactions" rename to "interactions_partitioned";`);
    this.addSql(
      `alter table "interactions_partitioned" rename constraint "interactions_pkey" to "interactions_partitioned_pkey";`,
    );
    this.addSql(
      `alter table "interactions_partitioned" rename constraint "interactions_organization_id_foreign" to "interactions_partitioned_organization_id_foreign";`,
    );
    this.addSql(
      `alter table "interactions_partitioned" rename constraint "interactions_session_id_foreign" to "interactions_partitioned_session_id_foreign";`,
    );
    this.addSql(
      `alter index "interactions_session_started_index" rename to "interactions_partitioned_session_started_index";`,
    );
    this.addSql(
      `create table "interactions" (like "interactions_partitioned" including defaults including constraints including storage including comments);`,
    );
    this.addSql(`alter table "interactions" add constraint "interactions_pkey" primary key ("organization_id", "id");`);
    this.addSql(
      `create index "interactions_session_started_index" on "interactions" ("organization_id", "session_id", "started_at", "id");`,
    );
    this.addSql(
      `alter table "interactions" add constraint "interactions_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "interactions" add constraint "interactions_session_id_foreign" foreign key ("organization_id", "session_id") references "sessions" ("organization_id", "id") on delete cascade;`,
    );
    this.addSql(`insert into "interactions" select * from "interactions_partitioned";`);
    this.addSql(`drop table "interactions_partitioned";`);
  }
}
