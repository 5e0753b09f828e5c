import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  nanoToMicroUsd,
  nanoToUsd,
  PricingTable,
  PricingTableData,
  promptTokens,
  TokenUsage,
  UNPRICED_ON_PRICING_PAGE,
} from './pricing';

const TABLE_JSON = join(__dirname, 'pricing-table.json');
const raw = JSON.parse(readFileSync(TABLE_JSON, 'utf8')) as PricingTableData;
const table = PricingTable.default();

const usage = (u: Partial<TokenUsage>): TokenUsage => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWrite5mTokens: 0,
  cacheWrite1hTokens: 0,
  ...u,
});

/** The cache-heavy call used below: 1,000 in, 50,000 cache read, 10,000 5m write, 2,000 1h write, 800 out. */
const cacheHeavy = usage({
  inputTokens: 1_000,
  cacheReadTokens: 50_000,
  cacheWrite5mTokens: 10_000,
  cacheWrite1hTokens: 2_000,
  outputTokens: 800,
});

/** The ids of the SDK's `Model` union, read from the installed .d.ts. */
function sdkModelIds(): string[] {
  const dts = readFileSync(
    join(process.cwd(), 'node_modules/@anthropic-ai/sdk/resources/messages/messages.d.ts'),
    'utf8',
  );
  const union = /export type Model =([^;]+);/.exec(dts);
  if (!union) throw new Error('export type Model not found in the SDK typings');
  return [...union[1].matchAll(/'([^']+)'/g)].map((m) => m[1]);
}

