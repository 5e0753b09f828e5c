import { callUsageFromRaw } from '../anthropic-usage';
import { type CallUsage, PricingTable, type PricingTableData } from './pricing';

const table = PricingTable.default();

/** A call's usage as Anthropic would send it, read the way the recorder reads it. */
const call = (raw: Record<string, unknown>): CallUsage => callUsageFromRaw(raw);

describe('PricingTable.priceCall', () => {
  it('adds $10 per 1,000 web searches after the tokens, and nothing for web fetches', () => {
    // Sonnet 4.6: $3 in, $15 out → 3,000 and 15,000 nano-USD per token.
    //   1,000 × 3,000 + 500 × 15,000 = 10,500,000; 3 searches × 10,000,000 = 30,000,000.
    const cost = table.priceCall(
      'claude-sonnet-4-6',
      call({
        input_tokens: 1_000,
        output_tokens: 500,
        server_tool_use: { web_search_requests: 3, web_fetch_requests: 2 },
      }),
    )!;
    expect(cost.tokensNanoUsd).toBe(10_500_000);
    expect(cost.toolsNanoUsd).toBe(30_000_000);
    expect(cost.totalNanoUsd).toBe(40_500_000);
    expect(cost.detail.tools).toEqual([
      { name: 'web_search', requests: 3, nanoUsdPerRequest: 10_000_000, nanoUsd: 30_000_000 },
      { name: 'web_fetch', requests: 2, nanoUsdPerRequest: 0, nanoUsd: 0 },
    ]);
  });

  it('halves every token bucket of a batch result, and shows the discount as a multiplier', () => {
    // Haiku 4.5: 10,000 × 1,000 + 20,000 × 100 + 4,000 × 1,250 + 2,000 × 5,000 = 27,000,000; × 0.5.
    const cost = table.priceCall(
      'claude-haiku-4-5',
      call({
        input_tokens: 10_000,
        cache_read_input_tokens: 20_000,
        cache_creation: { ephemeral_5m_input_tokens: 4_000, ephemeral_1h_input_tokens: 0 },
        output_tokens: 2_000,
        service_tier: 'batch',
      }),
    )!;
    expect(cost.totalNanoUsd).toBe(13_500_000);
    expect(cost.tokensNanoUsd).toBe(27_000_000);
    expect(cost.multipliersNanoUsd).toBe(-13_500_000);
    expect(cost.cacheWrite5mNanoUsd).toBe(2_500_000);
    expect(cost.detail.multipliers).toEqual([{ name: 'batch', factor: '0.5', reason: 'service_tier=batch' }]);
    // The 20,000 cache-read tokens saved (1,000 − 100) × 20,000 × 0.5 against uncached input.
    expect(cost.cacheSavingsNanoUsd).toBe(9_000_000);
  });

  it('does not discount web search fees on a batch result', () => {
    const cost = table.priceCall(
      'claude-haiku-4-5',
      call({ input_tokens: 0, output_tokens: 0, service_tier: 'batch', server_tool_use: { web_search_requests: 1 } }),
    )!;
    expect(cost.totalNanoUsd).toBe(10_000_000);
  });

  it('applies data residency (inference_geo us) at 1.1x to Claude 4.6 and later only', () => {
    const usage = { input_tokens: 1_000, output_tokens: 1_000, inference_geo: 'us' };
    // Opus 4.6: (1,000 × 5,000 + 1,000 × 25,000) × 1.1 = 33,000,000.
    const opus = table.priceCall('claude-opus-4-6', call(usage))!;
    expect(opus.totalNanoUsd).toBe(33_000_000);
    expect(opus.multipliersNanoUsd).toBe(3_000_000);
    // Haiku 4.5 predates it: list price, no multiplier.
    const haiku = table.priceCall('claude-haiku-4-5', call(usage))!;
    expect(haiku.totalNanoUsd).toBe(6_000_000);
    expect(haiku.detail.multipliers).toEqual([]);
    // "global" is standard pricing.
    expect(table.priceCall('claude-opus-4-6', call({ ...usage, inference_geo: 'global' }))!.totalNanoUsd).toBe(
      30_000_000,
    );
  });

  it('prices fast mode at the model’s fast factor, stacked with data residency, and leaves unknown fast rates unpriced', () => {
    // Opus 5: 2,000 × 5,000 + 1,000 × 10,000 (1h write) + 3,000 × 25,000 = 95,000,000; fast × 2.
    const usage = {
      input_tokens: 2_000,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 1_000 },
      output_tokens: 3_000,
      speed: 'fast',
    };
    expect(table.priceCall('claude-opus-5', call(usage))!.totalNanoUsd).toBe(190_000_000);
    const both = table.priceCall('claude-opus-5', call({ ...usage, inference_geo: 'us' }))!;
    expect(both.totalNanoUsd).toBe(209_000_000);
    expect(both.detail.parts[0].factor).toBe('2.2');
    expect(table.priceCall('claude-opus-5', call({ ...usage, speed: 'standard' }))!.totalNanoUsd).toBe(95_000_000);
    expect(table.priceCall('claude-opus-5-5', call(usage))).toBeNull();
  });

  it('prices each iteration at its own model’s rates and sums them (compaction included)', () => {
    const cost = table.priceCall(
      'claude-sonnet-4-6',
      call({
        input_tokens: 2_000,
        output_tokens: 300,
        iterations: [
          {
            type: 'compaction',
            input_tokens: 5_000,
            output_tokens: 1_000,
            cache_read_input_tokens: 0,
            cache_creation_input_tokens: 0,
          },
          { type: 'message', model: 'claude-sonnet-4-6', input_tokens: 2_000, output_tokens: 300 },
          { type: 'advisor_message', model: 'claude-opus-4-7', input_tokens: 4_000, output_tokens: 600 },
        ],
      }),
    )!;
    // 30,000,000 (compaction at Sonnet 4.6) + 10,500,000 (message) + 35,000,000 (advisor at Opus 4.7).
    expect(cost.totalNanoUsd).toBe(75_500_000);
    expect(cost.detail.pricedFrom).toBe('iterations');
    expect(cost.detail.parts.map((p) => [p.kind, p.pricedAs])).toEqual([
      ['compaction', 'claude-sonnet-4-6'],
      ['message', 'claude-sonnet-4-6'],
      ['advisor_message', 'claude-opus-4-7'],
    ]);
    // An iteration on a model the table lacks leaves the whole call unpriced.
    expect(
      table.priceCall(
        'claude-sonnet-4-6',
        call({ iterations: [{ type: 'fallback_message', model: 'claude-fable-5-2', input_tokens: 1 }] }),
      ),
    ).toBeNull();
  });

  it('chooses the prompt-size and long-context tiers from the input tokens, cache included', () => {
    // Haiku 5.5 over 100,000: 60,000 × 500 + 40,001 × 50 + 1,000 × 2,500 = 34,500,050.
    const haiku = table.priceCall(
      'claude-haiku-5-5',
      call({ input_tokens: 60_000, cache_read_input_tokens: 40_001, output_tokens: 1_000 }),
    )!;
    expect(haiku.totalNanoUsd).toBe(34_500_050);
    expect(haiku.detail.parts[0].tier).toMatch(/over 100,000/);
    // Sonnet 4.5 over 200K: 150,000 × 6,000 + 50,001 × 7,500 + 1,000 × 22,500 = 1,297,507,500.
    const sonnet = table.priceCall(
      'claude-sonnet-4-5',
      call({ input_tokens: 150_000, cache_creation_input_tokens: 50_001, output_tokens: 1_000 }),
    )!;
    expect(sonnet.totalNanoUsd).toBe(1_297_507_500);
    // At exactly 200,000 the standard rates: 150,000 × 3,000 + 50,000 × 3,750 + 1,000 × 15,000.
    expect(
      table.priceCall(
        'claude-sonnet-4-5',
        call({ input_tokens: 150_000, cache_creation_input_tokens: 50_000, output_tokens: 1_000 }),
      )!.totalNanoUsd,
    ).toBe(652_500_000);
  });

  it('shows thinking tokens within output, never adding them', () => {
    const cost = table.priceCall(
      'claude-sonnet-4-6',
      call({ input_tokens: 100, output_tokens: 1_000, output_tokens_details: { thinking_tokens: 700 } }),
    )!;
    expect(cost.totalNanoUsd).toBe(15_300_000);
    expect(cost.detail.output).toEqual({ tokens: 1_000, thinkingTokens: 700 });
  });

  it('rounds a multiplied bucket to the nearest nano-USD', () => {
    // Haiku 5.5 cache read: 10 nano-USD per token × 0.5 (batch) on 3 tokens = 15; × 1.1 (us) = 16.5 → 17.
    const cost = table.priceCall(
      'claude-haiku-5-5',
      call({
        input_tokens: 0,
        output_tokens: 0,
        cache_read_input_tokens: 3,
        service_tier: 'batch',
        inference_geo: 'us',
      }),
    )!;
    expect(cost.cacheReadNanoUsd).toBe(17);
  });

  it('refuses a malformed multiplier or fee instead of mispricing', () => {
    const base = (): PricingTableData => JSON.parse(JSON.stringify(table.describe())) as PricingTableData;
    const badFactor = base();
    badFactor.multipliers.batch.factor = '0.5x';
    expect(() => new PricingTable(badFactor)).toThrow(/decimal string/);
    const badFee = base();
    badFee.serverTools.webSearch.usdPerRequest = -1;
    expect(() => new PricingTable(badFee)).toThrow(/webSearch/);
    const badModel = base();
    badModel.multipliers.dataResidency.models.push('claude-nothing');
    expect(() => new PricingTable(badModel)).toThrow(/unknown model/);
  });
});
