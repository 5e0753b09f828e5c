import { Injectable } from '@nestjs/common';
import { InteractionsService, type InteractionView } from '../recording/interactions.service';
import type { SessionSummary } from '../sessions/session.repository';
import { SessionsService } from '../sessions/sessions.service';
import { AnalyticsErrors } from './analytics.errors';
import { Clock } from '../../common/time/clock.service';
import { AnalyticsRepository, type BucketModelSums, type HourRange } from './analytics.repository';
import {
  type AnalyticsInteractionDto,
  type AnalyticsSessionDetailResponseDto,
  type AnalyticsSessionDto,
  type AnalyticsSessionListResponseDto,
  type AnalyticsSessionQueryDto,
  type CacheAnalyticsQueryDto,
  type CacheAnalyticsResponseDto,
  type CacheInsightsDto,
  Granularity,
  type ListAnalyticsSessionsQueryDto,
  type ModelUsageDto,
  type PeriodFiguresDto,
  type PeriodSummaryDto,
  SessionSort,
  SortOrder,
  type TokenAnalyticsQueryDto,
  type TokenAnalyticsResponseDto,
  type UsageBucketDto,
  type UsageSummaryQueryDto,
  type UsageSummaryResponseDto,
} from './dto/analytics.dto';
import { ceilToHour, floorToHour, HOUR_MS, isWholeHour, TimeZone } from './time-zone';
import {
  addSums,
  costByBucket,
  count,
  nanoToUsdExact,
  toCacheInsights,
  toUsageFigures,
  totalTokens,
  type UsageSums,
  zeroSums,
} from './usage-figures';

const DAY_MS = 24 * HOUR_MS;
const DEFAULT_RANGE_MS = 30 * DAY_MS;
/** A year and a bit, so a whole calendar year fits whatever the rounding. */
const MAX_RANGE_MS = 400 * DAY_MS;
/** An hourly series covers at most a month and a bit (at most 768 buckets). */
const MAX_HOURLY_RANGE_MS = 32 * DAY_MS;

const DEFAULT_SESSIONS_LIMIT = 50;
const DEFAULT_INTERACTIONS_LIMIT = 100;

/** The sessions list's sort keys, as the sessions module names them. */
const SORT_KEYS = {
  [SessionSort.StartTime]: 'createdAt',
  [SessionSort.Cost]: 'cost',
  [SessionSort.Tokens]: 'tokens',
} as const;

/**
 * Usage analytics of the current organization, served from the hourly rollups and the
 * sessions' running totals. Rollups are per UTC hour, so every range is a whole number of hours
 * and a time zone is usable only where its period boundaries fall on whole UTC hours.
 */
@Injectable()
export class AnalyticsService {
  constructor(
    private readonly analytics: AnalyticsRepository,
    private readonly sessions: SessionsService,
    private readonly interactions: InteractionsService,
    private readonly clock: Clock,
  ) {}

  async tokens(organizationId: string, query: TokenAnalyticsQueryDto): Promise<TokenAnalyticsResponseDto> {
    const { zone, range } = seriesRange(query, this.clock.now().getTime());
    const { start, end } = range;
    const byModel = await this.analytics.sumByModel(organizationId, range);
    const totals = byModel.reduce((sum, row) => addSums(sum, row), zeroSums());
    const response: TokenAnalyticsResponseDto = {
      start: iso(start),
      end: iso(end),
      timezone: zone.name,
      granularity: query.granularity ?? null,
      totals: toUsageFigures(totals),
      models: byModel.map(toModelUsage),
    };
    if (query.granularity === Granularity.Hour) {
      response.series = toSeries(await this.analytics.sumByHourAndModel(organizationId, range));
    } else if (query.granularity === Granularity.Day) {
      const starts = dayStarts(zone, range);
      response.series = toSeries(await this.analytics.sumByBucketAndModel(organizationId, range, starts));
    }
    return response;
  }

