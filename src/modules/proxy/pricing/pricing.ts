// The data is a plain JSON file beside this module; the compiler copies it into dist/.
import pricingTableData from './pricing-table.json';

/**
 * Token counts of one call, as Anthropic reports them in `usage` (all non-negative integers):
 * `input_tokens`, `output_tokens`, `cache_read_input_tokens`, and the cache writes split by TTL
 * (`cache_creation.ephemeral_5m_input_tokens`, `cache_creation.ephemeral_1h_input_tokens`).
 */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
}

/** The cost of one call per bucket, in integer nano-USD (1 USD = 1e9 nano-USD). */
export interface CostBreakdown {
  inputNanoUsd: number;
  outputNanoUsd: number;
  cacheReadNanoUsd: number;
  cacheWrite5mNanoUsd: number;
  cacheWrite1hNanoUsd: number;
  totalNanoUsd: number;
}

/** Absolute rates in USD per million tokens, as the pricing page lists them. */
export interface Rates {
  input: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  output: number;
}

/** Rates that replace the base rates for the whole request once its prompt reaches `minInputTokens`. */
export interface PriceTier extends Rates {
  minInputTokens: number;
  name?: string;
}

export interface ModelPrice extends Rates {
  /** The row label on the pricing page, kept for auditing. */
  name?: string;
  tiers?: PriceTier[];
}

/** The shape of pricing-table.json. */
export interface PricingTableData {
  version: string;
  source: string;
  retrievedAt: string;
  currency: string;
  unit: string;
  notes?: string[];
  models: Record<string, ModelPrice>;
  aliases: Record<string, string>;
}

/**
 * Model ids the installed `@anthropic-ai/sdk` lists (its `Model` type) that are deliberately NOT in
 * the table: a call to them records `cost = null` and counts as unpriced, never as $0.
 *
 * - `claude-fable-5-2`, `claude-mythos-5-2`: released 2026-11-09. Every stored copy of the pricing
 *   page we could read predates them, and no Anthropic page we could read gives their cache rates.
 *   Third-party reports quote $8 input / $10 5m write / $16 1h write / $0.20 cache read / $40 output
 *   per MTok; add the rows once read on the pricing page itself.
 * - `claude-mythos-preview`: the pricing page names it (tokenizer and long-context notes) but its
 *   'Model pricing' table has no row for it, and third-party figures for it disagree.
 */
export const UNPRICED_ON_PRICING_PAGE: readonly string[] = Object.freeze([
  'claude-fable-5-2',
  'claude-mythos-5-2',
  'claude-mythos-preview',
]);

/** 1 USD per million tokens = 1 micro-USD per token = 1000 nano-USD per token. */
const NANO_PER_TOKEN_PER_USD_PER_MTOK = 1000;

interface NanoRates {
  input: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  output: number;
}

interface CompiledModel {
  base: NanoRates;
  /** Sorted by minInputTokens, highest first. */
  tiers: { minInputTokens: number; rates: NanoRates }[];
}

const RATE_KEYS = ['input', 'cacheWrite5m', 'cacheWrite1h', 'cacheRead', 'output'] as const;
const USAGE_KEYS = ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWrite5mTokens', 'cacheWrite1hTokens'] as const;

function toNanoRates(rates: Rates, where: string): NanoRates {
  const out = {} as NanoRates;
  for (const key of RATE_KEYS) {
    const rate = rates[key];
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0) {
      throw new Error(`Pricing table: ${where}.${key} must be a non-negative finite number, got ${String(rate)}`);
    }
    const nano = Math.round(rate * NANO_PER_TOKEN_PER_USD_PER_MTOK);
    // Every published rate is a whole number of nano-USD per token; anything finer would make the
    // integer arithmetic below inexact, so refuse it rather than round money silently.
    if (Math.abs(rate * NANO_PER_TOKEN_PER_USD_PER_MTOK - nano) > 1e-6) {
      throw new Error(`Pricing table: ${where}.${key} = ${rate} is finer than 1 nano-USD per token`);
    }
    out[key] = nano;
  }
  return out;
}

/** Tokens that count toward a tier threshold: every input token of the request (output excluded). */
export function promptTokens(usage: TokenUsage): number {
  return usage.inputTokens + usage.cacheReadTokens + usage.cacheWrite5mTokens + usage.cacheWrite1hTokens;
}

/** Nano-USD as micro-USD (exact: up to 3 decimals). */
export function nanoToMicroUsd(nanoUsd: number): number {
  return nanoUsd / 1_000;
}

/** Nano-USD as USD, for display only; store and sum the integer nano-USD. */
export function nanoToUsd(nanoUsd: number): number {
  return nanoUsd / 1_000_000_000;
}