describe('PricingTable', () => {
  it('prices a cache-heavy Claude Opus 5.5 call exactly, bucket by bucket', () => {
    // Opus 5.5 per MTok: input $4, 5m write $5, 1h write $8, cache hit $0.20 (0.05x), output $20.
    // In nano-USD per token (× 1000): 4000, 5000, 8000, 200, 20000.
    //   input      1,000 × 4,000  =  4,000,000
    //   cache read 50,000 × 200   = 10,000,000
    //   5m write   10,000 × 5,000 = 50,000,000
    //   1h write   2,000 × 8,000  = 16,000,000
    //   output     800 × 20,000   = 16,000,000
    //   total                       96,000,000 nano-USD = $0.096
    expect(table.price('claude-opus-5-5', cacheHeavy)).toEqual({
      inputNanoUsd: 4_000_000,
      cacheReadNanoUsd: 10_000_000,
      cacheWrite5mNanoUsd: 50_000_000,
      cacheWrite1hNanoUsd: 16_000_000,
      outputNanoUsd: 16_000_000,
      totalNanoUsd: 96_000_000,
    });
    expect(nanoToUsd(96_000_000)).toBe(0.096);
  });

  it('uses each model’s own cache-read rate, not a multiplier (Fable 5.1 at 0.025x)', () => {
    // Fable 5.1 per MTok: input $10, 5m $12.50, 1h $20, cache hit $0.25, output $50.
    //   input      1,000 × 10,000  =  10,000,000
    //   cache read 50,000 × 250    =  12,500,000
    //   5m write   10,000 × 12,500 = 125,000,000
    //   1h write   2,000 × 20,000  =  40,000,000
    //   output     800 × 50,000    =  40,000,000
    //   total                        227,500,000
    expect(table.price('claude-fable-5-1', cacheHeavy)).toEqual({
      inputNanoUsd: 10_000_000,
      cacheReadNanoUsd: 12_500_000,
      cacheWrite5mNanoUsd: 125_000_000,
      cacheWrite1hNanoUsd: 40_000_000,
      outputNanoUsd: 40_000_000,
      totalNanoUsd: 227_500_000,
    });
    // Same input price as Fable 5, but its cache hits cost a quarter: 50,000 × 1,000 = 50,000,000.
    expect(table.price('claude-fable-5', cacheHeavy)!.cacheReadNanoUsd).toBe(50_000_000);
  });

  it('prices an alias exactly as its dated id', () => {
    const pairs: [string, string][] = [
      ['claude-haiku-4-5', 'claude-haiku-4-5-20251001'],
      ['claude-opus-4-5', 'claude-opus-4-5-20251101'],
      ['claude-sonnet-4-5', 'claude-sonnet-4-5-20250929'],
      ...Object.entries(raw.aliases),
    ];
    for (const [alias, dated] of pairs) {
      expect(table.resolve(alias)).toBe(dated);
      expect(table.price(alias, cacheHeavy)).toEqual(table.price(dated, cacheHeavy));
    }
    // Haiku 4.5: 1,000×1,000 + 50,000×100 + 10,000×1,250 + 2,000×2,000 + 800×5,000 = 26,500,000.
    expect(table.price('claude-haiku-4-5', cacheHeavy)!.totalNanoUsd).toBe(26_500_000);
  });

  it('returns null for a model it does not price, never $0', () => {
    for (const model of [
      'claude-opus-9',
      'gpt-6',
      '',
      'CLAUDE-OPUS-5-5',
      'claude-opus-5-5[1m]',
      ...UNPRICED_ON_PRICING_PAGE,
    ]) {
      expect(table.price(model, cacheHeavy)).toBeNull();
      expect(table.price(model, usage({}))).toBeNull();
      expect(table.isPriced(model)).toBe(false);
      expect(table.resolve(model)).toBeNull();
    }
  });

  it('keeps explicit zeros at zero', () => {
    expect(table.price('claude-sonnet-5-5', usage({}))).toEqual({
      inputNanoUsd: 0,
      outputNanoUsd: 0,
      cacheReadNanoUsd: 0,
      cacheWrite5mNanoUsd: 0,
      cacheWrite1hNanoUsd: 0,
      totalNanoUsd: 0,
    });
    // Sonnet 5.5: 0 in, 0 cache, 1,234 out × 10,000 = 12,340,000; every other bucket exactly 0.
    expect(table.price('claude-sonnet-5-5', usage({ outputTokens: 1_234 }))).toEqual({
      inputNanoUsd: 0,
      outputNanoUsd: 12_340_000,
      cacheReadNanoUsd: 0,
      cacheWrite5mNanoUsd: 0,
      cacheWrite1hNanoUsd: 0,
      totalNanoUsd: 12_340_000,
    });
  });

  describe('prompt-size tier (Claude Haiku 5.5: base up to 100,000 prompt tokens, higher over it)', () => {
    it('pays base rates at exactly 100,000 prompt tokens', () => {
      // Base per MTok: input $0.10, output $0.50 → 100 and 500 nano-USD per token.
      //   100,000 × 100 = 10,000,000; 1,000 × 500 = 500,000; total 10,500,000.
      const cost = table.price('claude-haiku-5-5', usage({ inputTokens: 100_000, outputTokens: 1_000 }))!;
      expect(cost).toMatchObject({ inputNanoUsd: 10_000_000, outputNanoUsd: 500_000, totalNanoUsd: 10_500_000 });
    });

    it('pays the higher rates on every token, output included, from 100,001', () => {
      // Over-100K per MTok: input $0.50, output $2.50 → 500 and 2,500 nano-USD per token.
      //   100,001 × 500 = 50,000,500; 1,000 × 2,500 = 2,500,000; total 52,500,500.
      const cost = table.price('claude-haiku-5-5', usage({ inputTokens: 100_001, outputTokens: 1_000 }))!;
      expect(cost).toMatchObject({ inputNanoUsd: 50_000_500, outputNanoUsd: 2_500_000, totalNanoUsd: 52_500_500 });
    });

    it('counts cache reads and both cache writes toward the threshold, and prices them at the tier', () => {
      // 1 + 60,000 + 30,000 + 10,000 = 100,001 prompt tokens → tier rates:
      //   input 1 × 500 = 500; read 60,000 × 50 = 3,000,000; 5m 30,000 × 625 = 18,750,000;
      //   1h 10,000 × 1,000 = 10,000,000; output 0. Total 31,750,500.
      const over = usage({
        inputTokens: 1,
        cacheReadTokens: 60_000,
        cacheWrite5mTokens: 30_000,
        cacheWrite1hTokens: 10_000,
      });
      expect(promptTokens(over)).toBe(100_001);
      expect(table.price('claude-haiku-5-5', over)).toEqual({
        inputNanoUsd: 500,
        cacheReadNanoUsd: 3_000_000,
        cacheWrite5mNanoUsd: 18_750_000,
        cacheWrite1hNanoUsd: 10_000_000,
        outputNanoUsd: 0,
        totalNanoUsd: 31_750_500,
      });
      // One cache-read token fewer: 100,000 prompt tokens → base rates (100, 10, 125, 200 nano-USD per token):
      //   1×100 + 59,999×10 + 30,000×125 + 10,000×200 = 100 + 599,990 + 3,750,000 + 2,000,000 = 6,350,090.
      const under = { ...over, cacheReadTokens: 59_999 };
      expect(table.price('claude-haiku-5-5', under)).toEqual({
        inputNanoUsd: 100,
        cacheReadNanoUsd: 599_990,
        cacheWrite5mNanoUsd: 3_750_000,
        cacheWrite1hNanoUsd: 2_000_000,
        outputNanoUsd: 0,
        totalNanoUsd: 6_350_090,
      });
    });

    it('does not count output tokens toward the threshold', () => {
      const cost = table.price('claude-haiku-5-5', usage({ inputTokens: 10, outputTokens: 500_000 }))!;
      expect(cost.outputNanoUsd).toBe(500_000 * 500);
    });

    it('leaves models without a tier on flat rates at any prompt size', () => {
      // Opus 5.5 at 900,000 input tokens: 900,000 × 4,000 = 3,600,000,000 (no long-context premium).
      expect(table.price('claude-opus-5-5', usage({ inputTokens: 900_000 }))!.inputNanoUsd).toBe(3_600_000_000);
    });
  });

  it('covers every model id of the SDK’s Model union (priced, or listed as unpriced)', () => {
    const ids = sdkModelIds();
    expect(ids.length).toBeGreaterThan(10);
    const missing = ids.filter((id) => !table.isPriced(id) && !UNPRICED_ON_PRICING_PAGE.includes(id));
    expect(missing).toEqual([]);
    // The unpriced list holds only SDK ids that really are unpriced, so it cannot go stale silently.
    for (const id of UNPRICED_ON_PRICING_PAGE) {
      expect(ids).toContain(id);
      expect(table.isPriced(id)).toBe(false);
    }
  });

  it('stores absolute, sane rates for every model and tier: non-negative, finite, cache reads below input', () => {
    const rows = Object.entries(raw.models).flatMap(([id, m]) => [
      [id, m] as const,
      ...(m.tiers ?? []).map((t, i) => [`${id}.tiers[${i}]`, t] as const),
    ]);
    expect(rows.length).toBeGreaterThan(0);
    for (const [id, r] of rows) {
      for (const key of ['input', 'cacheWrite5m', 'cacheWrite1h', 'cacheRead', 'output'] as const) {
        expect({ id, key, ok: typeof r[key] === 'number' && Number.isFinite(r[key]) && r[key] >= 0 }).toEqual({
          id,
          key,
          ok: true,
        });
      }
      expect({ id, readBelowInput: r.cacheRead < r.input }).toEqual({ id, readBelowInput: true });
      expect({ id, writesAboveInput: r.cacheWrite5m > r.input && r.cacheWrite1h > r.cacheWrite5m }).toEqual({
        id,
        writesAboveInput: true,
      });
    }
    expect(raw.currency).toBe('USD');
    expect(raw.source).toBe('https://platform.claude.com/docs/en/about-claude/pricing');
  });

  it('loads its version from the committed JSON', () => {
    expect(table.version).toBe(raw.version);
    expect(table.version).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(PricingTable.default()).toBe(table);
  });

  it('refuses usage that is not a non-negative integer', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => table.price('claude-opus-5-5', usage({ outputTokens: bad }))).toThrow(RangeError);
    }
  });

  it('refuses a malformed table instead of mispricing', () => {
    const base = (): PricingTableData => JSON.parse(JSON.stringify(raw)) as PricingTableData;
    const negative = base();
    negative.models['claude-opus-5-5'].output = -1;
    expect(() => new PricingTable(negative)).toThrow(/non-negative/);
    const subNano = base();
    subNano.models['claude-opus-5-5'].cacheRead = 0.0001;
    expect(() => new PricingTable(subNano)).toThrow(/finer than 1 nano-USD/);
    const dangling = base();
    dangling.aliases['claude-x'] = 'claude-nope';
    expect(() => new PricingTable(dangling)).toThrow(/unknown model/);
  });

  it('converts nano-USD for display', () => {
    expect(nanoToMicroUsd(96_000_000)).toBe(96_000);
    expect(nanoToMicroUsd(1_234_567)).toBe(1_234.567);
    expect(nanoToMicroUsd(1)).toBe(0.001);
    expect(nanoToUsd(227_500_000)).toBe(0.2275);
  });
});
