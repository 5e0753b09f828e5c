import type { CostByBucketDto, CostSplitDto, UsageFiguresDto } from './dto/analytics.dto';

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
];

export function zeroSums(): UsageSums {
  return Object.fromEntries(KEYS.map((k) => [k, 0n])) as unknown as UsageSums;
}

export function addSums(into: UsageSums, more: UsageSums): UsageSums {
  for (const key of KEYS) into[key] += more[key];
  return into;
}

export function totalTokens(s: Pick<UsageSums, 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWrite5mTokens' | 'cacheWrite1hTokens'>): bigint {
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

export function costByBucket(s: Pick<UsageSums, 'costInputNanoUsd' | 'costOutputNanoUsd' | 'costCacheReadNanoUsd' | 'costCacheWrite5mNanoUsd' | 'costCacheWrite1hNanoUsd'>): CostByBucketDto {
  return {
    input: nanoToUsdExact(s.costInputNanoUsd),
    output: nanoToUsdExact(s.costOutputNanoUsd),
    cache_read: nanoToUsdExact(s.costCacheReadNanoUsd),
    cache_write_5m: nanoToUsdExact(s.costCacheWrite5mNanoUsd),
    cache_write_1h: nanoToUsdExact(s.costCacheWrite1hNanoUsd),
  };
}

/** The total split into tokens at their tiers' rates, tool fees, and what multipliers added. */
export function costSplit(s: Pick<UsageSums, 'costTotalNanoUsd' | 'costToolsNanoUsd' | 'costMultipliersNanoUsd'>): CostSplitDto {
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
  };
}