  /**
   * Today, this week (from Monday) and this month in the zone, each up to the end of the current
   * hour, against the same length of time from the start of the previous period.
   */
  async usageSummary(organizationId: string, query: UsageSummaryQueryDto): Promise<UsageSummaryResponseDto> {
    const now = this.clock.now().getTime();
    const zone = resolveZone(query.tz);
    const servedEnd = floorToHour(now) + HOUR_MS;
    const periods = [
      { start: zone.startOfDay(now), previous: (t: number) => zone.addDays(t, -1) },
      { start: zone.startOfWeek(now), previous: (t: number) => zone.addDays(t, -7) },
      { start: zone.startOfMonth(now), previous: (t: number) => zone.addMonths(t, -1) },
    ].map(({ start, previous }) => {
      const previousStart = previous(start);
      const current: HourRange = { start, end: servedEnd };
      const before: HourRange = { start: previousStart, end: Math.min(previousStart + (servedEnd - start), start) };
      return { current, before };
    });
    const boundaries = periods.flatMap((p) => [p.current.start, p.before.start, p.before.end]);
    requireHourAligned(zone, boundaries);

    const sums = await this.analytics.sumRanges(
      organizationId,
      periods.flatMap((p) => [p.current, p.before]),
    );
    const summarize = (i: number): PeriodSummaryDto => {
      const current = sums[2 * i];
      const previous = sums[2 * i + 1];
      return {
        ...toPeriodFigures(periods[i].current, current),
        previous: toPeriodFigures(periods[i].before, previous),
        change: {
          requests: count(current.requests - previous.requests),
          total_tokens: count(totalTokens(current) - totalTokens(previous)),
          cost_usd: nanoToUsdExact(current.costTotalNanoUsd - previous.costTotalNanoUsd),
          requests_percent: percentChange(current.requests, previous.requests),
          total_tokens_percent: percentChange(totalTokens(current), totalTokens(previous)),
          cost_percent: percentChange(current.costTotalNanoUsd, previous.costTotalNanoUsd),
        },
      };
    };
    return {
      timezone: zone.name,
      as_of: iso(now),
      today: summarize(0),
      this_week: summarize(1),
      this_month: summarize(2),
    };
  }

  async listSessions(
    organizationId: string,
    query: ListAnalyticsSessionsQueryDto,
  ): Promise<AnalyticsSessionListResponseDto> {
    const page = {
      limit: query.limit ?? DEFAULT_SESSIONS_LIMIT,
      offset: query.offset ?? 0,
      sort: query.sort ?? SessionSort.StartTime,
      order: query.order ?? SortOrder.Desc,
    };
    const { rows, totalCount } = await this.sessions.pageSorted(organizationId, {
      limit: page.limit,
      offset: page.offset,
      sort: SORT_KEYS[page.sort],
      descending: page.order === SortOrder.Desc,
    });
    return { sessions: rows.map(toAnalyticsSession), total_count: totalCount, ...page };
  }

  /** A session of the organization (by UUID or external id) and a page of its calls. */
  async getSession(
    organizationId: string,
    idOrExternalId: string,
    query: AnalyticsSessionQueryDto,
  ): Promise<AnalyticsSessionDetailResponseDto> {
    const session = await this.sessions.findVisible(organizationId, idOrExternalId);
    if (!session) throw AnalyticsErrors.sessionNotFound();
    const page = { limit: query.limit ?? DEFAULT_INTERACTIONS_LIMIT, offset: query.offset ?? 0 };
    const interactions = await this.interactions.pageOfSession(organizationId, session.id, {
      ...page,
      withContent: false,
    });
    return {
      session: toAnalyticsSession(session),
      cache: await this.sessionCache(organizationId, session.id),
      interactions: interactions.map(toAnalyticsInteraction),
      total_count: count(session.requestCount),
      ...page,
    };
  }

