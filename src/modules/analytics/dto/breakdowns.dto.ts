import { IsEnum } from 'class-validator';
import { Granularity, TokenAnalyticsQueryDto } from './analytics.dto';

export enum PrincipalDimension {
  ApiKey = 'api_key',
  Member = 'member',
}

export class PrincipalUsageQueryDto extends TokenAnalyticsQueryDto {
  /** Group by API key or by member (the user who made the call, or whose key it was). */
  @IsEnum(PrincipalDimension)
  by: PrincipalDimension;
}

export class PrincipalUsageDto {
  /** The API key's or member's id; null for calls without one (signed-in users have no key). */
  id: string | null;
  requests: number;
  error_requests: number;
  /** Calls to models the pricing table does not price: their cost is unknown, not zero. */
  unpriced_requests: number;
  input_tokens: number;
  output_tokens: number;
  /** Every bucket together, cache reads and writes included. */
  total_tokens: number;
  /** Cost of the priced calls in USD, exact to the nano-dollar. @example 0.012345 */
  cost_usd: number;
}

export class PrincipalBucketDto {
  /** Start of the bucket (RFC 3339, UTC). */
  bucket_start: string;
  principals: PrincipalUsageDto[];
}

export class PrincipalUsageResponseDto {
  /** The range served, after rounding to whole hours. */
  start: string;
  end: string;
  timezone: string;
  granularity: Granularity | null;
  by: PrincipalDimension;
  /** One entry per API key (or member) with calls in the range, highest cost first. */
  principals: PrincipalUsageDto[];
  /** With `granularity`: the buckets that had calls, oldest first. */
  series?: PrincipalBucketDto[];
}

/**
 * Percentiles from the latency histograms: each is the middle of its bucket, within 5% of the
 * exact value; null without calls.
 */
export class LatencyFiguresDto {
  requests: number;
  /** Whole call, from the request to the last byte. @example 840 */
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  /** Calls with a time to first token (to the first byte of the upstream's answer). */
  ttft_requests: number;
  ttft_p50_ms: number | null;
  ttft_p95_ms: number | null;
}

export class LatencyBucketDto extends LatencyFiguresDto {
  /** Start of the bucket (RFC 3339, UTC). */
  bucket_start: string;
}

export class LatencyAnalyticsResponseDto {
  start: string;
  end: string;
  timezone: string;
  granularity: Granularity | null;
  totals: LatencyFiguresDto;
  /** With `granularity`: the buckets that had calls, oldest first. */
  series?: LatencyBucketDto[];
}
