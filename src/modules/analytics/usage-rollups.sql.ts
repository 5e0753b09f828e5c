/**
 * The hourly rollups, as a part of the recorder's statement (see sessionTotalsFrom): `source`
 * names a CTE of the calls just inserted, all of the organization `organization` (an SQL
 * expression, a parameter), or each of its own when that is null; usage_daily follows by trigger
 * (migration usage_daily). Rows are upserted in key order, so concurrent batches never deadlock.
 */
export const hourlyRollupsFrom = (source: string, organization: string | null): string => `
per_hour AS (
  INSERT INTO usage_hourly (organization_id, hour, model, requests, error_requests, unpriced_requests, input_tokens,
    output_tokens, cache_read_tokens, cache_write5m_tokens, cache_write1h_tokens, cost_input_nano_usd,
    cost_output_nano_usd, cost_cache_read_nano_usd, cost_cache_write5m_nano_usd, cost_cache_write1h_nano_usd,
    cost_total_nano_usd, cost_tools_nano_usd, cost_multipliers_nano_usd, cost_cache_savings_nano_usd)
  SELECT ${organization ?? 'organization_id'}, date_trunc('hour', started_at, 'UTC'), model, count(*),
    count(*) FILTER (WHERE outcome <> 'ok'), count(*) FILTER (WHERE cost_total_nano_usd IS NULL), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
    sum(cache_write5m_tokens), sum(cache_write1h_tokens),
    coalesce(sum(cost_input_nano_usd), 0), coalesce(sum(cost_output_nano_usd), 0),
    coalesce(sum(cost_cache_read_nano_usd), 0), coalesce(sum(cost_cache_write5m_nano_usd), 0),
    coalesce(sum(cost_cache_write1h_nano_usd), 0), coalesce(sum(cost_total_nano_usd), 0),
    coalesce(sum(cost_tools_nano_usd), 0), coalesce(sum(cost_multipliers_nano_usd), 0),
    coalesce(sum(cost_cache_savings_nano_usd), 0)
  FROM ${source} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (organization_id, hour, model) DO UPDATE SET
    requests = usage_hourly.requests + excluded.requests,
    error_requests = usage_hourly.error_requests + excluded.error_requests,
    unpriced_requests = usage_hourly.unpriced_requests + excluded.unpriced_requests,
    input_tokens = usage_hourly.input_tokens + excluded.input_tokens,
    output_tokens = usage_hourly.output_tokens + excluded.output_tokens,
    cache_read_tokens = usage_hourly.cache_read_tokens + excluded.cache_read_tokens,
    cache_write5m_tokens = usage_hourly.cache_write5m_tokens + excluded.cache_write5m_tokens,
    cache_write1h_tokens = usage_hourly.cache_write1h_tokens + excluded.cache_write1h_tokens,
    cost_input_nano_usd = usage_hourly.cost_input_nano_usd + excluded.cost_input_nano_usd,
    cost_output_nano_usd = usage_hourly.cost_output_nano_usd + excluded.cost_output_nano_usd,
    cost_cache_read_nano_usd = usage_hourly.cost_cache_read_nano_usd + excluded.cost_cache_read_nano_usd,
    cost_cache_write5m_nano_usd = usage_hourly.cost_cache_write5m_nano_usd + excluded.cost_cache_write5m_nano_usd,
    cost_cache_write1h_nano_usd = usage_hourly.cost_cache_write1h_nano_usd + excluded.cost_cache_write1h_nano_usd,
    cost_total_nano_usd = usage_hourly.cost_total_nano_usd + excluded.cost_total_nano_usd,
    cost_tools_nano_usd = usage_hourly.cost_tools_nano_usd + excluded.cost_tools_nano_usd,
    cost_multipliers_nano_usd = usage_hourly.cost_multipliers_nano_usd + excluded.cost_multipliers_nano_usd,
    cost_cache_savings_nano_usd = usage_hourly.cost_cache_savings_nano_usd + excluded.cost_cache_savings_nano_usd
  RETURNING 1
)`;

/** The nil UUID: the key part of a call made without an API key, or without a member. */
export const NO_PRINCIPAL = '00000000-0000-0000-0000-000000000000';

/** Latency buckets grow by this factor: bucket b holds [LATENCY_BUCKET_BASE^b, LATENCY_BUCKET_BASE^(b+1)) ms. */
export const LATENCY_BUCKET_BASE = 1.1;

const latencyBucket = (column: string) => `floor(ln(greatest(${column}, 1)) / ln(${LATENCY_BUCKET_BASE}))::smallint`;

/**
 * The hourly rollups by API key and member, and the latency and time-to-first-token histograms
 * (migration principal_and_latency_rollups), as further parts of the recorder's batch statement:
 * `source` must return api_key_id, user_id, latency_ms and time_to_first_token_ms besides the
 * columns hourlyRollupsFrom reads; `organization` as there. Upserted in key order, as usage_hourly is.
 */
