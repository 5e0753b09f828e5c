import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { RawUsage } from '../proxy/anthropic-usage';
import type { CostDetail } from '../proxy/pricing/pricing';
import type { InteractionRecord } from '../recording/interaction-record';
import { type ContentStatus, InteractionOutcome } from '../recording/interaction.entity';

/** An interaction as the session routes read it: the recorded fields, with real dates. */
export interface InteractionView
  extends Omit<InteractionRecord, 'organizationId' | 'apiKeyId' | 'userId' | 'startedAt' | 'endedAt'> {
  sessionExternalId: string;
  startedAt: Date;
  endedAt: Date;
  /** started_at to the microsecond, for keyset paging. */
  startedAtKey: string;
}

/** An earlier turn of a session, as context for a new task. */
export interface AgentTotals {
  agentId: string | null;
  parentAgentId: string | null;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  costNanoUsd: number;
  unpricedRequests: number;
  firstCallAt: Date;
  lastCallAt: Date;
}

interface AgentRow {
  agent_id: string | null;
  parent_agent_id: string | null;
  calls: number;
  input_tokens: string;
  output_tokens: string;
  cache_read_tokens: string;
  cache_write5m_tokens: string;
  cache_write1h_tokens: string;
  cost_nano_usd: string;
  unpriced_requests: number;
  first_call_at: Date | string;
  last_call_at: Date | string;
}

export interface EarlierTurn {
  userQuery: string;
  finalOutput: string;
}

interface InteractionRow {
  id: string;
  session_id: string;
  session_external_id: string;
  model: string;
  stream: boolean;
  http_status: number;
  outcome: InteractionOutcome;
  stop_reason: string | null;
  error_type: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write5m_tokens: number;
  cache_write1h_tokens: number;
  cost_input_nano_usd: string | null;
  cost_output_nano_usd: string | null;
  cost_cache_read_nano_usd: string | null;
  cost_cache_write5m_nano_usd: string | null;
  cost_cache_write1h_nano_usd: string | null;
  cost_total_nano_usd: string | null;
  cost_tools_nano_usd: string | null;
  cost_multipliers_nano_usd: string | null;
  cost_breakdown: CostDetail | null;
  usage: RawUsage | null;
  pricing_version: string;
  latency_ms: number;
  time_to_first_token_ms: number | null;
  upstream_request_id: string | null;
  agent_id: string | null;
  parent_agent_id: string | null;
  user_query: string | null;
  final_output: string | null;
  content: unknown;
  content_truncated: boolean;
  content_status: ContentStatus;
  started_at: Date | string;
  ended_at: Date | string;
  started_at_key: string;
}

const columns = (withContent: boolean) => `
  i.id, i.session_id, s.external_id AS session_external_id, i.model, i.stream, i.http_status, i.outcome, i.stop_reason,
  i.error_type, i.input_tokens, i.output_tokens, i.cache_read_tokens, i.cache_write5m_tokens, i.cache_write1h_tokens,
  i.cost_input_nano_usd, i.cost_output_nano_usd, i.cost_cache_read_nano_usd, i.cost_cache_write5m_nano_usd,
  i.cost_cache_write1h_nano_usd, i.cost_total_nano_usd, i.cost_tools_nano_usd, i.cost_multipliers_nano_usd,
  i.cost_breakdown, i.usage, i.pricing_version, i.latency_ms, i.time_to_first_token_ms,
  i.upstream_request_id, i.agent_id, i.parent_agent_id, i.user_query, i.final_output, ${withContent ? 'i.content' : 'NULL AS content'},
  i.content_truncated, i.content_status, i.started_at, i.ended_at,
  to_char(i.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS started_at_key`;

// Tenant and soft-delete conditions, explicit: these queries are raw SQL, outside the ORM's filters.
const VISIBLE = `interactions i JOIN sessions s ON s.id = i.session_id
  WHERE i.organization_id = ?::uuid AND s.organization_id = ?::uuid AND s.deleted_at IS NULL`;

/**
 * Reads of the interactions table for the session and task routes. The table is written only by
 * the recorder's batch writer; every read here names the organization and skips deleted sessions.
 */
@Injectable()
export class SessionInteractionsRepository {
  constructor(private readonly em: EntityManager) {}

  /** Per agent of a session (null: calls with no agent id), what it did: calls, tokens per bucket, cost, first and last call. */
  async agents(organizationId: string, sessionId: string): Promise<AgentTotals[]> {
    const rows = await this.em.execute<AgentRow[]>(
      `SELECT i.agent_id, (array_agg(i.parent_agent_id ORDER BY i.started_at) FILTER (WHERE i.parent_agent_id IS NOT NULL))[1] AS parent_agent_id,
         count(*)::int AS calls, sum(i.input_tokens)::bigint AS input_tokens, sum(i.output_tokens)::bigint AS output_tokens,
         sum(i.cache_read_tokens)::bigint AS cache_read_tokens, sum(i.cache_write5m_tokens)::bigint AS cache_write5m_tokens,
         sum(i.cache_write1h_tokens)::bigint AS cache_write1h_tokens, coalesce(sum(i.cost_total_nano_usd), 0)::bigint AS cost_nano_usd,
         (count(*) FILTER (WHERE i.cost_total_nano_usd IS NULL))::int AS unpriced_requests, min(i.started_at) AS first_call_at, max(i.ended_at) AS last_call_at
       FROM ${VISIBLE} AND i.session_id = ?::uuid
       GROUP BY i.agent_id ORDER BY min(i.started_at), i.agent_id NULLS FIRST`,
      [organizationId, organizationId, sessionId],
    );
    return rows.map((row) => ({
      agentId: row.agent_id,
      parentAgentId: row.parent_agent_id,
      calls: row.calls,
      inputTokens: Number(row.input_tokens),
      outputTokens: Number(row.output_tokens),
      cacheReadTokens: Number(row.cache_read_tokens),
      cacheWrite5mTokens: Number(row.cache_write5m_tokens),
      cacheWrite1hTokens: Number(row.cache_write1h_tokens),
      costNanoUsd: Number(row.cost_nano_usd),
      unpricedRequests: row.unpriced_requests,
      firstCallAt: new Date(row.first_call_at),
      lastCallAt: new Date(row.last_call_at),
    }));
  }

