import { Type } from 'class-transformer';
import { IsEnum, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { InteractionPageQueryDto } from '../../../common/dto/interaction-page-query.dto';

/** An RFC 3339 time with its offset (or Z), or a plain date meaning UTC midnight; never a zone-less time. */
const EXPLICIT_INSTANT = /^\d{4}-\d{2}-\d{2}$|(?:Z|[+-]\d{2}:?\d{2})$/i;

export enum Granularity {
  Hour = 'hour',
  Day = 'day',
}

export class TokenAnalyticsQueryDto {
  /**
   * Start of the range (RFC 3339 with an offset, or a date meaning UTC midnight); rounded down to
   * the hour. Default: 30 days before `end`.
   * @example "2026-11-01T00:00:00Z"
   */
  @IsOptional()
  @IsISO8601({ strict: true })
  @Matches(EXPLICIT_INSTANT, { message: 'start must carry a UTC offset (e.g. Z) or be a plain date' })
  start?: string;

  /**
   * End of the range, exclusive; rounded up to the hour. Default: the end of the current hour.
   * @example "2026-12-01T00:00:00Z"
   */
  @IsOptional()
  @IsISO8601({ strict: true })
  @Matches(EXPLICIT_INSTANT, { message: 'end must carry a UTC offset (e.g. Z) or be a plain date' })
  end?: string;

  /** Adds a time series with one bucket per hour or per day (buckets without usage are left out). */
  @IsOptional()
  @IsEnum(Granularity)
  granularity?: Granularity;

  /**
   * IANA time zone whose midnights start the `day` buckets; UTC when omitted. Zones whose
   * midnight does not fall on a whole UTC hour (e.g. Asia/Kolkata) are refused with 400.
   * @example "Europe/Paris"
   */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  tz?: string;
}

export class UsageSummaryQueryDto {
  /**
   * IANA time zone for "today", "this week" (from Monday) and "this month"; UTC when omitted.
   * Zones whose midnight does not fall on a whole UTC hour (e.g. Asia/Kolkata) are refused with 400.
   * @example "America/New_York"
   */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  tz?: string;
}

export enum SessionSort {
  StartTime = 'start_time',
  Cost = 'cost',
  Tokens = 'tokens',
}

export enum SortOrder {
  Asc = 'asc',
  Desc = 'desc',
}

export class ListAnalyticsSessionsQueryDto {
  /** Sessions per page (1–500). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  /** Sessions to skip. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  offset?: number;

  /** Sort key: start time (default), total cost, or total tokens (every bucket). */
  @IsOptional()
  @IsEnum(SessionSort)
  sort?: SessionSort;

  /** Default: descending. */
  @IsOptional()
  @IsEnum(SortOrder)
  order?: SortOrder;
}

export class AnalyticsSessionQueryDto extends InteractionPageQueryDto {}

/** Cost per token bucket in USD, exact to the nano-dollar. */
export class CostByBucketDto {
  input: number;
  output: number;
  cache_read: number;
  cache_write_5m: number;
  cache_write_1h: number;
}

/** The cost split by what was billed (docs/cost.md); the three add up to `cost_usd`. */
export class CostSplitDto {
  /**
   * Tokens at their models' and tiers' rates, before multipliers.
   * @example 0.0105
   */
  tokens: number;
  /**
   * Server-tool fees (web search at $10 per 1,000).
   * @example 0.03
   */
  tool_fees: number;
  /**
   * What multipliers added: data residency and fast mode add, the batch discount subtracts.
   * @example 0
   */
  multipliers: number;
}

export class UsageFiguresDto {
  requests: number;
  /** Calls whose outcome was not `ok` (errors, cancels, upstream failures). */
  error_requests: number;
  /** Calls to models the pricing table does not price: their cost is unknown, not zero. */
  unpriced_requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_5m_tokens: number;
  cache_write_1h_tokens: number;
  /** Every bucket together. */
  total_tokens: number;
  /**
   * Cost of the priced calls in USD, exact to the nano-dollar.
   * @example 0.012345
   */
  cost_usd: number;
  cost_by_bucket_usd: CostByBucketDto;
  cost_split_usd: CostSplitDto;
  /**
   * What cache reads saved: the same tokens at the input rate, less what they cost as cache reads.
   * @example 0.0486
   */
  cache_savings_usd: number;
}

export class ModelUsageDto extends UsageFiguresDto {
  /** @example "claude-sonnet-4-20250514" */
  model: string;
}

export class UsageBucketDto extends UsageFiguresDto {
  /** Start of the bucket (RFC 3339, UTC). */
  bucket_start: string;
  models: ModelUsageDto[];
}

export class TokenAnalyticsResponseDto {
  /** The range served, after rounding to whole hours. */
  start: string;
  end: string;
  timezone: string;
  granularity: Granularity | null;
  totals: UsageFiguresDto;
  /** One entry per model used in the range. */
  models: ModelUsageDto[];
  /** With `granularity`: the buckets that had usage, oldest first. */
  series?: UsageBucketDto[];
}

export class PeriodFiguresDto {
  /** Start of the period (RFC 3339, UTC). */
  start: string;
  /** End of the period served, exclusive: the end of the current hour, or the comparable point of the previous period. */
  end: string;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_5m_tokens: number;
  cache_write_1h_tokens: number;
  total_tokens: number;
  cost_usd: number;
  unpriced_requests: number;
}

/** This period minus the previous one; percentages are null when the previous figure is 0. */
export class UsageChangeDto {
  requests: number;
  total_tokens: number;
  cost_usd: number;
  requests_percent: number | null;
  total_tokens_percent: number | null;
  cost_percent: number | null;
}

export class PeriodSummaryDto extends PeriodFiguresDto {
  /** The same length of time from the start of the previous period (capped at its end). */
  previous: PeriodFiguresDto;
  change: UsageChangeDto;
}

export class UsageSummaryResponseDto {
  /** @example "UTC" */
  timezone: string;
  /** When the summary was computed. */
  as_of: string;
  today: PeriodSummaryDto;
  /** From Monday. */
  this_week: PeriodSummaryDto;
  this_month: PeriodSummaryDto;
}

export class AnalyticsSessionDto {
  /**
   * The session's UUID.
   * @example "a0c2b1e2-fd3e-4567-890a-bcdef1234567"
   */
  session_uuid: string;
  /**
   * The client's session id (external id).
   * @example "my-app-session-123"
   */
  session_id: string;
  /** @example null */
  title: string | null;
  /**
   * When the session's first call arrived.
   * @example "2025-01-15T10:00:00Z"
   */
  start_time: string;
  /**
   * The end of its latest call.
   * @example "2025-01-15T11:30:00Z"
   */
  end_time: string;
  /** @example null */
  released_at: string | null;
  /** @example 15 */
  total_requests: number;
  /** @example 12450 */
  total_input_tokens: number;
  /** @example 8320 */
  total_output_tokens: number;
  /** @example 0 */
  total_cache_read_tokens: number;
  /** @example 0 */
  total_cache_write_5m_tokens: number;
  /** @example 0 */
  total_cache_write_1h_tokens: number;
  /** @example 20770 */
  total_tokens: number;
  /** Cost of the session's priced calls in USD, exact to the nano-dollar. */
  total_cost_usd: number;
  /** @example 0 */
  unpriced_requests: number;
}

export class AnalyticsSessionListResponseDto {
  sessions: AnalyticsSessionDto[];
  /** Live sessions of the organization in all. */
  total_count: number;
  limit: number;
  offset: number;
  sort: SessionSort;
  order: SortOrder;
}

export class AnalyticsInteractionDto {
  interaction_id: string;
  /**
   * When the call started (RFC 3339, UTC).
   * @example "2025-01-15T10:00:00Z"
   */
  timestamp: string;
  ended_at: string;
  /** @example "claude-sonnet-4-20250514" */
  model: string;
  /** @example false */
  stream: boolean;
  /** @example 200 */
  http_status: number;
  /** ok, error, cancelled or upstream_error. */
  outcome: string;
  /** @example "end_turn" */
  stop_reason: string | null;
  /** @example 120 */
  input_tokens: number;
  /** @example 85 */
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_5m_tokens: number;
  cache_write_1h_tokens: number;
  total_tokens: number;
  /** Null when the model is not priced. */
  cost_usd: number | null;
  cost_by_bucket_usd: CostByBucketDto | null;
  latency_ms: number;
  time_to_first_token_ms: number | null;
}

export class CacheWriteMixDto {
  /** @example 3000 */
  five_minute_tokens: number;
  /** @example 4000 */
  one_hour_tokens: number;
  /**
   * Share of cache-write tokens with the 5-minute TTL; null without writes.
   * @example 0.428571
   */
  five_minute_share: number | null;
  /** @example 0.571429 */
  one_hour_share: number | null;
  /** What the 5-minute writes cost. @example 0.01125 */
  five_minute_usd: number;
  /** @example 0.024 */
  one_hour_usd: number;
}

/** What prompt caching did (docs/cost.md, "Cache insights"). */
export class CacheInsightsDto {
  /**
   * Tokens read from the cache over all input tokens (uncached input, cache reads and cache writes); null without input.
   * @example 0.5229
   */
  hit_rate: number | null;
  /** All input tokens: uncached, read from cache, written to cache. @example 15300 */
  input_tokens: number;
  /** @example 8000 */
  cache_read_tokens: number;
  /**
   * What the cache reads saved: their tokens at the uncached input rate (same tier and multipliers) less what they cost.
   * @example 0.0216
   */
  saved_usd: number;
  /** What all cache writes cost. @example 0.03525 */
  cache_write_usd: number;
  /** Calls whose cache write was not read again in the session within its TTL (5 minutes or 1 hour). @example 1 */
  unread_writes: number;
  /** What those unread writes cost. @example 0.0075 */
  unread_write_usd: number;
  /** Calls whose cache write is not read yet and whose TTL has not run out. @example 1 */
  pending_writes: number;
  /** @example 0.00375 */
  pending_write_usd: number;
  write_mix: CacheWriteMixDto;
}

export class CacheAnalyticsQueryDto {
  /**
   * Start of the range (as for /tokens); rounded down to the hour. Default: 30 days before `end`. Ignored with `session_id`.
   * @example "2026-11-01T00:00:00Z"
   */
  @IsOptional()
  @IsISO8601({ strict: true })
  @Matches(EXPLICIT_INSTANT, { message: 'start must carry a UTC offset (e.g. Z) or be a plain date' })
  start?: string;

  /**
   * End of the range, exclusive; rounded up to the hour. Default: the end of the current hour. At most 32 days after `start`.
   * @example "2026-11-30T00:00:00Z"
   */
  @IsOptional()
  @IsISO8601({ strict: true })
  @Matches(EXPLICIT_INSTANT, { message: 'end must carry a UTC offset (e.g. Z) or be a plain date' })
  end?: string;

  /**
   * One session (UUID or external id) instead of a range: its calls, whenever they were made.
   * @example "my-app-session-123"
   */
  @IsOptional()
  @IsString()
  @MaxLength(255)
  session_id?: string;
}

export class CacheAnalyticsResponseDto extends CacheInsightsDto {
  /** The range served (null for a session). */
  start: string | null;
  end: string | null;
  /** The session's external id when one was asked for (as everywhere under /spotlight/analytics). */
  session_id: string | null;
}

export class AnalyticsSessionDetailResponseDto {
  session: AnalyticsSessionDto;
  /** What prompt caching did in this session. */
  cache: CacheInsightsDto;
  /** A page of the session's calls, oldest first. */
  interactions: AnalyticsInteractionDto[];
  total_count: number;
  limit: number;
  offset: number;
}
