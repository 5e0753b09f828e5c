import Anthropic from '@anthropic-ai/sdk';
import { type MockAnthropic, type MockScenario, startMockAnthropic } from '../../mock-upstream/mock-anthropic';
import { PricingTable } from '../../src/modules/proxy/pricing/pricing';
import {
  createApiKey,
  eventually,
  listen,
  registerUser,
  startTestApp,
  storeProviderKey,
  type TestApp,
  type TestUser,
  type LooseRecord,
} from '../support/test-app';

const PROVIDER_KEY = 'sk-ant-api03-lamplight-cost-test-provider-key-0123456789';

interface CostRow {
  session_id: string;
  model: string;
  outcome: string;
  output_tokens: number;
  cost_total_nano_usd: string | null;
  cost_tools_nano_usd: string | null;
  cost_multipliers_nano_usd: string | null;
  cost_breakdown: {
    parts: { kind: string; pricedAs: string; tier: string | null }[];
    multipliers: { name: string; factor: string }[];
    tools: { name: string; requests: number; nanoUsd: number }[];
    output: { tokens: number; thinkingTokens: number | null };
    tokensNanoUsd: number;
  } | null;
  usage: LooseRecord | null;
  pricing_version: string;
}

/**
 * One dimension of Anthropic's bill: the usage the mock sends for a call to `model`, and the
 * cost worked out by hand from the pricing page's rates (nano-USD: $1 per MTok = 1,000 per token).
 */
interface Dimension {
  name: string;
  model: string;
  scenario: MockScenario;
  totalNanoUsd: number | null;
  toolsNanoUsd?: number;
  multipliersNanoUsd?: number;
  check?: (row: CostRow) => void;
}

