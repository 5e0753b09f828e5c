import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { Interaction } from '../recording/interaction.entity';
import { SessionSort, SortOrder } from './dto/analytics.dto';
import type { UsageSums } from './usage-figures';

/**
 * Analytics reads: the rollups (usage_hourly, and usage_daily for the whole days of a total over a
 * range; see rollupPieces) and the sessions' running totals, never a
 * scan of raw interactions; a session's own calls are paged through their (organization,
 * session, started_at, id) index. The SQL here runs outside the ORM's filters, so each query
 * states its tenant condition (organization_id = ?) and, for sessions, `deleted_at IS NULL`.
 */

/** The summed rollup columns, as text so that no sum loses precision on its way out. */
const ROLLUP_SUMS = `
  coalesce(sum(u.requests), 0)::text AS requests,
  coalesce(sum(u.error_requests), 0)::text AS error_requests,
  coalesce(sum(u.unpriced_requests), 0)::text AS unpriced_requests,
  coalesce(sum(u.input_tokens), 0)::text AS input_tokens,
  coalesce(sum(u.output_tokens), 0)::text AS output_tokens,
  coalesce(sum(u.cache_read_tokens), 0)::text AS cache_read_tokens,
  coalesce(sum(u.cache_write5m_tokens), 0)::text AS cache_write5m_tokens,
  coalesce(sum(u.cache_write1h_tokens), 0)::text AS cache_write1h_tokens,
  coalesce(sum(u.cost_input_nano_usd), 0)::text AS cost_input_nano_usd,
  coalesce(sum(u.cost_output_nano_usd), 0)::text AS cost_output_nano_usd,
  coalesce(sum(u.cost_cache_read_nano_usd), 0)::text AS cost_cache_read_nano_usd,
  coalesce(sum(u.cost_cache_write5m_nano_usd), 0)::text AS cost_cache_write5m_nano_usd,
  coalesce(sum(u.cost_cache_write1h_nano_usd), 0)::text AS cost_cache_write1h_nano_usd,
  coalesce(sum(u.cost_total_nano_usd), 0)::text AS cost_total_nano_usd,
  coalesce(sum(u.cost_tools_nano_usd), 0)::text AS cost_tools_nano_usd,
  coalesce(sum(u.cost_multipliers_nano_usd), 0)::text AS cost_multipliers_nano_usd,
  coalesce(sum(u.cost_cache_savings_nano_usd), 0)::text AS cost_cache_savings_nano_usd`;

interface RollupRow {
  requests: string;
  error_requests: string;
  unpriced_requests: string;
  input_tokens: string;
  output_tokens: string;
  cache_read_tokens: string;
  cache_write5m_tokens: string;
  cache_write1h_tokens: string;
  cost_input_nano_usd: string;
  cost_output_nano_usd: string;
  cost_cache_read_nano_usd: string;
  cost_cache_write5m_nano_usd: string;
  cost_cache_write1h_nano_usd: string;
  cost_total_nano_usd: string;
  cost_tools_nano_usd: string;
  cost_multipliers_nano_usd: string;
  cost_cache_savings_nano_usd: string;
}

function toSums(row: RollupRow): UsageSums {
  return {
    requests: BigInt(row.requests),
    errorRequests: BigInt(row.error_requests),
    unpricedRequests: BigInt(row.unpriced_requests),
    inputTokens: BigInt(row.input_tokens),
    outputTokens: BigInt(row.output_tokens),
    cacheReadTokens: BigInt(row.cache_read_tokens),
    cacheWrite5mTokens: BigInt(row.cache_write5m_tokens),
    cacheWrite1hTokens: BigInt(row.cache_write1h_tokens),
    costInputNanoUsd: BigInt(row.cost_input_nano_usd),
    costOutputNanoUsd: BigInt(row.cost_output_nano_usd),
    costCacheReadNanoUsd: BigInt(row.cost_cache_read_nano_usd),
    costCacheWrite5mNanoUsd: BigInt(row.cost_cache_write5m_nano_usd),
    costCacheWrite1hNanoUsd: BigInt(row.cost_cache_write1h_nano_usd),
    costTotalNanoUsd: BigInt(row.cost_total_nano_usd),
    costToolsNanoUsd: BigInt(row.cost_tools_nano_usd),
    costMultipliersNanoUsd: BigInt(row.cost_multipliers_nano_usd),
    costCacheSavingsNanoUsd: BigInt(row.cost_cache_savings_nano_usd),
  };
}

