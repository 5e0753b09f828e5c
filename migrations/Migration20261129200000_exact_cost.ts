import { Migration } from '@mikro-orm/migrations';

/** The summed columns of a rollup row before this migration, in table order. */
const SUMS_BEFORE = [
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

const SUMS_AFTER = [...SUMS_BEFORE, 'cost_tools_nano_usd', 'cost_multipliers_nano_usd', 'cost_cache_savings_nano_usd'];

const coveringIndex = (sums: string[]) =>
  `create index "usage_hourly_covering_index" on "usage_hourly" ("organization_id", "hour", "model") include (${sums.map((c) => `"${c}"`).join(', ')});`;

/** The usage_daily trigger functions of Migration20261125090000_usage_daily, over `sums`. */
function dailyFunctions(sums: string[]): string[] {
  const list = (f: (column: string) => string) => sums.map(f).join(', ');
  const upsert = (source: string) => `
  insert into usage_daily as d (organization_id, day, model, ${list((c) => c)})
  select organization_id, date_trunc('day', hour, 'UTC'), model, ${list((c) => `sum(${c})`)}
  from (${source}) delta
  group by 1, 2, 3 order by 1, 2, 3
  on conflict (organization_id, day, model) do update set ${list((c) => `${c} = d.${c} + excluded.${c}`)};`;
  const negated = list((c) => `-${c} AS ${c}`);
  return [
    `create or replace function "lamplight_usage_daily_insert"() returns trigger language plpgsql as $$
begin${upsert(`select organization_id, hour, model, ${list((c) => c)} from new_rows`)}
  return null;
end $$;`,
    `create or replace function "lamplight_usage_daily_update"() returns trigger language plpgsql as $$
begin${upsert(`select organization_id, hour, model, ${list((c) => c)} from new_rows union all select organization_id, hour, model, ${negated} from old_rows`)}
  return null;
end $$;`,
    `create or replace function "lamplight_usage_daily_delete"() returns trigger language plpgsql as $$
begin${upsert(`select organization_id, hour, model, ${negated} from old_rows`)}
  return null;
end $$;`,
  ];
}

/**
 * Exact cost for every dimension Anthropic bills (docs/cost.md). Each interaction keeps the usage
 * object as Anthropic sent it (`usage`), the named components of its cost (`cost_breakdown`:
 * tokens per bucket and part, multipliers, tool fees) and two sums that the rollups carry too:
 * tool fees (`cost_tools_nano_usd`, added to the buckets in the total) and what multipliers added
 * (`cost_multipliers_nano_usd`, negative for a discount; already within the bucket costs), and
 * what cache reads saved against uncached input (`cost_cache_savings_nano_usd`, not a cost). Rows
 * written before have neither: 0 in the rollups, null on the interaction. The usage_daily trigger
 * functions learn the two new sums.
 */
export class Migration20261129200000_exact_cost extends Migration {
  override name = 'Migration20261129200000_exact_cost';

  override up(): void {
    this.addSql(
      `alter table "interactions" add column "usage" jsonb null, add column "cost_breakdown" jsonb null, add column "cost_tools_nano_usd" bigint null, add column "cost_multipliers_nano_usd" bigint null, add column "cost_cache_savings_nano_usd" bigint null;`,
    );
    for (const table of ['usage_hourly', 'usage_daily']) {
      this.addSql(
        `alter table "${table}" add column "cost_tools_nano_usd" bigint not null default 0, add column "cost_multipliers_nano_usd" bigint not null default 0, add column "cost_cache_savings_nano_usd" bigint not null default 0;`,
      );
    }
    for (const sql of dailyFunctions(SUMS_AFTER)) this.addSql(sql);
    // Analytics read the hourly sums from this index alone: it carries the new sums too.
    this.addSql(`drop index "usage_hourly_covering_index";`);
    this.addSql(coveringIndex(SUMS_AFTER));
  }

  override down(): void {
    for (const sql of dailyFunctions(SUMS_BEFORE)) this.addSql(sql);
    this.addSql(`drop index "usage_hourly_covering_index";`);
    this.addSql(coveringIndex(SUMS_BEFORE));
    for (const table of ['usage_daily', 'usage_hourly']) {
      this.addSql(
        `alter table "${table}" drop column "cost_cache_savings_nano_usd", drop column "cost_multipliers_nano_usd", drop column "cost_tools_nano_usd";`,
      );
    }
    this.addSql(
      `alter table "interactions" drop column "cost_cache_savings_nano_usd", drop column "cost_multipliers_nano_usd", drop column "cost_tools_nano_usd", drop column "cost_breakdown", drop column "usage";`,
    );
  }
}
