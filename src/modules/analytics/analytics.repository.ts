import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { TenantSql } from '../../database/tenant-sql';
import type { UsageSums } from './usage-figures';

/**
 * Analytics reads of the rollups (usage_hourly, and usage_daily for the whole days of a total over
 * a range; see rollupPieces), never a scan of raw interactions. The sessions' running totals and
 * their calls are read through the sessions and recording modules. Every statement goes through
 * TenantSql: the organization is `$1`.
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

const iso = (ms: number) => new Date(ms).toISOString();

const DAY_MS = 86_400_000;

/** The rollups' summed columns, unaggregated. */
const ROLLUP_COLUMNS = `requests, error_requests, unpriced_requests, input_tokens, output_tokens, cache_read_tokens,
  cache_write5m_tokens, cache_write1h_tokens, cost_input_nano_usd, cost_output_nano_usd, cost_cache_read_nano_usd,
  cost_cache_write5m_nano_usd, cost_cache_write1h_nano_usd, cost_total_nano_usd, cost_tools_nano_usd,
  cost_multipliers_nano_usd, cost_cache_savings_nano_usd`;

const ZERO_ROW = Object.fromEntries(
  ROLLUP_COLUMNS.split(',').map((column) => [column.trim(), '0']),
) as unknown as RollupRow;

/**
 * Where the rollups of a range of hours are read: its whole UTC days from usage_daily (kept from
 * usage_hourly by triggers, migration usage_daily) and the partial days at its ends from
 * usage_hourly, so a long range reads about a 24th of the rows.
 */