/** A half-open range of whole UTC hours, [start, end), as epoch milliseconds. */
export interface HourRange {
  start: number;
  end: number;
}

export interface ModelSums extends UsageSums {
  model: string;
}

export interface BucketModelSums extends ModelSums {
  /** Epoch milliseconds of the bucket's start. */
  bucketStart: number;
}

/** A session with its running totals, as the analytics list and detail show it. */
export interface SessionTotalsRow {
  id: string;
  externalId: string;
  title: string | null;
  createdAt: Date;
  lastActivityAt: Date;
  releasedAt: Date | null;
  requestCount: bigint;
  inputTokens: bigint;
  outputTokens: bigint;
  cacheReadTokens: bigint;
  cacheWrite5mTokens: bigint;
  cacheWrite1hTokens: bigint;
  costNanoUsd: bigint;
  unpricedRequests: bigint;
}

interface SessionSqlRow {
  id: string;
  external_id: string;
  title: string | null;
  created_ms: string;
  last_activity_ms: string;
  released_ms: string | null;
  request_count: string;
  input_tokens: string;
  output_tokens: string;
  cache_read_tokens: string;
  cache_write5m_tokens: string;
  cache_write1h_tokens: string;
  cost_nano_usd: string;
  unpriced_requests: string;
}

/** Sort keys map to fixed SQL (never to caller text); every order ends on the id so pages never overlap. */
const SESSION_SORT_SQL: Record<SessionSort, string> = {
  [SessionSort.StartTime]: 's.created_at',
  [SessionSort.Cost]: 's.cost_nano_usd',
  [SessionSort.Tokens]: '(s.input_tokens + s.output_tokens + s.cache_read_tokens + s.cache_write5m_tokens + s.cache_write1h_tokens)',
};

/** Which interaction columns a page of calls reads; never the content blocks. */
const INTERACTION_FIELDS = [
  'id',
  'model',
  'stream',
  'httpStatus',
  'outcome',
  'stopReason',
  'inputTokens',
  'outputTokens',
  'cacheReadTokens',
  'cacheWrite5mTokens',
  'cacheWrite1hTokens',
  'costInputNanoUsd',
  'costOutputNanoUsd',
  'costCacheReadNanoUsd',
  'costCacheWrite5mNanoUsd',
  'costCacheWrite1hNanoUsd',
  'costTotalNanoUsd',
  'latencyMs',
  'timeToFirstTokenMs',
  'startedAt',
  'endedAt',
] as const;

const iso = (ms: number) => new Date(ms).toISOString();

const DAY_MS = 86_400_000;

/** The rollups' summed columns, unaggregated. */
const ROLLUP_COLUMNS = `requests, error_requests, unpriced_requests, input_tokens, output_tokens, cache_read_tokens,
  cache_write5m_tokens, cache_write1h_tokens, cost_input_nano_usd, cost_output_nano_usd, cost_cache_read_nano_usd,
  cost_cache_write5m_nano_usd, cost_cache_write1h_nano_usd, cost_total_nano_usd, cost_tools_nano_usd,
  cost_multipliers_nano_usd, cost_cache_savings_nano_usd`;

const ZERO_ROW = Object.fromEntries(ROLLUP_COLUMNS.split(',').map((column) => [column.trim(), '0'])) as unknown as RollupRow;

/**
 * Where the rollups of a range of hours are read: its whole UTC days from usage_daily (kept from
 * usage_hourly by triggers, migration usage_daily) and the partial days at its ends from
 * usage_hourly, so a long range reads about a 24th of the rows.
 */
