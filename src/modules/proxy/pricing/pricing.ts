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
  /** Fast mode (`usage.speed: "fast"`): an exact decimal factor on every token bucket. */
  fastMode?: string;
}

/** Per-request fees of Anthropic-run tools, and what the page says of those it bills otherwise. */
export interface ServerToolPrices {
  webSearch: { usdPerRequest: number; usage?: string; page?: string };
  webFetch: { usdPerRequest: number; usage?: string; page?: string };
  codeExecution?: { usdPerContainerHour: number; freeHoursPerMonth: number; minimumMinutes: number; page?: string };
}

export interface MultiplierPrices {
  /** `usage.service_tier` equal to `serviceTier`: every token bucket times `factor`. */
  batch: { factor: string; serviceTier: string };
  /** `usage.inference_geo` named in `geos` on one of `models`: every token bucket times the geo's factor. */
  dataResidency: { geos: Record<string, string>; models: string[] };
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
  serverTools: ServerToolPrices;
  multipliers: MultiplierPrices;
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
  name: string | null;
  base: NanoRates;
  /** Fast mode's factor, when the table prices fast mode for the model. */
  fast: Ratio | null;
  /** Sorted by minInputTokens, highest first. */
  tiers: { minInputTokens: number; name: string | null; rates: NanoRates }[];
}