export const principalAndLatencyRollupsFrom = (source: string, organization: string | null): string => `
per_principal AS (
  INSERT INTO usage_hourly_principals (organization_id, hour, api_key_id, user_id, requests, error_requests,
    unpriced_requests, input_tokens, output_tokens, cache_read_tokens, cache_write5m_tokens, cache_write1h_tokens,
    cost_total_nano_usd)
  SELECT ${organization ?? 'organization_id'}, date_trunc('hour', started_at, 'UTC'), coalesce(api_key_id, '${NO_PRINCIPAL}'),
    coalesce(user_id, '${NO_PRINCIPAL}'), count(*), count(*) FILTER (WHERE outcome <> 'ok'),
    count(*) FILTER (WHERE cost_total_nano_usd IS NULL), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
    sum(cache_write5m_tokens), sum(cache_write1h_tokens), coalesce(sum(cost_total_nano_usd), 0)
  FROM ${source} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (organization_id, hour, api_key_id, user_id) DO UPDATE SET
    requests = usage_hourly_principals.requests + excluded.requests,
    error_requests = usage_hourly_principals.error_requests + excluded.error_requests,
    unpriced_requests = usage_hourly_principals.unpriced_requests + excluded.unpriced_requests,
    input_tokens = usage_hourly_principals.input_tokens + excluded.input_tokens,
    output_tokens = usage_hourly_principals.output_tokens + excluded.output_tokens,
    cache_read_tokens = usage_hourly_principals.cache_read_tokens + excluded.cache_read_tokens,
    cache_write5m_tokens = usage_hourly_principals.cache_write5m_tokens + excluded.cache_write5m_tokens,
    cache_write1h_tokens = usage_hourly_principals.cache_write1h_tokens + excluded.cache_write1h_tokens,
    cost_total_nano_usd = usage_hourly_principals.cost_total_nano_usd + excluded.cost_total_nano_usd
  RETURNING 1
),
per_latency AS (
  INSERT INTO latency_hourly (organization_id, hour, metric, bucket, requests)
  SELECT organization_id, hour, metric, bucket, count(*) FROM (
    SELECT ${organization ?? 'organization_id'} AS organization_id, date_trunc('hour', started_at, 'UTC') AS hour, 'latency' AS metric,
      ${latencyBucket('latency_ms')} AS bucket FROM ${source}
    UNION ALL
    SELECT ${organization ?? 'organization_id'}, date_trunc('hour', started_at, 'UTC'), 'ttft', ${latencyBucket('time_to_first_token_ms')}
    FROM ${source} WHERE time_to_first_token_ms IS NOT NULL
  ) calls GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (organization_id, hour, metric, bucket) DO UPDATE SET
    requests = latency_hourly.requests + excluded.requests
  RETURNING 1
)`;

/**
 * Moves hourly rollups' cost columns by the given differences (repricing): `$1` is a JSON array of
 * `{organization_id, hour, model, unpriced, <cost columns>}`. Rows are locked in key order, as the
 * recorder's writer takes them; usage_daily follows by trigger.
 */
export const hourlyCostDeltasSql = (costColumns: readonly string[]): string => `
  WITH d AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(organization_id uuid, hour timestamptz, model text,
    unpriced bigint, ${costColumns.map((c) => `${c} bigint`).join(', ')})),
  locked AS (SELECT u.organization_id, u.hour, u.model FROM usage_hourly u
    WHERE (u.organization_id, u.hour, u.model) IN (SELECT organization_id, hour, model FROM d)
    ORDER BY 1, 2, 3 FOR UPDATE)
  UPDATE usage_hourly u SET unpriced_requests = u.unpriced_requests + d.unpriced,
    ${costColumns.map((c) => `${c} = u.${c} + d.${c}`).join(', ')}
  FROM d JOIN locked l ON (l.organization_id, l.hour, l.model) = (d.organization_id, d.hour, d.model)
  WHERE (u.organization_id, u.hour, u.model) = (d.organization_id, d.hour, d.model)`;

/**
 * Moves the rollups by API key and member by repricing's differences: `$1` is a JSON array of
 * `{organization_id, hour, api_key_id, user_id, unpriced, cost}` (the nil UUID for no key or
 * member), cost in nano-USD. Rows are locked in key order, as the recorder's writer takes them.
 */
export const PRINCIPAL_COST_DELTAS_SQL = `
  WITH d AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(organization_id uuid, hour timestamptz, api_key_id uuid,
    user_id uuid, unpriced bigint, cost bigint)),
  locked AS (SELECT u.organization_id, u.hour, u.api_key_id, u.user_id FROM usage_hourly_principals u
    WHERE (u.organization_id, u.hour, u.api_key_id, u.user_id) IN (SELECT organization_id, hour, api_key_id, user_id FROM d)
    ORDER BY 1, 2, 3, 4 FOR UPDATE)
  UPDATE usage_hourly_principals u SET unpriced_requests = u.unpriced_requests + d.unpriced,
    cost_total_nano_usd = u.cost_total_nano_usd + d.cost
  FROM d JOIN locked l ON (l.organization_id, l.hour, l.api_key_id, l.user_id) = (d.organization_id, d.hour, d.api_key_id, d.user_id)
  WHERE (u.organization_id, u.hour, u.api_key_id, u.user_id) = (d.organization_id, d.hour, d.api_key_id, d.user_id)`;

/**
 * Cost per UTC day and model from the daily rollups, over [$1, $2), across organizations or those
 * `organizations` names (reconciliation with Anthropic's Cost Report, an operator's command).
 */
export const dailyCostsByModelSql = (organizations: string): string => `
  SELECT to_char(day AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, model, sum(cost_total_nano_usd)::text AS total,
    sum(cost_tools_nano_usd)::text AS tools, sum(unpriced_requests)::text AS unpriced
  FROM usage_daily WHERE day >= $1::timestamptz AND day < $2::timestamptz ${organizations}
  GROUP BY 1, 2`;
