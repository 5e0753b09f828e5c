import type { TokenUsage } from './pricing/pricing';

/** Anthropic's `usage` object as it appears in responses and stream events. */
export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_creation?: { ephemeral_5m_input_tokens?: number | null; ephemeral_1h_input_tokens?: number | null } | null;
}

export const ZERO_USAGE: TokenUsage = {
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWrite5mTokens: 0,
  cacheWrite1hTokens: 0,
};

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;

/**
 * Folds a usage object into what is known so far. A field the object does not carry keeps its
 * earlier value; a field it carries, even an explicit 0, replaces it. Cache writes are split by
 * TTL from `cache_creation`; without that breakdown they are all 5-minute writes (the default TTL).
 */
export function mergeUsage(known: TokenUsage, usage: AnthropicUsage | null | undefined): TokenUsage {
  if (!usage || typeof usage !== 'object') return known;
  const next = { ...known };
  next.inputTokens = count(usage.input_tokens) ?? next.inputTokens;
  next.outputTokens = count(usage.output_tokens) ?? next.outputTokens;
  next.cacheReadTokens = count(usage.cache_read_input_tokens) ?? next.cacheReadTokens;
  const fiveMinutes = count(usage.cache_creation?.ephemeral_5m_input_tokens);
  const oneHour = count(usage.cache_creation?.ephemeral_1h_input_tokens);
  if (fiveMinutes !== undefined || oneHour !== undefined) {
    next.cacheWrite5mTokens = fiveMinutes ?? 0;
    next.cacheWrite1hTokens = oneHour ?? 0;
  } else {
    const total = count(usage.cache_creation_input_tokens);
    if (total !== undefined) {
      next.cacheWrite5mTokens = total;
      next.cacheWrite1hTokens = 0;
    }
  }
  return next;
}
