import { PricingTable, type TokenUsage } from '../proxy/pricing/pricing';

/** What a call may cost at most, before it is sent. */
export interface WorstCase {
  /** In micro-USD (rounded up). */
  microUsd: number;
  tokens: number;
}

/** Output tokens assumed when a request names no max_tokens (Anthropic requires it; a bad request costs nothing). */
const DEFAULT_MAX_TOKENS = 4_096;

/**
 * The most a Messages call can cost: every byte of the request counted as a prompt token (a token
 * is never shorter than one byte of the JSON that carries it), all of them at the model's dearest
 * input rate (1-hour cache write), plus `max_tokens` of output; for a model the table does not
 * price, the dearest model's rates. Server-tool fees (web search) are not bounded by tokens and
 * are counted only when the call settles.
 */
export class WorstCaseEstimator {
  private readonly dearest: string | null;

  constructor(private readonly pricing: PricingTable = PricingTable.default()) {
    const probe = {
      inputTokens: 0,
      outputTokens: 1_000_000,
      cacheReadTokens: 0,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 1_000_000,
    };
    let best: { id: string; nano: number } | null = null;
    for (const id of pricing.pricedIds()) {
      const nano = pricing.price(id, probe)?.totalNanoUsd ?? 0;
      if (!best || nano > best.nano) best = { id, nano };
    }
    this.dearest = best?.id ?? null;
  }

  estimate(model: string, body: Record<string, unknown>, requestBytes: number): WorstCase {
    const maxTokens =
      typeof body.max_tokens === 'number' && Number.isSafeInteger(body.max_tokens) && body.max_tokens > 0
        ? body.max_tokens
        : DEFAULT_MAX_TOKENS;
    const promptTokens = Math.max(1, requestBytes);
    const usage: TokenUsage = {
      inputTokens: 0,
      outputTokens: maxTokens,
      cacheReadTokens: 0,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: promptTokens,
    };
    const priced = this.pricing.isPriced(model) ? model : this.dearest;
    const nano = priced === null ? 0 : (this.pricing.price(priced, usage)?.totalNanoUsd ?? 0);
    return { microUsd: Math.ceil(nano / 1000), tokens: promptTokens + maxTokens };
  }
}