function checkedProduct(tokens: number, nanoPerToken: number): number {
  const value = tokens * nanoPerToken;
  if (!Number.isSafeInteger(value)) throw new RangeError(`Cost overflows a safe integer: ${tokens} × ${nanoPerToken}`);
  return value;
}

export class PricingTable {
  readonly version: string;
  readonly source: string;
  readonly retrievedAt: string;
  private readonly models = new Map<string, CompiledModel>();
  private readonly aliases = new Map<string, string>();

  private static cachedDefault?: PricingTable;

  constructor(data: PricingTableData) {
    if (!data || typeof data.version !== 'string' || data.version.length === 0) {
      throw new Error('Pricing table: version is required');
    }
    if (data.currency !== 'USD') throw new Error(`Pricing table: currency must be USD, got ${String(data.currency)}`);
    this.version = data.version;
    this.source = data.source;
    this.retrievedAt = data.retrievedAt;

    for (const [id, price] of Object.entries(data.models ?? {})) {
      const tiers = (price.tiers ?? []).map((tier, i) => {
        if (!Number.isSafeInteger(tier.minInputTokens) || tier.minInputTokens <= 0) {
          throw new Error(`Pricing table: ${id}.tiers[${i}].minInputTokens must be a positive integer`);
        }
        return { minInputTokens: tier.minInputTokens, rates: toNanoRates(tier, `${id}.tiers[${i}]`) };
      });
      tiers.sort((a, b) => b.minInputTokens - a.minInputTokens);
      if (new Set(tiers.map((t) => t.minInputTokens)).size !== tiers.length) {
        throw new Error(`Pricing table: ${id} has two tiers with the same threshold`);
      }
      this.models.set(id, { base: toNanoRates(price, id), tiers });
    }
    for (const [alias, target] of Object.entries(data.aliases ?? {})) {
      if (this.models.has(alias)) throw new Error(`Pricing table: ${alias} is both a model and an alias`);
      if (!this.models.has(target)) throw new Error(`Pricing table: alias ${alias} points at unknown model ${target}`);
      this.aliases.set(alias, target);
    }
  }

  /** The table committed in pricing-table.json (read once per process). */
  static default(): PricingTable {
    if (!PricingTable.cachedDefault) {
      PricingTable.cachedDefault = new PricingTable(pricingTableData as PricingTableData);
    }
    return PricingTable.cachedDefault;
  }

  /** The table's own id for a model id or alias, or null when it has no price. */
  resolve(model: string): string | null {
    if (this.models.has(model)) return model;
    return this.aliases.get(model) ?? null;
  }

  isPriced(model: string): boolean {
    return this.resolve(model) !== null;
  }

  /** Every id the table prices: model ids and aliases. */
  pricedIds(): string[] {
    return [...this.models.keys(), ...this.aliases.keys()];
  }

  /**
   * The exact cost of one call, or null for a model the table does not price (never $0 for an
   * unknown model). The tier is chosen by the request's prompt size (see promptTokens) and then
   * applies to every bucket, output included.
   */
  price(model: string, usage: TokenUsage): CostBreakdown | null {
    const id = this.resolve(model);
    if (id === null) return null;
    for (const key of USAGE_KEYS) {
      const n = usage[key];
      if (!Number.isSafeInteger(n) || n < 0) {
        throw new RangeError(`Token usage ${key} must be a non-negative integer, got ${String(n)}`);
      }
    }
    const compiled = this.models.get(id)!;
    const prompt = promptTokens(usage);
    const rates = compiled.tiers.find((tier) => prompt >= tier.minInputTokens)?.rates ?? compiled.base;

    const inputNanoUsd = checkedProduct(usage.inputTokens, rates.input);
    const outputNanoUsd = checkedProduct(usage.outputTokens, rates.output);
    const cacheReadNanoUsd = checkedProduct(usage.cacheReadTokens, rates.cacheRead);
    const cacheWrite5mNanoUsd = checkedProduct(usage.cacheWrite5mTokens, rates.cacheWrite5m);
    const cacheWrite1hNanoUsd = checkedProduct(usage.cacheWrite1hTokens, rates.cacheWrite1h);
    const totalNanoUsd = inputNanoUsd + outputNanoUsd + cacheReadNanoUsd + cacheWrite5mNanoUsd + cacheWrite1hNanoUsd;
    if (!Number.isSafeInteger(totalNanoUsd)) throw new RangeError('Cost overflows a safe integer');
    return { inputNanoUsd, outputNanoUsd, cacheReadNanoUsd, cacheWrite5mNanoUsd, cacheWrite1hNanoUsd, totalNanoUsd };
  }
}