  /** A session's interactions, oldest first. */
  async page(
    organizationId: string,
    sessionId: string,
    page: { limit: number; offset: number; withContent: boolean },
  ): Promise<InteractionView[]> {
    const rows = await this.em.execute<InteractionRow[]>(
      `SELECT ${columns(page.withContent)} FROM ${VISIBLE} AND i.session_id = ?::uuid
       ORDER BY i.started_at, i.id LIMIT ? OFFSET ?`,
      [organizationId, organizationId, sessionId, page.limit, page.offset],
    );
    return rows.map(toView);
  }

  /**
   * The next `size` interactions after a (started_at, id) position, oldest first: the export reads
   * a session this way, page by page, so it never holds a whole session in memory.
   */
  async pageAfter(
    organizationId: string,
    sessionId: string,
    after: { startedAtKey: string; id: string } | null,
    size: number,
    withContent: boolean,
  ): Promise<InteractionView[]> {
    const params: unknown[] = [organizationId, organizationId, sessionId];
    let position = '';
    if (after) {
      position = 'AND (i.started_at, i.id) > (?::timestamptz, ?::uuid)';
      params.push(after.startedAtKey, after.id);
    }
    params.push(size);
    const rows = await this.em.execute<InteractionRow[]>(
      `SELECT ${columns(withContent)} FROM ${VISIBLE} AND i.session_id = ?::uuid ${position}
       ORDER BY i.started_at, i.id LIMIT ?`,
      params,
    );
    return rows.map(toView);
  }

  async count(organizationId: string, sessionId: string): Promise<number> {
    const [row] = await this.em.execute<{ n: string }[]>(`SELECT count(*) AS n FROM ${VISIBLE} AND i.session_id = ?::uuid`, [
      organizationId,
      organizationId,
      sessionId,
    ]);
    return Number(row?.n ?? 0);
  }

  /** One interaction of a live session of the organization, or null. */
  async findVisible(organizationId: string, id: string): Promise<InteractionView | null> {
    const [row] = await this.em.execute<InteractionRow[]>(`SELECT ${columns(false)} FROM ${VISIBLE} AND i.id = ?::uuid`, [
      organizationId,
      organizationId,
      id,
    ]);
    return row ? toView(row) : null;
  }

  /** The session's latest `max` completed turns with both a query and an answer, oldest first. */
  async earlierTurns(organizationId: string, sessionId: string, max: number): Promise<EarlierTurn[]> {
    const rows = await this.em.execute<{ user_query: string; final_output: string }[]>(
      `SELECT user_query, final_output FROM (
         SELECT i.user_query, i.final_output, i.started_at, i.id FROM ${VISIBLE} AND i.session_id = ?::uuid
           AND i.outcome = 'ok' AND i.user_query IS NOT NULL AND i.final_output IS NOT NULL
         ORDER BY i.started_at DESC, i.id DESC LIMIT ?
       ) latest ORDER BY started_at, id`,
      [organizationId, organizationId, sessionId, max],
    );
    return rows.map((row) => ({ userQuery: row.user_query, finalOutput: row.final_output }));
  }
}

const nano = (value: string | null) => (value === null ? null : Number(value));

function toView(row: InteractionRow): InteractionView {
  const total = nano(row.cost_total_nano_usd);
  return {
    id: row.id,
    sessionId: row.session_id,
    sessionExternalId: row.session_external_id,
    model: row.model,
    stream: row.stream,
    httpStatus: row.http_status,
    outcome: row.outcome,
    stopReason: row.stop_reason,
    errorType: row.error_type,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    cacheReadTokens: row.cache_read_tokens,
    cacheWrite5mTokens: row.cache_write5m_tokens,
    cacheWrite1hTokens: row.cache_write1h_tokens,
    cost:
      total === null
        ? null
        : {
            inputNanoUsd: nano(row.cost_input_nano_usd) ?? 0,
            outputNanoUsd: nano(row.cost_output_nano_usd) ?? 0,
            cacheReadNanoUsd: nano(row.cost_cache_read_nano_usd) ?? 0,
            cacheWrite5mNanoUsd: nano(row.cost_cache_write5m_nano_usd) ?? 0,
            cacheWrite1hNanoUsd: nano(row.cost_cache_write1h_nano_usd) ?? 0,
            totalNanoUsd: total,
            toolsNanoUsd: nano(row.cost_tools_nano_usd) ?? 0,
            multipliersNanoUsd: nano(row.cost_multipliers_nano_usd) ?? 0,
            detail: row.cost_breakdown ?? undefined,
          },
    rawUsage: row.usage ?? null,
    pricingVersion: row.pricing_version,
    latencyMs: row.latency_ms,
    timeToFirstTokenMs: row.time_to_first_token_ms,
    upstreamRequestId: row.upstream_request_id,
    agentId: row.agent_id,
    parentAgentId: row.parent_agent_id,
    userQuery: row.user_query,
    finalOutput: row.final_output,
    content: row.content ?? null,
    contentTruncated: row.content_truncated,
    contentStatus: row.content_status,
    startedAt: new Date(row.started_at),
    endedAt: new Date(row.ended_at),
    startedAtKey: row.started_at_key,
  };
}