  /**
   * What prompt caching did: in one session (its calls, whenever made), or in the organization
   * over a range of at most 32 days (tokens and savings from the rollups; the outcomes of the
   * cache writes from the calls that wrote in the range).
   */
  async cache(organizationId: string, query: CacheAnalyticsQueryDto): Promise<CacheAnalyticsResponseDto> {
    if (query.session_id !== undefined) {
      const session = await this.sessions.findVisible(organizationId, query.session_id);
      if (!session) throw AnalyticsErrors.sessionNotFound();
      return {
        start: null,
        end: null,
        session_id: session.externalId,
        ...(await this.sessionCache(organizationId, session.id)),
      };
    }
    const now = this.clock.now().getTime();
    const end = query.end ? ceilToHour(parseInstant(query.end, 'end')) : floorToHour(now) + HOUR_MS;
    const start = query.start ? floorToHour(parseInstant(query.start, 'start')) : end - DEFAULT_RANGE_MS;
    if (start >= end) throw AnalyticsErrors.invalidRange();
    if (end - start > MAX_HOURLY_RANGE_MS) throw AnalyticsErrors.rangeTooLarge('Cache insights cover at most 32 days');
    const range: HourRange = { start, end };
    const [sums] = await this.analytics.sumRanges(organizationId, [range]);
    const outcomes = await this.interactions.cacheWriteOutcomesInRange(organizationId, range, now);
    return {
      start: iso(start),
      end: iso(end),
      session_id: null,
      ...toCacheInsights(sums, outcomes),
    };
  }

  /** What prompt caching did in one session (for the session reads and the share views). */
  async sessionCache(organizationId: string, sessionId: string): Promise<CacheInsightsDto> {
    const now = this.clock.now().getTime();
    const [sums, outcomes] = await Promise.all([
      this.interactions.cacheSumsOfSession(organizationId, sessionId),
      this.interactions.cacheWriteOutcomesOfSession(organizationId, sessionId, now),
    ]);
    return toCacheInsights(sums, outcomes);
  }
}

/** The validator accepts a few ISO 8601 forms the runtime cannot read (`2026-11-23T10Z`); those are refused here. */
/**
 * The whole hours a series query covers (default: the 30 days up to the end of the current hour)
 * and the zone of its day buckets; refuses an empty or too long range.
 */
export function seriesRange(query: TokenAnalyticsQueryDto, now: number): { zone: TimeZone; range: HourRange } {
  const zone = resolveZone(query.tz);
  const end = query.end ? ceilToHour(parseInstant(query.end, 'end')) : floorToHour(now) + HOUR_MS;
  const start = query.start ? floorToHour(parseInstant(query.start, 'start')) : end - DEFAULT_RANGE_MS;
  if (start >= end) throw AnalyticsErrors.invalidRange();
  if (end - start > MAX_RANGE_MS) throw AnalyticsErrors.rangeTooLarge('The range may span at most 400 days');
  if (query.granularity === Granularity.Hour && end - start > MAX_HOURLY_RANGE_MS) {
    throw AnalyticsErrors.rangeTooLarge('An hourly series may span at most 32 days; use granularity=day');
  }
  return { zone, range: { start, end } };
}

/** Where each bucket of a series starts: every hour, every midnight in the zone, or the range's start alone. */
export function bucketStarts(zone: TimeZone, range: HourRange, granularity: Granularity | undefined): number[] {
  if (granularity === Granularity.Day) return dayStarts(zone, range);
  if (granularity !== Granularity.Hour) return [range.start];
  const starts: number[] = [];
  for (let hour = range.start; hour < range.end; hour += HOUR_MS) starts.push(hour);
  return starts;
}

function parseInstant(value: string, field: string): number {
  const instant = Date.parse(value);
  if (Number.isNaN(instant)) throw AnalyticsErrors.invalidTime(field);
  return instant;
}

function resolveZone(name: string | undefined): TimeZone {
  if (name === undefined) return TimeZone.UTC;
  const zone = TimeZone.of(name);
  if (!zone) throw AnalyticsErrors.invalidTimeZone();
  return zone;
}

/** Rollups are per UTC hour: a boundary inside an hour cannot be served exactly, so it is refused. */
function requireHourAligned(zone: TimeZone, instants: number[]): void {
  const misaligned = instants.find((t) => !isWholeHour(t));
  if (misaligned !== undefined) throw AnalyticsErrors.timeZoneNotHourAligned(zone.name, zone.formatOffset(misaligned));
}

/** The starts of the zone's calendar days in the range; the first is the range's own start. */
function dayStarts(zone: TimeZone, range: HourRange): number[] {
  const starts = [range.start];
  for (let day = zone.addDays(range.start, 1); day < range.end; day = zone.addDays(day, 1)) starts.push(day);
  requireHourAligned(zone, starts);
  return starts;
}

