import type { CacheInsightsDto, CostByBucketDto, CostSplitDto, UsageFiguresDto } from './dto/analytics.dto';
import type { CacheWriteOutcomes, SessionCacheSums } from '../recording/interactions.service';

/** Summed rollup columns, kept as bigint so sums of nano-USD stay exact. */
export interface UsageSums {
  requests: bigint;
  errorRequests: bigint;
  unpricedRequests: bigint;
  inputTokens: bigint;
  outputTokens: bigint;
  cacheReadTokens: bigint;
  cacheWrite5mTokens: bigint;
  cacheWrite1hTokens: bigint;
  costInputNanoUsd: bigint;
  costOutputNanoUsd: bigint;
  costCacheReadNanoUsd: bigint;
  costCacheWrite5mNanoUsd: bigint;
  costCacheWrite1hNanoUsd: bigint;
  costTotalNanoUsd: bigint;
  /** Server-tool fees, within the total. */
  costToolsNanoUsd: bigint;
  /** What multipliers added to the buckets (negative for discounts), within the total. */
  costMultipliersNanoUsd: bigint;
  /** What cache reads saved against uncached input; not part of the cost. */
  costCacheSavingsNanoUsd: bigint;
}

const KEYS: (keyof UsageSums)[] = [
  'requests',
  'errorRequests',
  'unpricedRequests',
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
  'costToolsNanoUsd',
  'costMultipliersNanoUsd',
  'costCacheSavingsNanoUsd',
];

export function zeroSums(): UsageSums {
  return Object.fromEntries(KEYS.map((k) => [k, 0n])) as unknown as UsageSums;
}

export function addSums(into: UsageSums, more: UsageSums): UsageSums {
  for (const key of KEYS) into[key] += more[key];
  return into;
}

export function totalTokens(
  s: Pick<UsageSums, 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWrite5mTokens' | 'cacheWrite1hTokens'>,
): bigint {
  return s.inputTokens + s.outputTokens + s.cacheReadTokens + s.cacheWrite5mTokens + s.cacheWrite1hTokens;
}

/**
 * Nano-USD as a USD number, exact to the nano-dollar: the decimal is written out and read back,
 * so the result is the double nearest to the exact amount even beyond 2^53 nano-USD.
 */
export function nanoToUsdExact(nano: bigint | number): number {
  const value = BigInt(nano);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / 1_000_000_000n;
  const fraction = (abs % 1_000_000_000n).toString().padStart(9, '0');
  return Number(`${negative ? '-' : ''}${whole}.${fraction}`);
}

/** A count as a JSON number (counts of calls and tokens stay far below 2^53). */
export function count(value: bigint | number): number {
  return Number(value);
}

export function costByBucket(
  s: Pick<
    UsageSums,
    | 'costInputNanoUsd'
    | 'costOutputNanoUsd'
    | 'costCacheReadNanoUsd'
    | 'costCacheWrite5mNanoUsd'
    | 'costCacheWrite1hNanoUsd'
  >,
): CostByBucketDto {
  return {
    input: nanoToUsdExact(s.costInputNanoUsd),
    output: nanoToUsdExact(s.costOutputNanoUsd),
    cache_read: nanoToUsdExact(s.costCacheReadNanoUsd),
    cache_write_5m: nanoToUsdExact(s.costCacheWrite5mNanoUsd),
    cache_write_1h: nanoToUsdExact(s.costCacheWrite1hNanoUsd),
  };
}

/** The total split into tokens at their tiers' rates, tool fees, and what multipliers added. */
function costSplit(
  s: Pick<UsageSums, 'costTotalNanoUsd' | 'costToolsNanoUsd' | 'costMultipliersNanoUsd'>,
): CostSplitDto {
  return {
    tokens: nanoToUsdExact(s.costTotalNanoUsd - s.costToolsNanoUsd - s.costMultipliersNanoUsd),
    tool_fees: nanoToUsdExact(s.costToolsNanoUsd),
    multipliers: nanoToUsdExact(s.costMultipliersNanoUsd),
  };
}

export function toUsageFigures(s: UsageSums): UsageFiguresDto {
  return {
    requests: count(s.requests),
    error_requests: count(s.errorRequests),
    unpriced_requests: count(s.unpricedRequests),
    input_tokens: count(s.inputTokens),
    output_tokens: count(s.outputTokens),
    cache_read_tokens: count(s.cacheReadTokens),
    cache_write_5m_tokens: count(s.cacheWrite5mTokens),
    cache_write_1h_tokens: count(s.cacheWrite1hTokens),
    total_tokens: count(totalTokens(s)),
    cost_usd: nanoToUsdExact(s.costTotalNanoUsd),
    cost_by_bucket_usd: costByBucket(s),
    cost_split_usd: costSplit(s),
    cache_savings_usd: nanoToUsdExact(s.costCacheSavingsNanoUsd),
  };
}

/** What prompt caching did, from token and cost sums and the outcomes of the cache writes. */
export function toCacheInsights(s: SessionCacheSums, o: CacheWriteOutcomes): CacheInsightsDto {
  const allInput = s.inputTokens + s.cacheReadTokens + s.cacheWrite5mTokens + s.cacheWrite1hTokens;
  const writes = s.cacheWrite5mTokens + s.cacheWrite1hTokens;
  return {
    hit_rate: allInput === 0n ? null : Number(s.cacheReadTokens) / Number(allInput),
    input_tokens: count(allInput),
    cache_read_tokens: count(s.cacheReadTokens),
    saved_usd: nanoToUsdExact(s.costCacheSavingsNanoUsd),
    cache_write_usd: nanoToUsdExact(s.costCacheWrite5mNanoUsd + s.costCacheWrite1hNanoUsd),
    unread_writes: count(o.unreadWrites),
    unread_write_usd: nanoToUsdExact(o.unread5mNanoUsd + o.unread1hNanoUsd),
    pending_writes: count(o.pendingWrites),
    pending_write_usd: nanoToUsdExact(o.pending5mNanoUsd + o.pending1hNanoUsd),
    write_mix: {
      five_minute_tokens: count(s.cacheWrite5mTokens),
      one_hour_tokens: count(s.cacheWrite1hTokens),
      five_minute_share: writes === 0n ? null : Number(s.cacheWrite5mTokens) / Number(writes),
      one_hour_share: writes === 0n ? null : Number(s.cacheWrite1hTokens) / Number(writes),
      five_minute_usd: nanoToUsdExact(s.costCacheWrite5mNanoUsd),
      one_hour_usd: nanoToUsdExact(s.costCacheWrite1hNanoUsd),
    },
  };
}