const RATE_KEYS = ['input', 'cacheWrite5m', 'cacheWrite1h', 'cacheRead', 'output'] as const;
const USAGE_KEYS = [
  'inputTokens',
  'outputTokens',
  'cacheReadTokens',
  'cacheWrite5mTokens',
  'cacheWrite1hTokens',
] as const;

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
  private readonly webSearchNano: number;
  private readonly webFetchNano: number;
  private readonly batch: { tier: string; factor: Ratio };
  private readonly residencyGeos = new Map<string, Ratio>();
  private readonly residencyModels: Set<string>;
  private readonly data: PricingTableData;

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
        return {
          minInputTokens: tier.minInputTokens,
          name: tier.name ?? null,
          rates: toNanoRates(tier, `${id}.tiers[${i}]`),
        };
      });
      tiers.sort((a, b) => b.minInputTokens - a.minInputTokens);
      if (new Set(tiers.map((t) => t.minInputTokens)).size !== tiers.length) {
        throw new Error(`Pricing table: ${id} has two tiers with the same threshold`);
      }
      const fast = price.fastMode === undefined ? null : parseFactor(price.fastMode, `${id}.fastMode`);
      this.models.set(id, { name: price.name ?? null, base: toNanoRates(price, id), fast, tiers });
    }
    for (const [alias, target] of Object.entries(data.aliases ?? {})) {
      if (this.models.has(alias)) throw new Error(`Pricing table: ${alias} is both a model and an alias`);
      if (!this.models.has(target)) throw new Error(`Pricing table: alias ${alias} points at unknown model ${target}`);
      this.aliases.set(alias, target);
    }

    const fee = (usd: unknown, where: string): number => {
      const nano = typeof usd === 'number' ? Math.round(usd * 1e9) : NaN;
      if (!Number.isSafeInteger(nano) || nano < 0 || Math.abs((usd as number) * 1e9 - nano) > 1e-6) {
        throw new Error(
          `Pricing table: ${where} must be a non-negative USD amount in whole nano-USD, got ${String(usd)}`,
        );
      }
      return nano;
    };
    this.webSearchNano = fee(data.serverTools?.webSearch?.usdPerRequest, 'serverTools.webSearch.usdPerRequest');
    this.webFetchNano = fee(data.serverTools?.webFetch?.usdPerRequest, 'serverTools.webFetch.usdPerRequest');
    const batch = data.multipliers?.batch;
    if (!batch || typeof batch.serviceTier !== 'string')
      throw new Error('Pricing table: multipliers.batch is required');
    this.batch = { tier: batch.serviceTier, factor: parseFactor(batch.factor, 'multipliers.batch.factor') };
    const residency = data.multipliers?.dataResidency;
    if (!residency) throw new Error('Pricing table: multipliers.dataResidency is required');
    for (const [geo, factor] of Object.entries(residency.geos ?? {})) {
      this.residencyGeos.set(geo, parseFactor(factor, `multipliers.dataResidency.geos.${geo}`));
    }
    for (const model of residency.models ?? []) {
      if (!this.models.has(model))
        throw new Error(`Pricing table: multipliers.dataResidency names unknown model ${model}`);
    }
    this.residencyModels = new Set(residency.models ?? []);
    this.data = data;
  }

  /** The table committed in pricing-table.json (read once per process). */
  static default(): PricingTable {
    if (!PricingTable.cachedDefault) {
      PricingTable.cachedDefault = new PricingTable(pricingTableData);
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

  /**
   * The exact cost of one call from everything its usage says, or null when any part of it is at
   * a rate the table lacks (an unknown model, or fast mode on a model without a fast-mode factor).
   * With iterations, each is priced at its own model's rates and tier and the call is their sum;
   * otherwise the top-level buckets are priced at the request's model. Multipliers (batch, data
   * residency, fast mode) scale every token bucket of the parts they apply to; tool fees are added
   * after them and never scaled.
   */
  priceCall(model: string, usage: CallUsage): CallCost | null {
    const requestId = this.resolve(model);
    if (requestId === null) return null;
    checkTokens(usage, 'Token usage');
    checkCount(usage.webSearchRequests, 'web_search_requests');
    checkCount(usage.webFetchRequests, 'web_fetch_requests');
    const fast = usage.speed === 'fast';
    if (fast && !this.models.get(requestId)!.fast) return null;

    const sources: IterationUsage[] =
      usage.iterations.length > 0 ? usage.iterations : [{ ...usage, type: 'usage', model: null }];
    const multipliers = new Map<string, AppliedMultiplier>();
    const parts: CostPart[] = [];
    const factors = new Map<CostPart, Ratio>();
    for (const source of sources) {
      const partModel = source.model ?? model;
      const id = this.resolve(partModel);
      if (id === null) return null;
      checkTokens(source, `Iteration ${source.type}`);
      const compiled = this.models.get(id)!;
      let factor = ONE;
      if (usage.serviceTier === this.batch.tier) {
        factor = times(factor, this.batch.factor);
        multipliers.set('batch', {
          name: 'batch',
          factor: ratioText(this.batch.factor),
          reason: `service_tier=${usage.serviceTier}`,
        });
      }
      const geo = usage.inferenceGeo === null ? undefined : this.residencyGeos.get(usage.inferenceGeo);
      if (geo && this.residencyModels.has(id)) {
        factor = times(factor, geo);
        multipliers.set('data_residency', {
          name: 'data_residency',
          factor: ratioText(geo),
          reason: `inference_geo=${usage.inferenceGeo}`,
        });
      }
      if (fast && id === requestId) {
        factor = times(factor, compiled.fast!);
        multipliers.set('fast_mode', { name: 'fast_mode', factor: ratioText(compiled.fast!), reason: 'speed=fast' });
      }
      const prompt = promptTokens(source);
      const tier = compiled.tiers.find((t) => prompt >= t.minInputTokens);
      const rates = tier?.rates ?? compiled.base;
      const buckets = {} as Record<BucketName, BucketCost>;
      for (const bucket of BUCKETS) {
        const tokens = source[bucket.usage];
        const baseNanoUsd = checkedProduct(tokens, rates[bucket.name]);
        buckets[bucket.name] = {
          tokens,
          nanoUsdPerToken: rates[bucket.name],
          baseNanoUsd,
          nanoUsd: applyRatio(baseNanoUsd, factor),
        };
      }
      const part: CostPart = {
        kind: source.type,
        model: partModel,
        pricedAs: id,
        tier: tier ? (tier.name ?? `from ${tier.minInputTokens} input tokens`) : null,
        promptTokens: prompt,
        factor: ratioText(factor),
        buckets,
      };
      parts.push(part);
      factors.set(part, factor);
    }

    const tools: ToolFee[] = [];
    if (usage.webSearchRequests > 0) {
      tools.push({
        name: 'web_search',
        requests: usage.webSearchRequests,
        nanoUsdPerRequest: this.webSearchNano,
        nanoUsd: checkedProduct(usage.webSearchRequests, this.webSearchNano),
      });
    }
    if (usage.webFetchRequests > 0) {
      tools.push({
        name: 'web_fetch',
        requests: usage.webFetchRequests,
        nanoUsdPerRequest: this.webFetchNano,
        nanoUsd: checkedProduct(usage.webFetchRequests, this.webFetchNano),
      });
    }

    const sum = (values: number[]): number => {
      const total = values.reduce((a, b) => a + b, 0);
      if (!Number.isSafeInteger(total)) throw new RangeError('Cost overflows a safe integer');
      return total;
    };
    const bucketTotal = (name: BucketName) => sum(parts.map((p) => p.buckets[name].nanoUsd));
    const inputNanoUsd = bucketTotal('input');
    const outputNanoUsd = bucketTotal('output');
    const cacheReadNanoUsd = bucketTotal('cacheRead');
    const cacheWrite5mNanoUsd = bucketTotal('cacheWrite5m');
    const cacheWrite1hNanoUsd = bucketTotal('cacheWrite1h');
    const bucketsNanoUsd = sum([
      inputNanoUsd,
      outputNanoUsd,
      cacheReadNanoUsd,
      cacheWrite5mNanoUsd,
      cacheWrite1hNanoUsd,
    ]);
    const tokensNanoUsd = sum(parts.flatMap((p) => BUCKETS.map((b) => p.buckets[b.name].baseNanoUsd)));
    const toolsNanoUsd = sum(tools.map((t) => t.nanoUsd));
    const totalNanoUsd = sum([bucketsNanoUsd, toolsNanoUsd]);
    const multipliersNanoUsd = bucketsNanoUsd - tokensNanoUsd;
    const cacheSavingsNanoUsd = sum(
      parts.map((p) => {
        const read = p.buckets.cacheRead;
        const asInput = applyRatio(checkedProduct(read.tokens, p.buckets.input.nanoUsdPerToken), factors.get(p)!);
        return asInput - read.nanoUsd;
      }),
    );
    const detail: CostDetail = {
      pricingVersion: this.version,
      model,
      pricedFrom: usage.iterations.length > 0 ? 'iterations' : 'usage',
      parts,
      multipliers: [...multipliers.values()],
      tools,
      output: { tokens: usage.outputTokens, thinkingTokens: usage.thinkingTokens },
      tokensNanoUsd,
      multipliersNanoUsd,
      toolsNanoUsd,
      totalNanoUsd,
      cacheSavingsNanoUsd,
    };
    return {
      inputNanoUsd,
      outputNanoUsd,
      cacheReadNanoUsd,
      cacheWrite5mNanoUsd,
      cacheWrite1hNanoUsd,
      totalNanoUsd,
      tokensNanoUsd,
      multipliersNanoUsd,
      toolsNanoUsd,
      cacheSavingsNanoUsd,
      detail,
    };
  }

  /** The table as published data: what `GET /spotlight/analytics/pricing` shows. */
  describe(): PricingTableData {
    return this.data;
  }
}

// ---------------------------------------------------------------------------------------------
// Whole calls: every dimension the usage object carries (tools, tier, multipliers, iterations).
// ---------------------------------------------------------------------------------------------

/** One sampling iteration of a call (`usage.iterations[]`), with its own model and buckets. */
export interface IterationUsage extends TokenUsage {
  /** `message`, `compaction`, `advisor_message`, `fallback_message`, … as Anthropic names it. */
  type: string;
  /** The iteration's model; null means the request's model. */
  model: string | null;
}

/** What one call's `usage` says that bears on its price, read by `callUsageOf()`. */
export interface CallUsage extends TokenUsage {
  webSearchRequests: number;
  webFetchRequests: number;
  serviceTier: string | null;
  inferenceGeo: string | null;
  speed: string | null;
  /** `output_tokens_details.thinking_tokens`: part of `outputTokens`, never added to it. */
  thinkingTokens: number | null;
  iterations: IterationUsage[];
}

export type BucketName = 'input' | 'cacheWrite5m' | 'cacheWrite1h' | 'cacheRead' | 'output';

export interface BucketCost {
  tokens: number;
  /** The rate of the tier applied, before multipliers. */
  nanoUsdPerToken: number;
  /** tokens × rate. */
  baseNanoUsd: number;
  /** After the part's multipliers, rounded to the nearest nano-USD. */
  nanoUsd: number;
}

/** The whole call, or one of its iterations, priced at one model's rates. */
export interface CostPart {
  /** `usage` when the call is priced from its top-level buckets, else the iteration's type. */
  kind: string;
  model: string;
  /** The table's id the model resolved to. */
  pricedAs: string;
  /** The tier's name when a prompt-size or long-context tier applied. */
  tier: string | null;
  promptTokens: number;
  /** The product of the multipliers applied to this part, as an exact decimal. */
  factor: string;
  buckets: Record<BucketName, BucketCost>;
}

export interface AppliedMultiplier {
  name: 'batch' | 'data_residency' | 'fast_mode';
  factor: string;
  /** What in `usage` triggered it, e.g. `service_tier=batch`. */
  reason: string;
}

export interface ToolFee {
  name: 'web_search' | 'web_fetch';
  requests: number;
  nanoUsdPerRequest: number;
  nanoUsd: number;
}

/** Every component of a call's cost, as stored in `interactions.cost_breakdown`. */
export interface CostDetail {
  pricingVersion: string;
  model: string;
  pricedFrom: 'usage' | 'iterations';
  parts: CostPart[];
  multipliers: AppliedMultiplier[];
  tools: ToolFee[];
  output: { tokens: number; thinkingTokens: number | null };
  /** Tokens at the applied tiers' rates, before multipliers. */
  tokensNanoUsd: number;
  /** What the multipliers added (negative for a discount); within the bucket costs. */
  multipliersNanoUsd: number;
  toolsNanoUsd: number;
  totalNanoUsd: number;
  /**
   * What the cache reads saved: their tokens at the input rate (same tier and multipliers) less
   * what they cost. Not part of the cost; kept for cache insights.
   */
  cacheSavingsNanoUsd: number;
}

/** The bucket costs (multipliers applied), the tool fees, the split, and the detail. */
export interface CallCost extends CostBreakdown {
  tokensNanoUsd: number;
  multipliersNanoUsd: number;
  toolsNanoUsd: number;
  cacheSavingsNanoUsd: number;
  detail: CostDetail;
}

const BUCKETS: readonly { name: BucketName; usage: keyof TokenUsage; cost: keyof CostBreakdown }[] = [
  { name: 'input', usage: 'inputTokens', cost: 'inputNanoUsd' },
  { name: 'cacheWrite5m', usage: 'cacheWrite5mTokens', cost: 'cacheWrite5mNanoUsd' },
  { name: 'cacheWrite1h', usage: 'cacheWrite1hTokens', cost: 'cacheWrite1hNanoUsd' },
  { name: 'cacheRead', usage: 'cacheReadTokens', cost: 'cacheReadNanoUsd' },
  { name: 'output', usage: 'outputTokens', cost: 'outputNanoUsd' },
];

/** An exact non-negative decimal as a fraction. */
interface Ratio {
  num: bigint;
  den: bigint;
}

const ONE: Ratio = { num: 1n, den: 1n };

function parseFactor(text: unknown, where: string): Ratio {
  if (typeof text !== 'string' || !/^\d+(\.\d+)?$/.test(text)) {
    throw new Error(`Pricing table: ${where} must be a decimal string such as "1.1", got ${String(text)}`);
  }
  const [whole, fraction = ''] = text.split('.');
  return { num: BigInt(whole + fraction), den: 10n ** BigInt(fraction.length) };
}

const times = (a: Ratio, b: Ratio): Ratio => ({ num: a.num * b.num, den: a.den * b.den });

function ratioText(r: Ratio): string {
  // Every factor is a product of decimals, so its denominator is a power of ten.
  const digits = r.den.toString().length - 1;
  const scaled = (r.num * 10n ** BigInt(digits)) / r.den;
  const text = scaled.toString().padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits);
  const fraction = text.slice(text.length - digits).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

/** base × ratio, rounded half up to a whole nano-USD. */
function applyRatio(base: number, r: Ratio): number {
  if (r.num === r.den) return base;
  const value = (BigInt(base) * r.num * 2n + r.den) / (2n * r.den);
  const out = Number(value);
  if (!Number.isSafeInteger(out)) throw new RangeError('Cost overflows a safe integer');
  return out;
}

function checkCount(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`${what} must be a non-negative integer, got ${String(n)}`);
}

function checkTokens(usage: TokenUsage, what: string): void {
  for (const key of USAGE_KEYS) checkCount(usage[key], `${what} ${key}`);
}