function toSeries(rows: BucketModelSums[]): UsageBucketDto[] {
  const buckets = new Map<number, { sums: UsageSums; models: ModelUsageDto[] }>();
  for (const row of rows) {
    const bucket = buckets.get(row.bucketStart) ?? { sums: zeroSums(), models: [] };
    addSums(bucket.sums, row);
    bucket.models.push(toModelUsage(row));
    buckets.set(row.bucketStart, bucket);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([bucketStart, bucket]) => ({
      bucket_start: iso(bucketStart),
      ...toUsageFigures(bucket.sums),
      models: bucket.models,
    }));
}

function toModelUsage(row: UsageSums & { model: string }): ModelUsageDto {
  return { model: row.model, ...toUsageFigures(row) };
}

function toPeriodFigures(range: HourRange, s: UsageSums): PeriodFiguresDto {
  return {
    start: iso(range.start),
    end: iso(range.end),
    requests: count(s.requests),
    input_tokens: count(s.inputTokens),
    output_tokens: count(s.outputTokens),
    cache_read_tokens: count(s.cacheReadTokens),
    cache_write_5m_tokens: count(s.cacheWrite5mTokens),
    cache_write_1h_tokens: count(s.cacheWrite1hTokens),
    total_tokens: count(totalTokens(s)),
    cost_usd: nanoToUsdExact(s.costTotalNanoUsd),
    unpriced_requests: count(s.unpricedRequests),
  };
}

/** (current − previous) / previous in percent, to two decimals; null when there is nothing to compare with. */
export function percentChange(current: bigint, previous: bigint): number | null {
  if (previous === 0n) return null;
  return Math.round((Number(current - previous) / Number(previous)) * 10_000) / 100;
}

function toAnalyticsSession(s: SessionSummary): AnalyticsSessionDto {
  return {
    session_uuid: s.id,
    session_id: s.externalId,
    title: s.title ?? null,
    start_time: s.createdAt.toISOString(),
    end_time: s.lastActivityAt.toISOString(),
    released_at: s.releasedAt?.toISOString() ?? null,
    total_requests: count(s.requestCount),
    total_input_tokens: count(s.inputTokens),
    total_output_tokens: count(s.outputTokens),
    total_cache_read_tokens: count(s.cacheReadTokens),
    total_cache_write_5m_tokens: count(s.cacheWrite5mTokens),
    total_cache_write_1h_tokens: count(s.cacheWrite1hTokens),
    total_tokens: count(
      BigInt(s.inputTokens) +
        BigInt(s.outputTokens) +
        BigInt(s.cacheReadTokens) +
        BigInt(s.cacheWrite5mTokens) +
        BigInt(s.cacheWrite1hTokens),
    ),
    total_cost_usd: nanoToUsdExact(s.costNanoUsd),
    unpriced_requests: count(s.unpricedRequests),
  };
}

function toAnalyticsInteraction(i: InteractionView): AnalyticsInteractionDto {
  const cost = i.cost;
  return {
    interaction_id: i.id,
    timestamp: i.startedAt.toISOString(),
    ended_at: i.endedAt.toISOString(),
    model: i.model,
    stream: i.stream,
    http_status: i.httpStatus,
    outcome: i.outcome,
    stop_reason: i.stopReason,
    input_tokens: i.inputTokens,
    output_tokens: i.outputTokens,
    cache_read_tokens: i.cacheReadTokens,
    cache_write_5m_tokens: i.cacheWrite5mTokens,
    cache_write_1h_tokens: i.cacheWrite1hTokens,
    total_tokens: i.inputTokens + i.outputTokens + i.cacheReadTokens + i.cacheWrite5mTokens + i.cacheWrite1hTokens,
    cost_usd: cost ? nanoToUsdExact(cost.totalNanoUsd) : null,
    cost_by_bucket_usd: cost
      ? costByBucket({
          costInputNanoUsd: BigInt(cost.inputNanoUsd),
          costOutputNanoUsd: BigInt(cost.outputNanoUsd),
          costCacheReadNanoUsd: BigInt(cost.cacheReadNanoUsd),
          costCacheWrite5mNanoUsd: BigInt(cost.cacheWrite5mNanoUsd),
          costCacheWrite1hNanoUsd: BigInt(cost.cacheWrite1hNanoUsd),
        })
      : null,
    latency_ms: i.latencyMs,
    time_to_first_token_ms: i.timeToFirstTokenMs,
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