const DIMENSIONS: Dimension[] = [
  {
    // Sonnet 4.6 ($3 / $15): 1,000 × 3,000 + 500 × 15,000 = 10,500,000; 3 searches at $0.01 = 30,000,000.
    name: 'web search and web fetch',
    model: 'claude-sonnet-4-6',
    scenario: {
      usage: { input_tokens: 1_000, output_tokens: 500 },
      usageExtra: { server_tool_use: { web_search_requests: 3, web_fetch_requests: 2 } },
    },
    totalNanoUsd: 40_500_000,
    toolsNanoUsd: 30_000_000,
    multipliersNanoUsd: 0,
    check: (row) =>
      expect(row.cost_breakdown!.tools).toEqual([
        expect.objectContaining({ name: 'web_search', requests: 3, nanoUsd: 30_000_000 }),
        expect.objectContaining({ name: 'web_fetch', requests: 2, nanoUsd: 0 }),
      ]),
  },
  {
    // Haiku 4.5: 10,000 × 1,000 + 20,000 × 100 + 4,000 × 1,250 + 2,000 × 5,000 = 27,000,000; batch × 0.5.
    name: 'the batch discount (service_tier batch)',
    model: 'claude-haiku-4-5',
    scenario: {
      usage: {
        input_tokens: 10_000,
        cache_read_input_tokens: 20_000,
        ephemeral_5m_input_tokens: 4_000,
        output_tokens: 2_000,
      },
      usageExtra: { service_tier: 'batch' },
    },
    totalNanoUsd: 13_500_000,
    toolsNanoUsd: 0,
    multipliersNanoUsd: -13_500_000,
    check: (row) =>
      expect(row.cost_breakdown!.multipliers).toEqual([expect.objectContaining({ name: 'batch', factor: '0.5' })]),
  },
  {
    // Opus 4.6 ($5 / $25): (1,000 × 5,000 + 1,000 × 25,000) × 1.1 = 33,000,000.
    name: 'data residency (inference_geo us)',
    model: 'claude-opus-4-6',
    scenario: { usage: { input_tokens: 1_000, output_tokens: 1_000 }, usageExtra: { inference_geo: 'us' } },
    totalNanoUsd: 33_000_000,
    multipliersNanoUsd: 3_000_000,
    check: (row) =>
      expect(row.cost_breakdown!.multipliers).toEqual([
        expect.objectContaining({ name: 'data_residency', factor: '1.1' }),
      ]),
  },
  {
    // Opus 5: 2,000 × 5,000 + 1,000 × 10,000 (1h write) + 3,000 × 25,000 = 95,000,000; fast × 2.
    name: 'fast mode (speed fast)',
    model: 'claude-opus-5',
    scenario: {
      usage: { input_tokens: 2_000, ephemeral_1h_input_tokens: 1_000, output_tokens: 3_000 },
      usageExtra: { speed: 'fast' },
    },
    totalNanoUsd: 190_000_000,
    multipliersNanoUsd: 95_000_000,
  },
  {
    // Fast mode on Opus 5.5, whose fast rates the table does not have: unpriced, never standard.
    name: 'fast mode at a rate the table lacks',
    model: 'claude-opus-5-5',
    scenario: { usage: { input_tokens: 2_000, output_tokens: 3_000 }, usageExtra: { speed: 'fast' } },
    totalNanoUsd: null,
  },
  {
    // Compaction at Sonnet 4.6: 5,000 × 3,000 + 1,000 × 15,000 = 30,000,000; the message: 2,000 × 3,000
    // + 300 × 15,000 = 10,500,000; the advisor at Opus 4.7: 4,000 × 5,000 + 600 × 25,000 = 35,000,000.
    name: 'usage.iterations, each at its own model',
    model: 'claude-sonnet-4-6',
    scenario: {
      usage: { input_tokens: 2_000, output_tokens: 300 },
      usageExtra: {
        iterations: [
          {
            type: 'compaction',
            input_tokens: 5_000,
            output_tokens: 1_000,
            cache_read_input_tokens: 0,
            cache_creation_input_tokens: 0,
          },
          {
            type: 'message',
            model: 'claude-sonnet-4-6',
            input_tokens: 2_000,
            output_tokens: 300,
            cache_read_input_tokens: 0,
            cache_creation_input_tokens: 0,
          },
          {
            type: 'advisor_message',
            model: 'claude-opus-4-7',
            input_tokens: 4_000,
            output_tokens: 600,
            cache_read_input_tokens: 0,
            cache_creation_input_tokens: 0,
          },
        ],
      },
    },
    totalNanoUsd: 75_500_000,
    check: (row) =>
      expect(row.cost_breakdown!.parts.map((p) => p.pricedAs)).toEqual([
        'claude-sonnet-4-6',
        'claude-sonnet-4-6',
        'claude-opus-4-7',
      ]),
  },
  {
    // Haiku 5.5 over 100,000 prompt tokens ($0.50 / $0.05 read / $2.50): 60,000 × 500 + 40,001 × 50 + 1,000 × 2,500.
    name: 'the prompt-size tier (Haiku 5.5)',
    model: 'claude-haiku-5-5',
    scenario: { usage: { input_tokens: 60_000, cache_read_input_tokens: 40_001, output_tokens: 1_000 } },
    totalNanoUsd: 34_500_050,
    check: (row) => expect(row.cost_breakdown!.parts[0].tier).toMatch(/over 100,000/),
  },
  {
    // Sonnet 4.5 over 200K input tokens ($6 / $7.50 5m write / $22.50): 150,000 × 6,000 + 50,001 × 7,500 + 1,000 × 22,500.
    name: 'the long-context premium (Sonnet 4.5)',
    model: 'claude-sonnet-4-5',
    scenario: { usage: { input_tokens: 150_000, ephemeral_5m_input_tokens: 50_001, output_tokens: 1_000 } },
    totalNanoUsd: 1_297_507_500,
    check: (row) => expect(row.cost_breakdown!.parts[0].tier).toMatch(/long context/),
  },
  {
    // Sonnet 4.6: 100 × 3,000 + 1,000 × 15,000 = 15,300,000; 700 of the 1,000 output tokens were thinking.
    name: 'thinking tokens within output',
    model: 'claude-sonnet-4-6',
    scenario: {
      usage: { input_tokens: 100, output_tokens: 1_000 },
      usageExtra: { output_tokens_details: { thinking_tokens: 700 } },
    },
    totalNanoUsd: 15_300_000,
    check: (row) => expect(row.cost_breakdown!.output).toEqual({ tokens: 1_000, thinkingTokens: 700 }),
  },
];