export function rollupPieces(
  range: HourRange,
): { table: 'usage_hourly' | 'usage_daily'; start: number; end: number }[] {
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
function rollupSource(ranges: HourRange[]): { sql: string; params: string[] } {
  const parts: string[] = [];
  const params: string[] = [];
  ranges.forEach((range, i) => {
    for (const piece of rollupPieces(range)) {
      const time = piece.table === 'usage_daily' ? 'day' : 'hour';
      params.push(iso(piece.start), iso(piece.end));
      // $1 is the organization: the range's bounds are the two parameters just added.
      const [from, to] = [params.length, params.length + 1];
      parts.push(
        `SELECT ${i} AS i, model, ${ROLLUP_COLUMNS} FROM ${piece.table} WHERE organization_id = $1 AND ${time} >= $${from}::timestamptz AND ${time} < $${to}::timestamptz`,
      );
    }
  });
  return { sql: parts.join('\n       UNION ALL '), params };
}

/** A PostgreSQL array literal of instants (the driver would expand a JS array into a list). */
const timestampArray = (instants: number[]) => `{${instants.map(iso).join(',')}}`;

@Injectable()
export class AnalyticsRepository {
  private readonly sql: TenantSql;

  constructor(em: EntityManager) {
    this.sql = TenantSql.overOrm(em);
  }

  /** Usage per model over the range. */
  async sumByModel(organizationId: string, range: HourRange): Promise<ModelSums[]> {
    const source = rollupSource([range]);
    const rows = await this.sql.rows<RollupRow & { model: string }>(
      organizationId,
      `SELECT u.model, ${ROLLUP_SUMS}
       FROM (${source.sql}) u
       GROUP BY u.model ORDER BY u.model COLLATE "C"`,
      source.params,
    );
    return rows.map((row) => ({ model: row.model, ...toSums(row) }));
  }

  /** Usage per hour and model over the range (hours without usage have no row). */
  async sumByHourAndModel(organizationId: string, range: HourRange): Promise<BucketModelSums[]> {
    const rows = await this.sql.rows<RollupRow & { model: string; bucket_ms: string }>(
      organizationId,
      `SELECT floor(extract(epoch FROM u.hour) * 1000)::bigint::text AS bucket_ms, u.model, ${ROLLUP_SUMS}
       FROM usage_hourly u
       WHERE u.organization_id = $1 AND u.hour >= $2::timestamptz AND u.hour < $3::timestamptz
       GROUP BY u.hour, u.model ORDER BY u.hour, u.model COLLATE "C"`,
      [iso(range.start), iso(range.end)],
    );
    return rows.map((row) => ({ bucketStart: Number(row.bucket_ms), model: row.model, ...toSums(row) }));
  }

  /**
   * Usage per bucket and model, where buckets start at the given ascending instants (local
   * midnights, say) and the last one ends at `range.end`. Each rollup hour falls in the bucket of
   * the last start at or before it.
   */
  async sumByBucketAndModel(
    organizationId: string,
    range: HourRange,
    bucketStarts: number[],
  ): Promise<BucketModelSums[]> {
    if (bucketStarts.length === 0) return [];
    const rows = await this.sql.rows<RollupRow & { model: string; bucket: number }>(
      organizationId,
      `SELECT width_bucket(u.hour, $2::timestamptz[]) AS bucket, u.model, ${ROLLUP_SUMS}
       FROM usage_hourly u
       WHERE u.organization_id = $1 AND u.hour >= $3::timestamptz AND u.hour < $4::timestamptz
       GROUP BY 1, u.model ORDER BY 1, u.model COLLATE "C"`,
      [timestampArray(bucketStarts), iso(range.start), iso(range.end)],
    );
    return rows.map((row) => ({ bucketStart: bucketStarts[Number(row.bucket) - 1], model: row.model, ...toSums(row) }));
  }

  /** Usage over each of several ranges, in the order given (a range without usage sums to zero). */
  async sumRanges(organizationId: string, ranges: HourRange[]): Promise<UsageSums[]> {
    if (ranges.length === 0) return [];
    const source = rollupSource(ranges);
    const rows = await this.sql.rows<RollupRow & { i: number }>(
      organizationId,
      `SELECT u.i, ${ROLLUP_SUMS} FROM (${source.sql}) u GROUP BY u.i`,
      source.params,
    );
    const byRange = new Map(rows.map((row) => [Number(row.i), toSums(row)]));
    return ranges.map((_, i) => byRange.get(i) ?? toSums(ZERO_ROW));
  }

  /**
   * Usage per bucket and API key (or member) from usage_hourly_principals; buckets start at the
   * given ascending instants and the last ends at `range.end`. The nil UUID stands for no key or
   * no member (see NO_PRINCIPAL).
   */
  async sumByBucketAndPrincipal(
    organizationId: string,
    range: HourRange,
    bucketStarts: number[],
    by: 'api_key_id' | 'user_id',
  ): Promise<BucketPrincipalSums[]> {
    if (bucketStarts.length === 0) return [];
    const rows = await this.sql.rows<PrincipalRow & { bucket: number; principal: string }>(
      organizationId,
      `SELECT width_bucket(u.hour, $2::timestamptz[]) AS bucket, u.${by}::text AS principal,
         sum(u.requests)::text AS requests, sum(u.error_requests)::text AS error_requests,
         sum(u.unpriced_requests)::text AS unpriced_requests, sum(u.input_tokens)::text AS input_tokens,
         sum(u.output_tokens)::text AS output_tokens,
         sum(u.cache_read_tokens + u.cache_write5m_tokens + u.cache_write1h_tokens)::text AS cache_tokens,
         sum(u.cost_total_nano_usd)::text AS cost_total_nano_usd
       FROM usage_hourly_principals u
       WHERE u.organization_id = $1 AND u.hour >= $3::timestamptz AND u.hour < $4::timestamptz
       GROUP BY 1, 2 ORDER BY 1, 2`,
      [timestampArray(bucketStarts), iso(range.start), iso(range.end)],
    );
    return rows.map((row) => ({
      bucketStart: bucketStarts[Number(row.bucket) - 1],
      principal: row.principal,
      requests: BigInt(row.requests),
      errorRequests: BigInt(row.error_requests),
      unpricedRequests: BigInt(row.unpriced_requests),
      inputTokens: BigInt(row.input_tokens),
      outputTokens: BigInt(row.output_tokens),
      cacheTokens: BigInt(row.cache_tokens),
      costTotalNanoUsd: BigInt(row.cost_total_nano_usd),
    }));
  }

  /** Calls per bucket, metric and latency bucket from latency_hourly (buckets as for sumByBucketAndPrincipal). */
  async latencyHistograms(organizationId: string, range: HourRange, bucketStarts: number[]): Promise<LatencyCounts[]> {
    if (bucketStarts.length === 0) return [];
    const rows = await this.sql.rows<{
      bucket: number;
      metric: 'latency' | 'ttft';
      histogram_bucket: number;
      requests: string;
    }>(
      organizationId,
      `SELECT width_bucket(l.hour, $2::timestamptz[]) AS bucket, l.metric, l.bucket AS histogram_bucket,
         sum(l.requests)::text AS requests
       FROM latency_hourly l
       WHERE l.organization_id = $1 AND l.hour >= $3::timestamptz AND l.hour < $4::timestamptz
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [timestampArray(bucketStarts), iso(range.start), iso(range.end)],
    );
    return rows.map((row) => ({
      bucketStart: bucketStarts[Number(row.bucket) - 1],
      metric: row.metric,
      histogramBucket: Number(row.histogram_bucket),
      requests: Number(row.requests),
    }));
  }
}

interface PrincipalRow {
  requests: string;
  error_requests: string;
  unpriced_requests: string;
  input_tokens: string;
  output_tokens: string;
  cache_tokens: string;
  cost_total_nano_usd: string;
}

/** One bucket's usage by one API key or member (`principal`, the nil UUID for none). */
export interface BucketPrincipalSums {
  bucketStart: number;
  principal: string;
  requests: bigint;
  errorRequests: bigint;
  unpricedRequests: bigint;
  inputTokens: bigint;
  outputTokens: bigint;
  /** Cache reads and writes together. */
  cacheTokens: bigint;
  costTotalNanoUsd: bigint;
}

/** How many calls of one bucket fell in one latency bucket. */
export interface LatencyCounts {
  bucketStart: number;
  metric: 'latency' | 'ttft';
  histogramBucket: number;
  requests: number;
}
