import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/time/clock.service';
import { AnalyticsRepository, type BucketPrincipalSums, type LatencyCounts } from './analytics.repository';
import { bucketStarts, seriesRange } from './analytics.service';
import {
  type LatencyAnalyticsResponseDto,
  type LatencyFiguresDto,
  PrincipalDimension,
  type PrincipalUsageDto,
  type PrincipalUsageQueryDto,
  type PrincipalUsageResponseDto,
} from './dto/breakdowns.dto';
import type { TokenAnalyticsQueryDto } from './dto/analytics.dto';
import { LATENCY_BUCKET_BASE, NO_PRINCIPAL } from './usage-rollups.sql';
import { count, nanoToUsdExact } from './usage-figures';

const COLUMN = { [PrincipalDimension.ApiKey]: 'api_key_id', [PrincipalDimension.Member]: 'user_id' } as const;

/**
 * Usage by API key and by member, and latency percentiles, over a range and as a series, from
 * the rollups the recorder keeps beside usage_hourly (usage_hourly_principals, latency_hourly).
 */
@Injectable()
export class AnalyticsBreakdownsService {
  constructor(
    private readonly analytics: AnalyticsRepository,
    private readonly clock: Clock,
  ) {}

  async byPrincipal(organizationId: string, query: PrincipalUsageQueryDto): Promise<PrincipalUsageResponseDto> {
    const { zone, range } = seriesRange(query, this.clock.now().getTime());
    const rows = await this.analytics.sumByBucketAndPrincipal(
      organizationId,
      range,
      bucketStarts(zone, range, query.granularity),
      COLUMN[query.by],
    );
    const totals = new Map<string, BucketPrincipalSums>();
    const buckets = new Map<number, PrincipalUsageDto[]>();
    for (const row of rows) {
      const total = totals.get(row.principal);
      totals.set(row.principal, total ? addPrincipalSums(total, row) : { ...row });
      buckets.set(row.bucketStart, [...(buckets.get(row.bucketStart) ?? []), toPrincipalUsage(row)]);
    }
    const response: PrincipalUsageResponseDto = {
      start: iso(range.start),
      end: iso(range.end),
      timezone: zone.name,
      granularity: query.granularity ?? null,
      by: query.by,
      principals: [...totals.values()]
        .sort((a, b) =>
          b.costTotalNanoUsd > a.costTotalNanoUsd ? 1 : b.costTotalNanoUsd < a.costTotalNanoUsd ? -1 : 0,
        )
        .map(toPrincipalUsage),
    };
    if (query.granularity) {
      response.series = [...buckets.entries()]
        .sort(([a], [b]) => a - b)
        .map(([start, principals]) => ({ bucket_start: iso(start), principals }));
    }
    return response;
  }

  async latency(organizationId: string, query: TokenAnalyticsQueryDto): Promise<LatencyAnalyticsResponseDto> {
    const { zone, range } = seriesRange(query, this.clock.now().getTime());
    const rows = await this.analytics.latencyHistograms(
      organizationId,
      range,
      bucketStarts(zone, range, query.granularity),
    );
    const response: LatencyAnalyticsResponseDto = {
      start: iso(range.start),
      end: iso(range.end),
      timezone: zone.name,
      granularity: query.granularity ?? null,
      totals: latencyFigures(rows),
    };
    if (query.granularity) {
      const buckets = new Map<number, LatencyCounts[]>();
      for (const row of rows) buckets.set(row.bucketStart, [...(buckets.get(row.bucketStart) ?? []), row]);
      response.series = [...buckets.entries()]
        .sort(([a], [b]) => a - b)
        .map(([start, counts]) => ({ bucket_start: iso(start), ...latencyFigures(counts) }));
    }
    return response;
  }
}

function addPrincipalSums(into: BucketPrincipalSums, more: BucketPrincipalSums): BucketPrincipalSums {
  into.requests += more.requests;
  into.errorRequests += more.errorRequests;
  into.unpricedRequests += more.unpricedRequests;
  into.inputTokens += more.inputTokens;
  into.outputTokens += more.outputTokens;
  into.cacheTokens += more.cacheTokens;
  into.costTotalNanoUsd += more.costTotalNanoUsd;
  return into;
}

function toPrincipalUsage(s: BucketPrincipalSums): PrincipalUsageDto {
  return {
    id: s.principal === NO_PRINCIPAL ? null : s.principal,
    requests: count(s.requests),
    error_requests: count(s.errorRequests),
    unpriced_requests: count(s.unpricedRequests),
    input_tokens: count(s.inputTokens),
    output_tokens: count(s.outputTokens),
    total_tokens: count(s.inputTokens + s.outputTokens + s.cacheTokens),
    cost_usd: nanoToUsdExact(s.costTotalNanoUsd),
  };
}

/** Both metrics' call counts and p50/p95 from one bucket's (or the range's) histogram rows. */
function latencyFigures(rows: LatencyCounts[]): LatencyFiguresDto {
  const latency = histogram(rows, 'latency');
  const ttft = histogram(rows, 'ttft');
  return {
    requests: latency.total,
    latency_p50_ms: percentile(latency, 0.5),
    latency_p95_ms: percentile(latency, 0.95),
    ttft_requests: ttft.total,
    ttft_p50_ms: percentile(ttft, 0.5),
    ttft_p95_ms: percentile(ttft, 0.95),
  };
}

interface Histogram {
  /** Calls per latency bucket, ascending by bucket. */
  counts: [number, number][];
  total: number;
}

function histogram(rows: LatencyCounts[], metric: 'latency' | 'ttft'): Histogram {
  const counts = new Map<number, number>();
  for (const row of rows) {
    if (row.metric === metric) counts.set(row.histogramBucket, (counts.get(row.histogramBucket) ?? 0) + row.requests);
  }
  const sorted = [...counts.entries()].sort(([a], [b]) => a - b);
  return { counts: sorted, total: sorted.reduce((sum, [, n]) => sum + n, 0) };
}

/** The middle (geometric) of the bucket holding the q-quantile call, in whole milliseconds; null without calls. */
function percentile({ counts, total }: Histogram, q: number): number | null {
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [bucket, n] of counts) {
    seen += n;
    if (seen >= rank) return Math.round(LATENCY_BUCKET_BASE ** (bucket + 0.5));
  }
  return null;
}

const iso = (ms: number) => new Date(ms).toISOString();
