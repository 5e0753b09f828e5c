import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../../common/time/clock.service';
import type { Pool } from 'pg';
import { PG_POOL } from '../../database/pg-pool';
import { nanoToUsdExact } from '../analytics/usage-figures';
import { PricingTable, UNPRICED_ON_PRICING_PAGE } from '../proxy/pricing/pricing';
import type { PricingResponseDto, RepriceRequestDto, RepriceResponseDto } from './dto/pricing.dto';
import { PricingErrors } from './pricing.errors';
import { Repricer, type RepriceReport } from './repricer';

/** The pricing table as published data, and repricing stored calls under it. */
@Injectable()
export class PricingService {
  private readonly repricer: Repricer;

  constructor(
    @Inject(PG_POOL) pool: Pool,
    private readonly clock: Clock,
  ) {
    this.repricer = new Repricer(pool);
  }

  pricing(table: PricingTable = PricingTable.default()): PricingResponseDto {
    const data = table.describe();
    const aliases = new Map<string, string[]>();
    for (const [alias, target] of Object.entries(data.aliases))
      aliases.set(target, [...(aliases.get(target) ?? []), alias]);
    const residency = new Set(data.multipliers.dataResidency.models);
    return {
      version: data.version,
      retrieved_at: data.retrievedAt,
      source: data.source,
      currency: data.currency,
      notes: data.notes ?? [],
      models: Object.entries(data.models).map(([model, price]) => ({
        model,
        aliases: aliases.get(model) ?? [],
        ...rates(price),
        tiers: (price.tiers ?? []).map((tier) => ({ min_input_tokens: tier.minInputTokens, ...rates(tier) })),
        fast_mode_factor: price.fastMode ?? null,
        data_residency_factors: residency.has(model) ? { ...data.multipliers.dataResidency.geos } : {},
      })),
      tool_fees: {
        web_search_usd_per_request: data.serverTools.webSearch.usdPerRequest,
        web_fetch_usd_per_request: data.serverTools.webFetch.usdPerRequest,
        code_execution_usd_per_container_hour: data.serverTools.codeExecution?.usdPerContainerHour ?? null,
        code_execution_free_hours_per_month: data.serverTools.codeExecution?.freeHoursPerMonth ?? null,
      },
      multipliers: {
        batch_service_tier: data.multipliers.batch.serviceTier,
        batch_factor: data.multipliers.batch.factor,
        data_residency: { ...data.multipliers.dataResidency.geos },
      },
      unpriced_models: [...UNPRICED_ON_PRICING_PAGE],
    };
  }

  /** Reprices the organization's interactions started in [since, until) under the current table. */
  async reprice(
    organizationId: string,
    request: RepriceRequestDto,
    table: PricingTable = PricingTable.default(),
  ): Promise<RepriceResponseDto> {
    const since = new Date(request.since);
    const until = request.until ? new Date(request.until) : this.clock.now();
    if (!(since < until)) throw PricingErrors.invalidRange();
    return toRepriceResponse(await this.repricer.reprice(table, { since, until, organizationId }));
  }
}

function rates(r: {
  name?: string;
  input: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  output: number;
}) {
  return {
    name: r.name ?? null,
    input: r.input,
    cache_write_5m: r.cacheWrite5m,
    cache_write_1h: r.cacheWrite1h,
    cache_read: r.cacheRead,
    output: r.output,
  };
}

function toRepriceResponse(report: RepriceReport): RepriceResponseDto {
  return {
    pricing_version: report.pricingVersion,
    since: report.since,
    until: report.until,
    scanned: report.scanned,
    repriced: report.repriced,
    newly_priced: report.newlyPriced,
    now_unpriced: report.nowUnpriced,
    restamped: report.restamped,
    still_unpriced: report.stillUnpriced,
    cost_before_usd: nanoToUsdExact(report.costBeforeNanoUsd),
    cost_after_usd: nanoToUsdExact(report.costAfterNanoUsd),
    cost_change_usd: nanoToUsdExact(report.costAfterNanoUsd - report.costBeforeNanoUsd),
    sessions_updated: report.sessionsUpdated,
    hours_updated: report.hoursUpdated,
    by_model: report.byModel.map((m) => ({
      model: m.model,
      repriced: m.repriced,
      cost_before_usd: nanoToUsdExact(m.costBeforeNanoUsd),
      cost_after_usd: nanoToUsdExact(m.costAfterNanoUsd),
    })),
  };
}
