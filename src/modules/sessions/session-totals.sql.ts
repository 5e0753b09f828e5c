/**
 * The sessions of the calls in `source` (a CTE), found by their keys: arrays, not IN (subquery),
 * so each session is one probe of the primary key (organization_id, id), where a semi-join would
 * read every session of the organization. `organization` is an SQL expression (a parameter)
 * naming the one organization all the calls belong to, which every row touched is then found by
 * (a statement that stays on one shard when the tables are distributed), or null when the calls
 * carry their own organizations.
 */
const sessionsOfCalls = (source: string, organization: string | null): string => `
  SELECT organization_id, id FROM sessions
  WHERE organization_id ${organization ? `= ${organization}` : `= ANY (ARRAY(SELECT DISTINCT organization_id FROM ${source}))`}
    AND id = ANY (ARRAY(SELECT DISTINCT session_id FROM ${source}))`;

/**
 * The sessions of the calls about to be stored (`source`), as the first part of the recorder's
 * statement, read without locking them: the recorder inserts only calls whose session is found
 * here and refuses the statement otherwise. Sessions are removed only with their organization,
 * whose foreign key (with its row lock) covers that race. Not locking here keeps the rows other
 * batches wait for locked only from after the insert (see sessionTotalsFrom).
 */
export const knownSessionsFrom = (source: string, organization: string | null): string => `
known_sessions AS (${sessionsOfCalls(source, organization)}
)`;

/**
 * The sessions' running totals, as a part of the recorder's statement (one statement keeps
 * interactions, totals and rollups consistent): `source` names a CTE of the calls just inserted;
 * `organization` as in sessionsOfCalls. Totals go to the session by id whatever its state, as the
 * calls did happen.
 */
export const sessionTotalsFrom = (source: string, organization: string | null): string => `
-- Concurrent batches (several instances, or a replay beside a live write) touch the same sessions
-- and rollup rows: each takes its row locks in key order, so two batches wait, never deadlock.
locked_sessions AS (${sessionsOfCalls(source, organization)}
  ORDER BY id, organization_id FOR UPDATE
),
per_session AS (
  UPDATE sessions s SET
    request_count = s.request_count + a.requests,
    input_tokens = s.input_tokens + a.input_tokens,
    output_tokens = s.output_tokens + a.output_tokens,
    cache_read_tokens = s.cache_read_tokens + a.cache_read_tokens,
    cache_write5m_tokens = s.cache_write5m_tokens + a.cache_write5m_tokens,
    cache_write1h_tokens = s.cache_write1h_tokens + a.cache_write1h_tokens,
    cost_nano_usd = s.cost_nano_usd + a.cost,
    unpriced_requests = s.unpriced_requests + a.unpriced,
    error_requests = s.error_requests + a.errors,
    -- The distinct models called, sorted, at most 64 (what the list filters by).
    models = CASE WHEN a.models <@ s.models THEN s.models
      ELSE (ARRAY(SELECT DISTINCT m FROM unnest(s.models || a.models) AS m ORDER BY m))[1:64] END,
    last_activity_at = greatest(s.last_activity_at, a.last_at)
  FROM (
    SELECT organization_id, session_id, count(*) AS requests,
      sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cache_read_tokens) AS cache_read_tokens,
      sum(cache_write5m_tokens) AS cache_write5m_tokens, sum(cache_write1h_tokens) AS cache_write1h_tokens,
      coalesce(sum(cost_total_nano_usd), 0) AS cost, count(*) FILTER (WHERE cost_total_nano_usd IS NULL) AS unpriced,
      count(*) FILTER (WHERE outcome IN ('error', 'upstream_error')) AS errors, array_agg(DISTINCT model::text) AS models,
      max(ended_at) AS last_at
    FROM ${source} GROUP BY organization_id, session_id
  ) a JOIN locked_sessions l ON l.organization_id = a.organization_id AND l.id = a.session_id
  WHERE s.organization_id = ${organization ?? 'a.organization_id'} AND s.id = a.session_id
  RETURNING 1
)`;

/**
 * Moves sessions' cost totals by the given differences (repricing): `$1` is a JSON array of
 * `{id, cost, unpriced}`. Rows are locked in key order, as the recorder's writer locks them.
 */
export const SESSION_COST_DELTAS_SQL = `
  WITH d AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(id uuid, cost bigint, unpriced bigint)),
  locked AS (SELECT s.id FROM sessions s WHERE s.id IN (SELECT id FROM d) ORDER BY s.id FOR UPDATE)
  UPDATE sessions s SET cost_nano_usd = s.cost_nano_usd + d.cost, unpriced_requests = s.unpriced_requests + d.unpriced
  FROM d JOIN locked l ON l.id = d.id WHERE s.id = d.id`;
