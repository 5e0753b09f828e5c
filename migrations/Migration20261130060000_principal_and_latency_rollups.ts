import { Migration } from '@mikro-orm/migrations';

/**
 * Two more hourly rollups, written by the recorder's batch statement beside usage_hourly (see
 * src/modules/analytics/usage-rollups.sql.ts), so the console's overview reads usage by API key
 * and by member, and latency and time-to-first-token percentiles, without scanning interactions:
 *
 * - `usage_hourly_principals`: per organization, UTC hour, API key and member, the calls, errors,
 *   unpriced calls, tokens and cost. A call without a key or a member counts under the nil UUID
 *   (a key is part of the primary key, so it cannot be null).
 * - `latency_hourly`: per organization, UTC hour, metric (`latency` or `ttft`) and bucket, how
 *   many calls fell in the bucket; bucket b holds [1.1^b, 1.1^(b+1)) milliseconds, so a
 *   percentile read from it is within 5% of the exact one.
 *
 * Backfilled from interactions under a lock that holds the recorder off until the migration
 * commits. No foreign key, as for usage_hourly; organization-led keys (distributable).
 */
export class Migration20261130060000_principal_and_latency_rollups extends Migration {
  override name = 'Migration20261130060000_principal_and_latency_rollups';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "usage_hourly_principals" ("organization_id" uuid not null, "hour" timestamptz not null, "api_key_id" uuid not null, "user_id" uuid not null, "requests" bigint not null, "error_requests" bigint not null, "unpriced_requests" bigint not null, "input_tokens" bigint not null, "output_tokens" bigint not null, "cache_read_tokens" bigint not null, "cache_write5m_tokens" bigint not null, "cache_write1h_tokens" bigint not null, "cost_total_nano_usd" bigint not null, primary key ("organization_id", "hour", "api_key_id", "user_id")) with (fillfactor = 70);`,
    );
    this.addSql(
      `create table "latency_hourly" ("organization_id" uuid not null, "hour" timestamptz not null, "metric" varchar(8) not null, "bucket" smallint not null, "requests" bigint not null, primary key ("organization_id", "hour", "metric", "bucket"), constraint "latency_hourly_metric_check" check ("metric" in ('latency', 'ttft'))) with (fillfactor = 70);`,
    );
    this.addSql(`lock table "interactions" in share row exclusive mode;`);
    this.addSql(`insert into "usage_hourly_principals" select organization_id, date_trunc('hour', started_at, 'UTC'),
  coalesce(api_key_id, '00000000-0000-0000-0000-000000000000'), coalesce(user_id, '00000000-0000-0000-0000-000000000000'),
  count(*), count(*) filter (where outcome <> 'ok'), count(*) filter (where cost_total_nano_usd is null),
  sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write5m_tokens), sum(cache_write1h_tokens),
  coalesce(sum(cost_total_nano_usd), 0)
from interactions group by 1, 2, 3, 4;`);
    this.addSql(`insert into "latency_hourly" select organization_id, hour, metric, bucket, count(*) from (
  select organization_id, date_trunc('hour', started_at, 'UTC') as hour, 'latency' as metric,
    floor(ln(greatest(latency_ms, 1)) / ln(1.1))::smallint as bucket from interactions
  union all
  select organization_id, date_trunc('hour', started_at, 'UTC'), 'ttft',
    floor(ln(greatest(time_to_first_token_ms, 1)) / ln(1.1))::smallint from interactions
  where time_to_first_token_ms is not null
) calls group by 1, 2, 3, 4;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "latency_hourly";`);
    this.addSql(`drop table if exists "usage_hourly_principals";`);
  }
}