export function rollupPieces(range: HourRange): { table: 'usage_hourly' | 'usage_daily'; start: number; end: number }[] {
  const firstDay = Math.ceil(range.start / DAY_MS) * DAY_MS;
  const lastDay = Math.floor(range.end / DAY_MS) * DAY_MS;
  if (firstDay >= lastDay) return [{ table: 'usage_hourly', start: range.start, end: range.end }];
  return [
    ...(range.start < firstDay ? [{ table: 'usage_hourly' as const, start: range.start, end: firstDay }] : []),
    { table: 'usage_daily' as const, start: firstDay, end: lastDay },
    ...(lastDay < range.end ? [{ table: 'usage_hourly' as const, start: lastDay, end: range.end }] : []),
  ];
}

/**
 * The rollup rows of the organization that cover each range, tagged with the range's index `i`:
 * one primary-key range scan per piece (see rollupPieces), as a UNION ALL to sum over.
 */
function rollupSource(organizationId: string, ranges: HourRange[]): { sql: string; params: string[] } {
  const parts: string[] = [];
  const params: string[] = [];
  ranges.forEach((range, i) => {
    for (const piece of rollupPieces(range)) {
      const time = piece.table === 'usage_daily' ? 'day' : 'hour';
      parts.push(
        `SELECT ${i} AS i, model, ${ROLLUP_COLUMNS} FROM ${piece.table} WHERE organization_id = ? AND ${time} >= ?::timestamptz AND ${time} < ?::timestamptz`,
      );
      params.push(organizationId, iso(piece.start), iso(piece.end));
    }
  });
  return { sql: parts.join('\n       UNION ALL ') , params };
}

/** A PostgreSQL array literal of instants (the driver would expand a JS array into a list). */
const timestampArray = (instants: number[]) => `{${instants.map(iso).join(',')}}`;

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
      w.cache_write5m_tokens > 0 AND NOT w.read_5m AND w.ended_at + interval '5 minutes' <= ?::timestamptz AS unread_5m,
      w.cache_write5m_tokens > 0 AND NOT w.read_5m AND w.ended_at + interval '5 minutes' > ?::timestamptz AS pending_5m,
      w.cache_write1h_tokens > 0 AND NOT w.read_1h AND w.ended_at + interval '1 hour' <= ?::timestamptz AS unread_1h,
      w.cache_write1h_tokens > 0 AND NOT w.read_1h AND w.ended_at + interval '1 hour' > ?::timestamptz AS pending_1h
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

