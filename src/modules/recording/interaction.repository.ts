import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { RawUsage } from '../proxy/anthropic-usage';
import type { CostDetail } from '../proxy/pricing/pricing';
import { TenantSql } from '../../database/tenant-sql';
import type { InteractionRecord } from './interaction-record';
import { type ContentStatus, InteractionOutcome } from './interaction.entity';

/** An interaction as it is read back: the recorded fields, with real dates. */
export interface InteractionView extends Omit<
  InteractionRecord,
  'organizationId' | 'apiKeyId' | 'userId' | 'startedAt' | 'endedAt'
> {
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

/** A row of `interactions` as read back (bigint columns as text). */
export interface InteractionRow {
  id: string;
  session_id: string;
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
  cost_cache_savings_nano_usd: string | null;
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
  i.id, i.session_id, i.model, i.stream, i.http_status, i.outcome, i.stop_reason,
  i.error_type, i.input_tokens, i.output_tokens, i.cache_read_tokens, i.cache_write5m_tokens, i.cache_write1h_tokens,
  i.cost_input_nano_usd, i.cost_output_nano_usd, i.cost_cache_read_nano_usd, i.cost_cache_write5m_nano_usd,
  i.cost_cache_write1h_nano_usd, i.cost_total_nano_usd, i.cost_tools_nano_usd, i.cost_multipliers_nano_usd,
  i.cost_cache_savings_nano_usd, i.cost_breakdown, i.usage, i.pricing_version, i.latency_ms, i.time_to_first_token_ms,
  i.upstream_request_id, i.agent_id, i.parent_agent_id, i.user_query, i.final_output, ${withContent ? 'i.content' : 'NULL AS content'},
  i.content_truncated, i.content_status, i.started_at, i.ended_at,
  to_char(i.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS started_at_key`;

/** What happened to cache writes: read again within their TTL in the session, not read (TTL over), or not yet known. */
export interface CacheWriteOutcomes {
  unreadWrites: bigint;
  unread5mNanoUsd: bigint;
  unread1hNanoUsd: bigint;
  pendingWrites: bigint;
  pending5mNanoUsd: bigint;
  pending1hNanoUsd: bigint;
}

/** A session's cache figures, summed from its own calls. */
export interface SessionCacheSums {
  inputTokens: bigint;
  cacheReadTokens: bigint;
  cacheWrite5mTokens: bigint;
  cacheWrite1hTokens: bigint;
  costCacheWrite5mNanoUsd: bigint;
  costCacheWrite1hNanoUsd: bigint;
  costCacheSavingsNanoUsd: bigint;
}

/**
 * For each call of `writes` that wrote to the cache: was a later call of the same session, started
 * within the write's TTL of its end, a cache read? The lookup walks the (organization, session,
 * started_at, id) index. A write whose TTL has not yet run out by `now` and was not read is pending.
 */
const cacheWriteOutcomesSql = (writes: string) => `
  WITH w AS (
    SELECT i.cache_write5m_tokens, i.cache_write1h_tokens, i.cost_cache_write5m_nano_usd, i.cost_cache_write1h_nano_usd,
      i.ended_at,
      EXISTS (SELECT 1 FROM interactions j WHERE j.organization_id = i.organization_id AND j.session_id = i.session_id
        AND (j.started_at, j.id) > (i.started_at, i.id) AND j.started_at <= i.ended_at + interval '5 minutes'
        AND j.cache_read_tokens > 0) AS read_5m,
      EXISTS (SELECT 1 FROM interactions j WHERE j.organization_id = i.organization_id AND j.session_id = i.session_id
        AND (j.started_at, j.id) > (i.started_at, i.id) AND j.started_at <= i.ended_at + interval '1 hour'
        AND j.cache_read_tokens > 0) AS read_1h
    FROM interactions i
    WHERE ${writes} AND (i.cache_write5m_tokens > 0 OR i.cache_write1h_tokens > 0)
  ),
  o AS (
    SELECT w.*,
      w.cache_write5m_tokens > 0 AND NOT w.read_5m AND w.ended_at + interval '5 minutes' <= $2::timestamptz AS unread_5m,
      w.cache_write5m_tokens > 0 AND NOT w.read_5m AND w.ended_at + interval '5 minutes' > $2::timestamptz AS pending_5m,
      w.cache_write1h_tokens > 0 AND NOT w.read_1h AND w.ended_at + interval '1 hour' <= $2::timestamptz AS unread_1h,
      w.cache_write1h_tokens > 0 AND NOT w.read_1h AND w.ended_at + interval '1 hour' > $2::timestamptz AS pending_1h
    FROM w
  )
  SELECT count(*) FILTER (WHERE unread_5m OR unread_1h)::text AS unread_writes,
    coalesce(sum(cost_cache_write5m_nano_usd) FILTER (WHERE unread_5m), 0)::text AS unread_5m,
    coalesce(sum(cost_cache_write1h_nano_usd) FILTER (WHERE unread_1h), 0)::text AS unread_1h,
    count(*) FILTER (WHERE pending_5m OR pending_1h)::text AS pending_writes,
    coalesce(sum(cost_cache_write5m_nano_usd) FILTER (WHERE pending_5m), 0)::text AS pending_5m,
    coalesce(sum(cost_cache_write1h_nano_usd) FILTER (WHERE pending_1h), 0)::text AS pending_1h
  FROM o`;

interface CacheWriteOutcomeRow {
  unread_writes: string;
  unread_5m: string;
  unread_1h: string;
  pending_writes: string;
  pending_5m: string;
  pending_1h: string;
}

const toOutcomes = (row: CacheWriteOutcomeRow): CacheWriteOutcomes => ({
  unreadWrites: BigInt(row.unread_writes),
  unread5mNanoUsd: BigInt(row.unread_5m),
  unread1hNanoUsd: BigInt(row.unread_1h),
  pendingWrites: BigInt(row.pending_writes),
  pending5mNanoUsd: BigInt(row.pending_5m),
  pending1hNanoUsd: BigInt(row.pending_1h),
});

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Reads of the interactions table, through the tenant SQL rule (the organization first). The
 * table is written only by the recorder's batch writer. Whether a session may be read (it is live,
 * it is the caller's organization's) is the sessions module's call, made before these reads.
 */
@Injectable()
export class InteractionRepository {
  private readonly sql: TenantSql;

  constructor(em: EntityManager) {
    this.sql = TenantSql.overOrm(em);
  }

  /** Per agent of a session (null: calls with no agent id), what it did: calls, tokens per bucket, cost, first and last call. */
  async agents(organizationId: string, sessionId: string): Promise<AgentTotals[]> {
    const rows = await this.sql.rows<AgentRow>(
      organizationId,
      `SELECT i.agent_id, (array_agg(i.parent_agent_id ORDER BY i.started_at) FILTER (WHERE i.parent_agent_id IS NOT NULL))[1] AS parent_agent_id,
         count(*)::int AS calls, sum(i.input_tokens)::bigint AS input_tokens, sum(i.output_tokens)::bigint AS output_tokens,
         sum(i.cache_read_tokens)::bigint AS cache_read_tokens, sum(i.cache_write5m_tokens)::bigint AS cache_write5m_tokens,
         sum(i.cache_write1h_tokens)::bigint AS cache_write1h_tokens, coalesce(sum(i.cost_total_nano_usd), 0)::bigint AS cost_nano_usd,
         (count(*) FILTER (WHERE i.cost_total_nano_usd IS NULL))::int AS unpriced_requests, min(i.started_at) AS first_call_at, max(i.ended_at) AS last_call_at
       FROM interactions i WHERE i.organization_id = $1 AND i.session_id = $2::uuid
       GROUP BY i.agent_id ORDER BY min(i.started_at), i.agent_id NULLS FIRST`,
      [sessionId],
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
    const rows = await this.sql.rows<InteractionRow>(
      organizationId,
      `SELECT ${columns(page.withContent)} FROM interactions i WHERE i.organization_id = $1 AND i.session_id = $2::uuid
       ORDER BY i.started_at, i.id LIMIT $3 OFFSET $4`,
      [sessionId, page.limit, page.offset],
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
    const position = after ? 'AND (i.started_at, i.id) > ($4::timestamptz, $5::uuid)' : '';
    const rows = await this.sql.rows<InteractionRow>(
      organizationId,
      `SELECT ${columns(withContent)} FROM interactions i WHERE i.organization_id = $1 AND i.session_id = $2::uuid ${position}
       ORDER BY i.started_at, i.id LIMIT $3`,
      after ? [sessionId, size, after.startedAtKey, after.id] : [sessionId, size],
    );
    return rows.map(toView);
  }

  async count(organizationId: string, sessionId: string): Promise<number> {
    const row = await this.sql.one<{ n: string }>(
      organizationId,
      'SELECT count(*) AS n FROM interactions i WHERE i.organization_id = $1 AND i.session_id = $2::uuid',
      [sessionId],
    );
    return Number(row?.n ?? 0);
  }

  /** One interaction of the organization, or null. */
  async find(organizationId: string, id: string): Promise<InteractionView | null> {
    const row = await this.sql.one<InteractionRow>(
      organizationId,
      `SELECT ${columns(false)} FROM interactions i WHERE i.organization_id = $1 AND i.id = $2::uuid`,
      [id],
    );
    return row ? toView(row) : null;
  }

  /**
   * The outcomes of the organization's cache writes made by calls started in the range. This reads
   * the calls that wrote to the cache in the range (not the rollups), so the range is kept short.
   */
  async cacheWriteOutcomesInRange(
    organizationId: string,
    range: { start: number; end: number },
    now: number,
  ): Promise<CacheWriteOutcomes> {
    const row = await this.sql.one<CacheWriteOutcomeRow>(
      organizationId,
      cacheWriteOutcomesSql(
        'i.organization_id = $1 AND i.started_at >= $3::timestamptz AND i.started_at < $4::timestamptz',
      ),
      [iso(now), iso(range.start), iso(range.end)],
    );
    return toOutcomes(row!);
  }

  /** The outcomes of one session's cache writes. */
  async sessionCacheWriteOutcomes(organizationId: string, sessionId: string, now: number): Promise<CacheWriteOutcomes> {
    const row = await this.sql.one<CacheWriteOutcomeRow>(
      organizationId,
      cacheWriteOutcomesSql('i.organization_id = $1 AND i.session_id = $3::uuid'),
      [iso(now), sessionId],
    );
    return toOutcomes(row!);
  }

  /** A session's cache figures from its calls (the session's own index range). */
  async sessionCacheSums(organizationId: string, sessionId: string): Promise<SessionCacheSums> {
    const row = (await this.sql.one<Record<string, string>>(
      organizationId,
      `SELECT coalesce(sum(input_tokens), 0)::text AS input, coalesce(sum(cache_read_tokens), 0)::text AS read,
         coalesce(sum(cache_write5m_tokens), 0)::text AS w5m, coalesce(sum(cache_write1h_tokens), 0)::text AS w1h,
         coalesce(sum(cost_cache_write5m_nano_usd), 0)::text AS c5m, coalesce(sum(cost_cache_write1h_nano_usd), 0)::text AS c1h,
         coalesce(sum(cost_cache_savings_nano_usd), 0)::text AS saved
       FROM interactions WHERE organization_id = $1 AND session_id = $2::uuid`,
      [sessionId],
    ))!;
    return {
      inputTokens: BigInt(row.input),
      cacheReadTokens: BigInt(row.read),
      cacheWrite5mTokens: BigInt(row.w5m),
      cacheWrite1hTokens: BigInt(row.w1h),
      costCacheWrite5mNanoUsd: BigInt(row.c5m),
      costCacheWrite1hNanoUsd: BigInt(row.c1h),
      costCacheSavingsNanoUsd: BigInt(row.saved),
    };
  }

  /**
   * Recorded spend in [from, to) per API key and per member, from the organization's interactions
   * (calls by a signed-in user have no key). Unpriced calls count as 0 here and are counted apart.
   */
  async spendByKeyAndMember(
    organizationId: string,
    from: Date,
    to: Date,
  ): Promise<{ apiKeyId: string | null; userId: string | null; nanoUsd: number; calls: number; unpriced: number }[]> {
    const { rows } = await this.sql.query<{
      api_key_id: string | null;
      user_id: string | null;
      nano: string;
      calls: string;
      unpriced: string;
    }>(
      organizationId,
      `SELECT api_key_id, user_id, COALESCE(SUM(cost_total_nano_usd), 0)::text AS nano, COUNT(*)::text AS calls,
         COUNT(*) FILTER (WHERE cost_total_nano_usd IS NULL)::text AS unpriced
       FROM interactions WHERE organization_id = $1 AND started_at >= $2 AND started_at < $3
       GROUP BY api_key_id, user_id`,
      [from, to],
    );
    return rows.map((r) => ({
      apiKeyId: r.api_key_id,
      userId: r.user_id,
      nanoUsd: Number(r.nano),
      calls: Number(r.calls),
      unpriced: Number(r.unpriced),
    }));
  }

  /** The session's latest `max` completed turns with both a query and an answer, oldest first. */
  async earlierTurns(organizationId: string, sessionId: string, max: number): Promise<EarlierTurn[]> {
    const rows = await this.sql.rows<{ user_query: string; final_output: string }>(
      organizationId,
      `SELECT user_query, final_output FROM (
         SELECT i.user_query, i.final_output, i.started_at, i.id FROM interactions i WHERE i.organization_id = $1 AND i.session_id = $2::uuid
           AND i.outcome = 'ok' AND i.user_query IS NOT NULL AND i.final_output IS NOT NULL
         ORDER BY i.started_at DESC, i.id DESC LIMIT $3
       ) latest ORDER BY started_at, id`,
      [sessionId, max],
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
