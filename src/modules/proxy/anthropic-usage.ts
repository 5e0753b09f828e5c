import type { CallUsage, IterationUsage, TokenUsage } from './pricing/pricing';

/** Anthropic's `usage` object as it appears in responses and stream events. */
export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_creation?: { ephemeral_5m_input_tokens?: number | null; ephemeral_1h_input_tokens?: number | null } | null;
  server_tool_use?: { web_search_requests?: number | null; web_fetch_requests?: number | null } | null;
  service_tier?: string | null;
  inference_geo?: string | null;
  speed?: string | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
  iterations?: (AnthropicUsage & { type?: string; model?: string | null })[] | null;
}

/** A usage object as Anthropic sent it (merged across a stream's events), kept verbatim as JSON. */
export type RawUsage = Record<string, unknown>;

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

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The usage of a stream as one object: what `message_start` said, with every field a later
 * `message_delta` carries laid over it (objects field by field, arrays whole). A null or absent
 * field keeps the earlier value, as in mergeUsage.
 */
export function mergeRawUsage(known: RawUsage | null, usage: unknown): RawUsage | null {
  if (!isPlainObject(usage)) return known;
  const next: RawUsage = { ...(known ?? {}) };
  for (const [key, value] of Object.entries(usage)) {
    if (value === null || value === undefined) {
      if (!(key in next)) next[key] = value ?? null;
      continue;
    }
    next[key] = isPlainObject(value) && isPlainObject(next[key]) ? mergeRawUsage(next[key], value) : value;
  }
  return next;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * Everything in a usage object that bears on price. The token buckets are `tokens` (the same
 * reading the interaction's token columns get); the rest comes from the raw object.
 */
export function callUsageOf(raw: RawUsage | null, tokens: TokenUsage): CallUsage {
  const usage = (raw ?? {}) as AnthropicUsage;
  const iterations: IterationUsage[] = Array.isArray(usage.iterations)
    ? usage.iterations.filter(isPlainObject).map((it) => ({
        ...mergeUsage(ZERO_USAGE, it),
        type: text(it.type) ?? 'message',
        model: text(it.model),
      }))
    : [];
  return {
    ...tokens,
    webSearchRequests: count(usage.server_tool_use?.web_search_requests) ?? 0,
    webFetchRequests: count(usage.server_tool_use?.web_fetch_requests) ?? 0,
    serviceTier: text(usage.service_tier),
    inferenceGeo: text(usage.inference_geo),
    speed: text(usage.speed),
    thinkingTokens: count(usage.output_tokens_details?.thinking_tokens) ?? null,
    iterations,
  };
}

/** A stored usage object read back for repricing: its buckets as the recorder read them, and the rest. */
export function callUsageFromRaw(raw: RawUsage | null): CallUsage {
  return callUsageOf(raw, mergeUsage(ZERO_USAGE, raw));
}
