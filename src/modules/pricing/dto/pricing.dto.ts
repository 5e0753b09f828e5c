import { IsISO8601, IsOptional } from 'class-validator';

export class ModelRatesDto {
  /**
   * The row label on the pricing page.
   * @example "Claude Opus 5"
   */
  name: string | null;
  /** USD per million tokens. @example 5 */
  input: number;
  /** @example 6.25 */
  cache_write_5m: number;
  /** @example 10 */
  cache_write_1h: number;
  /** @example 0.5 */
  cache_read: number;
  /** @example 25 */
  output: number;
}

export class ModelTierDto extends ModelRatesDto {
  /**
   * The tier applies to the whole request once its input tokens (cache reads and writes included) reach this.
   * @example 100001
   */
  min_input_tokens: number;
}

export class ModelPriceDto extends ModelRatesDto {
  /** @example "claude-opus-5" */
  model: string;
  /** Other ids priced the same (aliases). @example ["claude-opus-4-5"] */
  aliases: string[];
  tiers: ModelTierDto[];
  /**
   * Fast mode's factor on every token bucket, or null when the table has no fast-mode rate (a fast call is then unpriced).
   * @example "2"
   */
  fast_mode_factor: string | null;
  /**
   * The data-residency factors that apply to this model, by `inference_geo`.
   * @example {"us":"1.1"}
   */
  data_residency_factors: Record<string, string>;
}

export class ToolFeesDto {
  /** USD per web search (`usage.server_tool_use.web_search_requests`). @example 0.01 */
  web_search_usd_per_request: number;
  /** USD per web fetch. @example 0 */
  web_fetch_usd_per_request: number;
  /** Code execution is billed per container-hour beyond the free hours; usage carries no container time. @example 0.05 */
  code_execution_usd_per_container_hour: number | null;
  /** @example 1550 */
  code_execution_free_hours_per_month: number | null;
}

export class MultipliersDto {
  /** `usage.service_tier` that takes the batch discount. @example "batch" */
  batch_service_tier: string;
  /** @example "0.5" */
  batch_factor: string;
  /** Factors by `inference_geo`, on the models that list them. @example {"us":"1.1"} */
  data_residency: Record<string, string>;
}

/** The pricing table every cost is computed from. */
export class PricingResponseDto {
  /** Stamped on every interaction priced with it. @example "2026-11-29" */
  version: string;
  /** @example "2026-11-29" */
  retrieved_at: string;
  /** @example "https://platform.claude.com/docs/en/about-claude/pricing" */
  source: string;
  /** @example "USD" */
  currency: string;
  /** How the table was read and what it covers. */
  notes: string[];
  models: ModelPriceDto[];
  tool_fees: ToolFeesDto;
  multipliers: MultipliersDto;
  /** Model ids the SDK knows that the table deliberately leaves unpriced (cost null, counted). */
  unpriced_models: string[];
}

export class RepriceRequestDto {
  /**
   * Reprice interactions started at or after this time (RFC 3339).
   * @example "2026-11-01T00:00:00Z"
   */
  @IsISO8601({ strict: true })
  since: string;

  /**
   * ... and before this time; default now.
   * @example "2026-12-01T00:00:00Z"
   */
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;
}

export class ModelRepriceDto {
  /** @example "claude-sonnet-4-6" */
  model: string;
  /** @example 3 */
  repriced: number;
  /** @example 0.0315 */
  cost_before_usd: number;
  /** @example 0.1215 */
  cost_after_usd: number;
}

/** What a repricing run found and changed, in the organization, under the current table. */
export class RepriceResponseDto {
  /** @example "2026-11-29" */
  pricing_version: string;
  /** @example "2026-11-01T00:00:00.000Z" */
  since: string;
  /** @example "2026-12-01T00:00:00.000Z" */
  until: string;
  /** Interactions in the range. @example 120 */
  scanned: number;
  /** Interactions whose cost changed. @example 3 */
  repriced: number;
  /** Unpriced before, priced now. @example 1 */
  newly_priced: number;
  /** Priced before, unpriced now. @example 0 */
  now_unpriced: number;
  /** Same cost, stamped with the current version and breakdown. @example 10 */
  restamped: number;
  /** Still unpriced: models the table lacks. @example 0 */
  still_unpriced: number;
  /** @example 1.2 */
  cost_before_usd: number;
  /** @example 1.29 */
  cost_after_usd: number;
  /** @example 0.09 */
  cost_change_usd: number;
  /** Session totals updated (a session spanning batches counts once per batch). @example 2 */
  sessions_updated: number;
  /** Hourly rollup rows updated. @example 2 */
  hours_updated: number;
  by_model: ModelRepriceDto[];
}