describe('exact cost through the proxy (official SDK, mock upstream)', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  let baseURL: string;
  let owner: TestUser;
  let client: Anthropic;

  const rowFor = (externalId: string) =>
    eventually(async () => {
      const rows = await app.sql<CostRow>(
        `select i.* from interactions i join sessions s on s.id = i.session_id where s.organization_id = $1 and s.external_id = $2`,
        [owner.organizationId, externalId],
      );
      return rows[0];
    });

  beforeAll(async () => {
    mock = await startMockAnthropic();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    baseURL = await listen(app);
    owner = await registerUser(app, 'Cost Owner');
    const key = (await createApiKey(app, owner, { name: 'cost key' })).key;
    await storeProviderKey(app, owner, PROVIDER_KEY);
    client = new Anthropic({ baseURL: `${baseURL}/spotlight/anthropic`, apiKey: key, maxRetries: 0 });
  });

  afterAll(async () => {
    await app.close();
    await mock.close();
  });

  describe.each(['json', 'stream'] as const)('%s', (mode) => {
    it.each(DIMENSIONS.map((d) => [d.name, d] as const))('prices %s as computed by hand', async (_name, dimension) => {
      const externalId = `cost-${mode}-${dimension.name.replace(/\W+/g, '-')}`;
      const params = {
        model: dimension.model,
        max_tokens: 64,
        messages: [{ role: 'user' as const, content: `MOCK:${JSON.stringify(dimension.scenario)} go` }],
      };
      const options = { headers: { 'x-lamplight-session-id': externalId } };
      const message =
        mode === 'json'
          ? await client.messages.create(params, options)
          : await client.messages.stream(params, options).finalMessage();
      // The client saw the same usage the gateway priced.
      const extra = dimension.scenario.usageExtra ?? {};
      if (extra.server_tool_use) expect(message.usage.server_tool_use).toMatchObject(extra.server_tool_use);

      const row = await rowFor(externalId);
      expect(row.outcome).toBe('ok');
      expect(row.pricing_version).toBe(PricingTable.default().version);
      expect(row.cost_total_nano_usd === null ? null : Number(row.cost_total_nano_usd)).toBe(dimension.totalNanoUsd);
      if (dimension.totalNanoUsd === null) {
        expect(row.cost_breakdown).toBeNull();
      } else {
        if (dimension.toolsNanoUsd !== undefined) expect(Number(row.cost_tools_nano_usd)).toBe(dimension.toolsNanoUsd);
        if (dimension.multipliersNanoUsd !== undefined)
          expect(Number(row.cost_multipliers_nano_usd)).toBe(dimension.multipliersNanoUsd);
        dimension.check?.(row);
      }
      // The usage object is kept as Anthropic sent it (a stream's message_start and message_delta merged).
      for (const [field, value] of Object.entries(extra)) expect(row.usage![field]).toEqual(value);
      expect(row.usage!.input_tokens).toBe(dimension.scenario.usage!.input_tokens);
      expect(row.usage!.output_tokens).toBe(dimension.scenario.usage!.output_tokens);
    });
  });

  it('splits the analytics totals into tokens, tool fees and multipliers', async () => {
    // Every call of the dimensions above, JSON and stream (this test runs after them, before the history one).
    const calls = await app.sql<{ n: string }>(
      `select count(*)::text as n from interactions where organization_id = $1`,
      [owner.organizationId],
    );
    expect(Number(calls[0].n)).toBe(DIMENSIONS.length * 2);
    const sum = (f: (d: Dimension) => number) => DIMENSIONS.reduce((a, d) => a + 2 * f(d), 0);
    const total = sum((d) => d.totalNanoUsd ?? 0);
    const tools = sum((d) => d.toolsNanoUsd ?? 0);
    const multipliers = sum((d) => d.multipliersNanoUsd ?? 0);
    const response = await app.request({ method: 'GET', url: '/spotlight/analytics/tokens', headers: owner.auth });
    expect(response.statusCode).toBe(200);
    const totals = response.json().totals;
    expect(totals.cost_usd).toBe(total / 1e9);
    expect(totals.unpriced_requests).toBe(2);
    expect(totals.cost_split_usd).toEqual({
      tokens: (total - tools - multipliers) / 1e9,
      tool_fees: tools / 1e9,
      multipliers: multipliers / 1e9,
    });
    // By hand: web search 2 × $0.03; batch 2 × −$0.0135, residency 2 × $0.003, fast mode 2 × $0.095.
    expect(tools).toBe(2 * 30_000_000);
    expect(multipliers).toBe(2 * (-13_500_000 + 3_000_000 + 95_000_000));
  });

  it('shows the breakdown and the raw usage on the session history', async () => {
    const externalId = 'cost-history';
    const dimension = DIMENSIONS[0];
    await client.messages.create(
      {
        model: dimension.model,
        max_tokens: 64,
        messages: [{ role: 'user', content: `MOCK:${JSON.stringify(dimension.scenario)} go` }],
      },
      { headers: { 'x-lamplight-session-id': externalId } },
    );
    await rowFor(externalId);
    const response = await app.request({
      method: 'GET',
      url: `/api/v1/sessions/${externalId}/history`,
      headers: owner.auth,
    });
    expect(response.statusCode).toBe(200);
    const [interaction] = response.json().data;
    expect(interaction.cost).toMatchObject({
      totalNanoUsd: 40_500_000,
      toolsNanoUsd: 30_000_000,
      multipliersNanoUsd: 0,
    });
    expect(interaction.cost.breakdown.tools[0]).toMatchObject({ name: 'web_search', requests: 3 });
    expect(interaction.costUsd).toBe(0.0405);
    expect(interaction.usage.server_tool_use).toEqual({ web_search_requests: 3, web_fetch_requests: 2 });
  });
});