@Injectable()
export class AnalyticsRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * The outcomes of the organization's cache writes made by calls started in the range. This reads
   * the calls that wrote to the cache in the range (not the rollups), so the range is kept short.
   */
  async cacheWriteOutcomesInRange(organizationId: string, range: HourRange, now: number): Promise<CacheWriteOutcomes> {
    const [row] = await this.em.execute<CacheWriteOutcomeRow[]>(
      cacheWriteOutcomesSql('i.organization_id = ?::uuid AND i.started_at >= ?::timestamptz AND i.started_at < ?::timestamptz'),
      [organizationId, iso(range.start), iso(range.end), iso(now), iso(now), iso(now), iso(now)],
    );
    return toOutcomes(row);
  }

  /** The outcomes of one session's cache writes. */
  async sessionCacheWriteOutcomes(organizationId: string, sessionId: string, now: number): Promise<CacheWriteOutcomes> {
    const [row] = await this.em.execute<CacheWriteOutcomeRow[]>(
      cacheWriteOutcomesSql('i.organization_id = ?::uuid AND i.session_id = ?::uuid'),
      [organizationId, sessionId, iso(now), iso(now), iso(now), iso(now)],
    );
    return toOutcomes(row);
  }

  /** A session's cache figures from its calls (the session's own index range). */
  async sessionCacheSums(organizationId: string, sessionId: string): Promise<SessionCacheSums> {
    const [row] = await this.em.execute<Record<string, string>[]>(
      `SELECT coalesce(sum(input_tokens), 0)::text AS input, coalesce(sum(cache_read_tokens), 0)::text AS read,
         coalesce(sum(cache_write5m_tokens), 0)::text AS w5m, coalesce(sum(cache_write1h_tokens), 0)::text AS w1h,
         coalesce(sum(cost_cache_write5m_nano_usd), 0)::text AS c5m, coalesce(sum(cost_cache_write1h_nano_usd), 0)::text AS c1h,
         coalesce(sum(cost_cache_savings_nano_usd), 0)::text AS saved
       FROM interactions WHERE organization_id = ?::uuid AND session_id = ?::uuid`,
      [organizationId, sessionId],
    );
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

  /** Usage per model over the range. */
  async sumByModel(organizationId: string, range: HourRange): Promise<ModelSums[]> {
    const source = rollupSource(organizationId, [range]);
    const rows = await this.em.execute<(RollupRow & { model: string })[]>(
      `SELECT u.model, ${ROLLUP_SUMS}
       FROM (${source.sql}) u
       GROUP BY u.model ORDER BY u.model COLLATE "C"`,
      source.params,
    );
    return rows.map((row) => ({ model: row.model, ...toSums(row) }));
  }

  /** Usage per hour and model over the range (hours without usage have no row). */
  async sumByHourAndModel(organizationId: string, range: HourRange): Promise<BucketModelSums[]> {
    const rows = await this.em.execute<(RollupRow & { model: string; bucket_ms: string })[]>(
      `SELECT floor(extract(epoch FROM u.hour) * 1000)::bigint::text AS bucket_ms, u.model, ${ROLLUP_SUMS}
       FROM usage_hourly u
       WHERE u.organization_id = ? AND u.hour >= ?::timestamptz AND u.hour < ?::timestamptz
       GROUP BY u.hour, u.model ORDER BY u.hour, u.model COLLATE "C"`,
      [organizationId, iso(range.start), iso(range.end)],
    );
    return rows.map((row) => ({ bucketStart: Number(row.bucket_ms), model: row.model, ...toSums(row) }));
  }

  /**
   * Usage per bucket and model, where buckets start at the given ascending instants (local
   * midnights, say) and the last one ends at `range.end`. Each rollup hour falls in the bucket of
   * the last start at or before it.
   */
  async sumByBucketAndModel(organizationId: string, range: HourRange, bucketStarts: number[]): Promise<BucketModelSums[]> {
    if (bucketStarts.length === 0) return [];
    const rows = await this.em.execute<(RollupRow & { model: string; bucket: number })[]>(
      `SELECT width_bucket(u.hour, ?::timestamptz[]) AS bucket, u.model, ${ROLLUP_SUMS}
       FROM usage_hourly u
       WHERE u.organization_id = ? AND u.hour >= ?::timestamptz AND u.hour < ?::timestamptz
       GROUP BY 1, u.model ORDER BY 1, u.model COLLATE "C"`,
      [timestampArray(bucketStarts), organizationId, iso(range.start), iso(range.end)],
    );
    return rows.map((row) => ({ bucketStart: bucketStarts[Number(row.bucket) - 1], model: row.model, ...toSums(row) }));
  }

  /** Usage over each of several ranges, in the order given (a range without usage sums to zero). */
  async sumRanges(organizationId: string, ranges: HourRange[]): Promise<UsageSums[]> {
    if (ranges.length === 0) return [];
    const source = rollupSource(organizationId, ranges);
    const rows = await this.em.execute<(RollupRow & { i: number })[]>(
      `SELECT u.i, ${ROLLUP_SUMS} FROM (${source.sql}) u GROUP BY u.i`,
      source.params,
    );
    const byRange = new Map(rows.map((row) => [Number(row.i), toSums(row)]));
    return ranges.map((_, i) => byRange.get(i) ?? toSums(ZERO_ROW));
  }

  /**
   * A page of the organization's live sessions with their running totals, and how many live
   * sessions it has. The page is a range scan of the (organization, created_at, id) index from
   * its sorted end (for the start-time sort; the cost and token sorts sort the organization's
   * sessions). The total is one row of `organization_session_counts`, kept exact by triggers on
   * sessions (migration session_counts), never a count(*) that grows with the organization; it
   * comes with the page, in the same statement and snapshot, and is read on its own only when the
   * page is empty. The route has no filters, so the total is always that count.
   */
  async listSessions(
    organizationId: string,
    page: { limit: number; offset: number; sort: SessionSort; order: SortOrder },
  ): Promise<{ rows: SessionTotalsRow[]; totalCount: number }> {
    const direction = page.order === SortOrder.Asc ? 'ASC' : 'DESC';
    const rows = await this.em.execute<(SessionSqlRow & { total: string })[]>(
      `SELECT ${SESSION_COLUMNS}, (${LIVE_SESSIONS_SQL}) AS total
       FROM sessions s
       WHERE s.organization_id = ? AND s.deleted_at IS NULL
       ORDER BY ${SESSION_SORT_SQL[page.sort]} ${direction}, s.id ${direction}
       LIMIT ? OFFSET ?`,
      [organizationId, organizationId, page.limit, page.offset],
    );
    if (rows.length > 0) return { rows: rows.map(toSessionTotals), totalCount: Number(rows[0].total) };
    const [{ total }] = await this.em.execute<{ total: string }[]>(`SELECT (${LIVE_SESSIONS_SQL}) AS total`, [organizationId]);
    return { rows: [], totalCount: Number(total) };
  }

  /**
   * A page of one session's calls, oldest first, through the ORM (its tenant filter must be
   * armed for the session's organization). Content is read only when asked for, and then only
   * the user query and the final output, never the stored request and response blocks.
   */
  pageInteractions(
    sessionId: string,
    page: { limit: number; offset: number },
    withText: boolean,
  ): Promise<Interaction[]> {
    const fields = withText ? [...INTERACTION_FIELDS, 'userQuery', 'finalOutput'] : [...INTERACTION_FIELDS];
    return this.em.find(
      Interaction,
      { session: sessionId },
      {
        fields: fields as never,
        orderBy: { startedAt: 'asc', id: 'asc' },
        limit: page.limit,
        offset: page.offset,
      },
    );
  }
}

