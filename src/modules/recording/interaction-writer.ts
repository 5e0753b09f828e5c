import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../../database/pg-pool';
import type { InteractionRecord } from './interaction-record';

const TOKEN_SUMS = `
  sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cache_read_tokens) AS cache_read_tokens,
  sum(cache_write5m_tokens) AS cache_write5m_tokens, sum(cache_write1h_tokens) AS cache_write1h_tokens`;

/**
 * One statement per batch: the interactions (multi-row INSERT from UNNEST, idempotent on id), the
 * sessions' running totals and the hourly rollups, all computed from the rows actually inserted,
 * so a replayed batch changes nothing twice. Tenant and soft-delete conditions: rows carry their
 * organization; totals go to the session by id whatever its state, as the calls did happen.
 */
const WRITE_BATCH_SQL = `
WITH input AS (
  SELECT * FROM unnest(
    $1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::boolean[], $8::smallint[],
    $9::interaction_outcome[], $10::text[], $11::text[], $12::int[], $13::int[], $14::int[], $15::int[], $16::int[],
    $17::bigint[], $18::bigint[], $19::bigint[], $20::bigint[], $21::bigint[], $22::bigint[], $23::text[], $24::int[],
    $25::int[], $26::text[], $27::text[], $28::text[], $29::text[], $30::jsonb[], $31::boolean[], $32::timestamptz[],
    $33::timestamptz[]
  ) AS t(id, organization_id, session_id, api_key_id, user_id, model, stream, http_status, outcome, stop_reason,
         error_type, input_tokens, output_tokens, cache_read_tokens, cache_write5m_tokens, cache_write1h_tokens,
         cost_input_nano_usd, cost_output_nano_usd, cost_cache_read_nano_usd, cost_cache_write5m_nano_usd,
         cost_cache_write1h_nano_usd, cost_total_nano_usd, pricing_version, latency_ms, time_to_first_token_ms,
         upstream_request_id, agent_id, user_query, final_output, content, content_truncated, started_at, ended_at)
),
inserted AS (
  INSERT INTO interactions (id, organization_id, session_id, api_key_id, user_id, model, stream, http_status, outcome,
    stop_reason, error_type, input_tokens, output_tokens, cache_read_tokens, cache_write5m_tokens, cache_write1h_tokens,
    cost_input_nano_usd, cost_output_nano_usd, cost_cache_read_nano_usd, cost_cache_write5m_nano_usd,
    cost_cache_write1h_nano_usd, cost_total_nano_usd, pricing_version, latency_ms, time_to_first_token_ms,
    upstream_request_id, agent_id, user_query, final_output, content, content_truncated, started_at, ended_at)
  SELECT * FROM input
  ON CONFLICT (id) DO NOTHING
  RETURNING organization_id, session_id, model, outcome, started_at, ended_at, input_tokens, output_tokens,
    cache_read_tokens, cache_write5m_tokens, cache_write1h_tokens, cost_input_nano_usd, cost_output_nano_usd,
    cost_cache_read_nano_usd, cost_cache_write5m_nano_usd, cost_cache_write1h_nano_usd, cost_total_nano_usd
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
    last_activity_at = greatest(s.last_activity_at, a.last_at)
  FROM (
    SELECT session_id, count(*) AS requests, ${TOKEN_SUMS},
      coalesce(sum(cost_total_nano_usd), 0) AS cost, count(*) FILTER (WHERE cost_total_nano_usd IS NULL) AS unpriced,
      max(ended_at) AS last_at
    FROM inserted GROUP BY session_id
  ) a
  WHERE s.id = a.session_id
  RETURNING 1
),
per_hour AS (
  INSERT INTO usage_hourly (organization_id, hour, model, requests, error_requests, unpriced_requests, input_tokens,
    output_tokens, cache_read_tokens, cache_write5m_tokens, cache_write1h_tokens, cost_input_nano_usd,
    cost_output_nano_usd, cost_cache_read_nano_usd, cost_cache_write5m_nano_usd, cost_cache_write1h_nano_usd,
    cost_total_nano_usd)
  SELECT organization_id, date_trunc('hour', started_at, 'UTC'), model, count(*),
    count(*) FILTER (WHERE outcome <> 'ok'), count(*) FILTER (WHERE cost_total_nano_usd IS NULL), ${TOKEN_SUMS},
    coalesce(sum(cost_input_nano_usd), 0), coalesce(sum(cost_output_nano_usd), 0),
    coalesce(sum(cost_cache_read_nano_usd), 0), coalesce(sum(cost_cache_write5m_nano_usd), 0),
    coalesce(sum(cost_cache_write1h_nano_usd), 0), coalesce(sum(cost_total_nano_usd), 0)
  FROM inserted GROUP BY 1, 2, 3
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
    cost_total_nano_usd = usage_hourly.cost_total_nano_usd + excluded.cost_total_nano_usd
  RETURNING 1
)
SELECT (SELECT count(*) FROM inserted)::int AS inserted, (SELECT count(*) FROM per_session)::int AS sessions,
  (SELECT count(*) FROM per_hour)::int AS hours`;

/** Writes batches of interactions with their totals and rollups, outside the ORM's unit of work. */
@Injectable()
export class InteractionWriter {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Returns how many of the records were new (the rest were already stored). */
  async write(records: InteractionRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const column = <T>(pick: (r: InteractionRecord) => T): T[] => records.map(pick);
    const result = await this.pool.query<{ inserted: number }>(WRITE_BATCH_SQL, [
      column((r) => r.id),
      column((r) => r.organizationId),
      column((r) => r.sessionId),
      column((r) => r.apiKeyId),
      column((r) => r.userId),
      column((r) => r.model),
      column((r) => r.stream),
      column((r) => r.httpStatus),
      column((r) => r.outcome),
      column((r) => r.stopReason),
      column((r) => r.errorType),
      column((r) => r.inputTokens),
      column((r) => r.outputTokens),
      column((r) => r.cacheReadTokens),
      column((r) => r.cacheWrite5mTokens),
      column((r) => r.cacheWrite1hTokens),
      column((r) => r.cost?.inputNanoUsd ?? null),
      column((r) => r.cost?.outputNanoUsd ?? null),
      column((r) => r.cost?.cacheReadNanoUsd ?? null),
      column((r) => r.cost?.cacheWrite5mNanoUsd ?? null),
      column((r) => r.cost?.cacheWrite1hNanoUsd ?? null),
      column((r) => r.cost?.totalNanoUsd ?? null),
      column((r) => r.pricingVersion),
      column((r) => r.latencyMs),
      column((r) => r.timeToFirstTokenMs),
      column((r) => r.upstreamRequestId),
      column((r) => r.agentId),
      column((r) => stripNul(r.userQuery)),
      column((r) => stripNul(r.finalOutput)),
      column((r) => (r.content === undefined || r.content === null ? null : JSON.stringify(r.content).replace(/\\u0000/g, ''))),
      column((r) => r.contentTruncated),
      column((r) => r.startedAt),
      column((r) => r.endedAt),
    ]);
    return result.rows[0]?.inserted ?? 0;
  }
}

/** PostgreSQL text cannot hold NUL characters; they are dropped rather than failing the batch. */
function stripNul<T extends string | null>(value: T): T {
  return (value === null ? value : value.replace(/\u0000/g, '')) as T;
}
