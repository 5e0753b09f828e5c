import { Migration } from '@mikro-orm/migrations';

/** The summed columns of a rollup row, in table order. */
const SUMS = [
  'requests',
  'error_requests',
  'unpriced_requests',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write5m_tokens',
  'cache_write1h_tokens',
  'cost_input_nano_usd',
  'cost_output_nano_usd',
  'cost_cache_read_nano_usd',
  'cost_cache_write5m_nano_usd',
  'cost_cache_write1h_nano_usd',
  'cost_total_nano_usd',
];

const list = (f: (column: string) => string) => SUMS.map(f).join(', ');

/**
 * Daily rollups (DESIGN section 5, P7): `usage_daily` holds, per organization, UTC day and model,
 * the sums of that day's hourly rollups. A total over a long range (90 days of tokens by model, a
 * month in the usage summary) reads whole days here and only the partial days at its ends from
 * `usage_hourly`: about 24 times fewer rows, so its cost follows the range, not how often each
 * hourly row was updated (every recorder batch updates the current hour's rows, and under load
 * their index grows with the updates; 90 days read 966 index pages at 1M calls, 4,495 at 10M).
 *
 * Kept by per-statement triggers on usage_hourly, whatever writes it (the recorder, an older
 * instance during a rolling deploy, SQL by hand): each statement adds the difference between its
 * new and old rows, summed per day, in key order, so concurrent writers lock days in one order.
 * TRUNCATE empties it too. Backfilled from usage_hourly under a lock that holds writers off until
 * the migration commits. No foreign key, as for usage_hourly.
 */
export class Migration20261125090000_usage_daily extends Migration {
  override name = 'Migration20261125090000_usage_daily';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "usage_daily" ("organization_id" uuid not null, "day" timestamptz not null, "model" varchar(255) not null, ${list((c) => `"${c}" bigint not null`)}, primary key ("organization_id", "day", "model")) with (fillfactor = 70);`,
    );

    this.addSql(`lock table "usage_hourly" in share row exclusive mode;`);

    // One function for insert, update and delete: the trigger passes which transition tables it has.
    const upsert = (source: string) => `
  insert into usage_daily as d (organization_id, day, model, ${list((c) => c)})
  select organization_id, date_trunc('day', hour, 'UTC'), model, ${list((c) => `sum(${c})`)}
  from (${source}) delta
  group by 1, 2, 3 order by 1, 2, 3
  on conflict (organization_id, day, model) do update set ${list((c) => `${c} = d.${c} + excluded.${c}`)};`;
    const negated = list((c) => `-${c} AS ${c}`);
    this.addSql(`create or replace function "lamplight_usage_daily_insert"() returns trigger language plpgsql as $$
begin${upsert(`select organization_id, hour, model, ${list((c) => c)} from new_rows`)}
  return null;
end $$;`);
    this.addSql(`create or replace function "lamplight_usage_daily_update"() returns trigger language plpgsql as $$
begin${upsert(`select organization_id, hour, model, ${list((c) => c)} from new_rows union all select organization_id, hour, model, ${negated} from old_rows`)}
  return null;
end $$;`);
    this.addSql(`create or replace function "lamplight_usage_daily_delete"() returns trigger language plpgsql as $$
begin${upsert(`select organization_id, hour, model, ${negated} from old_rows`)}
  return null;
end $$;`);
    this.addSql(`create or replace function "lamplight_usage_daily_truncate"() returns trigger language plpgsql as $$
begin
  delete from usage_daily;
  return null;
end $$;`);
    this.addSql(
      `create trigger "usage_daily_insert" after insert on "usage_hourly" referencing new table as new_rows for each statement execute function "lamplight_usage_daily_insert"();`,
    );
    this.addSql(
      `create trigger "usage_daily_update" after update on "usage_hourly" referencing old table as old_rows new table as new_rows for each statement execute function "lamplight_usage_daily_update"();`,
    );
    this.addSql(
      `create trigger "usage_daily_delete" after delete on "usage_hourly" referencing old table as old_rows for each statement execute function "lamplight_usage_daily_delete"();`,
    );
    this.addSql(
      `create trigger "usage_daily_truncate" after truncate on "usage_hourly" for each statement execute function "lamplight_usage_daily_truncate"();`,
    );

    this.addSql(`insert into "usage_daily" ("organization_id", "day", "model", ${list((c) => `"${c}"`)})
select "organization_id", date_trunc('day', "hour", 'UTC'), "model", ${list((c) => `sum("${c}")`)}
from "usage_hourly" group by 1, 2, 3;`);
  }

  override down(): void | Promise<void> {
    for (const event of ['truncate', 'delete', 'update', 'insert']) {
      this.addSql(`drop trigger if exists "usage_daily_${event}" on "usage_hourly";`);
      this.addSql(`drop function if exists "lamplight_usage_daily_${event}"();`);
    }
    this.addSql(`drop table if exists "usage_daily";`);
  }
}
