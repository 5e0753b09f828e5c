/**
 * Repricing's statements on interactions (the pricing module runs them, in its own transactions,
 * across organizations for the operator's command or for one named in `where`).
 */

/** The cost columns of `interactions`, in the rollups' order (the recorder writes them, repricing rewrites them). */
export const INTERACTION_COST_COLUMNS = [
  'cost_input_nano_usd',
  'cost_output_nano_usd',
  'cost_cache_read_nano_usd',
  'cost_cache_write5m_nano_usd',
  'cost_cache_write1h_nano_usd',
  'cost_total_nano_usd',
  'cost_tools_nano_usd',
  'cost_multipliers_nano_usd',
  'cost_cache_savings_nano_usd',
] as const;

/** A keyset page of the interactions `where` selects, oldest first, locked for the update that follows. */
export const interactionCostsBatchSql = (costColumns: readonly string[], where: string, limit: number): string => `
  SELECT i.id, i.organization_id, i.session_id, i.api_key_id, i.user_id, i.model, i.started_at,
    to_char(i.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS key,
    date_trunc('hour', i.started_at, 'UTC') AS hour, i.usage, i.input_tokens, i.output_tokens,
    i.cache_read_tokens, i.cache_write5m_tokens, i.cache_write1h_tokens, ${costColumns.map((c) => `i.${c}::text`).join(', ')},
    i.cost_breakdown, i.pricing_version
  FROM interactions i WHERE ${where}
  ORDER BY i.started_at, i.id LIMIT ${limit} FOR UPDATE`;

/** Sets interactions' cost columns, breakdown and pricing version: `$1` is a JSON array of rows keyed by id, organization and start. */
export const interactionCostsUpdateSql = (costColumns: readonly string[]): string => `
  UPDATE interactions i SET ${costColumns.map((c) => `${c} = v.${c}`).join(', ')},
    cost_breakdown = v.cost_breakdown, pricing_version = v.pricing_version
  FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, organization_id uuid, started_at timestamptz,
    ${costColumns.map((c) => `${c} bigint`).join(', ')}, cost_breakdown jsonb, pricing_version text)
  WHERE i.id = v.id AND i.organization_id = v.organization_id AND i.started_at = v.started_at`;
