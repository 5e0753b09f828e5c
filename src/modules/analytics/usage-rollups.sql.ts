/**
 * The hourly rollups, as a part of the recorder's statement (see sessionTotalsFrom): `source`
 * names a CTE of the calls just inserted, all of the organization `organization` (an SQL
 * expression, a parameter); usage_daily follows by trigger (migration usage_daily). Rows are
 * upserted in key order, so concurrent batches never deadlock.
 */
export const hourlyRollupsFrom = (source: string, organization: string): string => `
per_hour AS (
  INSERT INTO usage_hourly (organization_id, hour, model, requests, error_requests, unpriced_requests, input_tokens,
    output_tokens, cache_read_tokens, cache_write5m_tokens, cache_write1h_tokens, cost_input_nano_usd,
    cost_output_nano_usd, cost_cache_read_nano_usd, cost_cache_write5m_nano_usd, cost_cache_write1h_nano_usd,
    cost_total_nano_usd, cost_tools_nano_usd, cost_multipliers_nano_usd, cost_cache_savings_nano_usd)
  SELECT ${organization}, date_trunc('hour', started_at, 'UTC'), model, count(*),
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
 * Cost per UTC day and model from the daily rollups, over [$1, $2), across organizations or those
 * `organizations` names (reconciliation with Anthropic's Cost Report, an operator's command).
 */
export const dailyCostsByModelSql = (organizations: string): string => `
  SELECT to_char(day AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, model, sum(cost_total_nano_usd)::text AS total,
    sum(cost_tools_nano_usd)::text AS tools, sum(unpriced_requests)::text AS unpriced
  FROM usage_daily WHERE day >= $1::timestamptz AND day < $2::timestamptz ${organizations}
  GROUP BY 1, 2`;