/**
 * The organization's live sessions (`deleted_at IS NULL`, released ones included), as text: a
 * primary-key read of the counts the session triggers keep; no row means none.
 */
const LIVE_SESSIONS_SQL = `SELECT coalesce((SELECT c.live_sessions FROM organization_session_counts c WHERE c.organization_id = ?), 0)::text`;

const SESSION_COLUMNS = `s.id, s.external_id, s.title,
  floor(extract(epoch FROM s.created_at) * 1000)::bigint::text AS created_ms,
  floor(extract(epoch FROM s.last_activity_at) * 1000)::bigint::text AS last_activity_ms,
  floor(extract(epoch FROM s.released_at) * 1000)::bigint::text AS released_ms,
  s.request_count::text AS request_count, s.input_tokens::text AS input_tokens, s.output_tokens::text AS output_tokens,
  s.cache_read_tokens::text AS cache_read_tokens, s.cache_write5m_tokens::text AS cache_write5m_tokens,
  s.cache_write1h_tokens::text AS cache_write1h_tokens, s.cost_nano_usd::text AS cost_nano_usd,
  s.unpriced_requests::text AS unpriced_requests`;

function toSessionTotals(row: SessionSqlRow): SessionTotalsRow {
  return {
    id: row.id,
    externalId: row.external_id,
    title: row.title,
    createdAt: new Date(Number(row.created_ms)),
    lastActivityAt: new Date(Number(row.last_activity_ms)),
    releasedAt: row.released_ms === null ? null : new Date(Number(row.released_ms)),
    requestCount: BigInt(row.request_count),
    inputTokens: BigInt(row.input_tokens),
    outputTokens: BigInt(row.output_tokens),
    cacheReadTokens: BigInt(row.cache_read_tokens),
    cacheWrite5mTokens: BigInt(row.cache_write5m_tokens),
    cacheWrite1hTokens: BigInt(row.cache_write1h_tokens),
    costNanoUsd: BigInt(row.cost_nano_usd),
    unpricedRequests: BigInt(row.unpriced_requests),
  };
}
