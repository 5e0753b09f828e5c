import Anthropic from '@anthropic-ai/sdk';
import { type MockAnthropic, type MockScenario, startMockAnthropic } from '../../mock-upstream/mock-anthropic';
import { centsToNanoUsd } from '../../src/modules/pricing/reconciliation';
import { runReconcile } from '../../src/cli/reconcile';
import {
  createApiKey,
  eventually,
  listen,
  registerUser,
  startTestApp,
  storeProviderKey,
  testDatabaseUrl,
  type TestApp,
  type TestUser,
} from '../support/test-app';

const PROVIDER_KEY = 'sk-ant-api03-lamplight-reconcile-test-provider-key-0123456789';
const ADMIN_KEY = 'sk-ant-admin01-lamplight-reconcile-test';

const day = (offset: number) =>
  new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + offset))
    .toISOString()
    .slice(0, 10);

describe('reconciliation against the Admin API cost report', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  let owner: TestUser;
  let other: TestUser;

  const ask = async (client: Anthropic, model: string, scenario: MockScenario) => {
    await client.messages.create({
      model,
      max_tokens: 16,
      messages: [{ role: 'user', content: `MOCK:${JSON.stringify(scenario)} hi` }],
    });
  };
  const config = () => ({ databaseUrl: testDatabaseUrl(), anthropicBaseUrl: mock.url, adminKey: ADMIN_KEY });

  beforeAll(async () => {
    mock = await startMockAnthropic();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    const baseURL = await listen(app);
    owner = await registerUser(app, 'Reconcile Owner');
    other = await registerUser(app, 'Reconcile Other');
    const clients: Anthropic[] = [];
    for (const user of [owner, other]) {
      const key = (await createApiKey(app, user, { name: 'reconcile key' })).key;
      await storeProviderKey(app, user, PROVIDER_KEY);
      clients.push(new Anthropic({ baseURL: `${baseURL}/spotlight/anthropic`, apiKey: key, maxRetries: 0 }));
    }
    // Sonnet 4.6 with 3 web searches: tokens 1,000 × 3,000 + 500 × 15,000 = 10,500,000 nano-USD (1.05 cents), searches 3 cents.
    await ask(clients[0], 'claude-sonnet-4-6', {
      usage: { input_tokens: 1_000, output_tokens: 500 },
      usageExtra: { server_tool_use: { web_search_requests: 3 } },
    });
    // Haiku 4.5 by its alias: 2,000 × 1,000 + 200 × 5,000 = 3,000,000 (0.3 cents).
    await ask(clients[0], 'claude-haiku-4-5', { usage: { input_tokens: 2_000, output_tokens: 200 } });
    // Another Lamplight organization's call, on another Anthropic organization: not in this comparison.
    await ask(clients[1], 'claude-haiku-4-5', { usage: { input_tokens: 9_000, output_tokens: 900 } });
    await eventually(async () => {
      const rows = await app.sql(`select 1 from interactions where organization_id = any($1::uuid[])`, [
        [owner.organizationId, other.organizationId],
      ]);
      return rows.length === 3 ? rows : undefined;
    });

    const today = day(0);
    const yesterday = day(-1);
    mock.costReport = [
      {
        starting_at: `${yesterday}T00:00:00Z`,
        ending_at: `${today}T00:00:00Z`,
        // A call Lamplight never saw (made with the key directly): 10 cents.
        results: [{ amount: '10', cost_type: 'tokens', model: 'claude-opus-4-6', token_type: 'output_tokens' }],
      },
      {
        starting_at: `${today}T00:00:00Z`,
        ending_at: `${day(1)}T00:00:00Z`,
        results: [
          { amount: '0.3', cost_type: 'tokens', model: 'claude-sonnet-4-6', token_type: 'uncached_input_tokens' },
          { amount: '0.75', cost_type: 'tokens', model: 'claude-sonnet-4-6', token_type: 'output_tokens' },
          { amount: '3', cost_type: 'web_search' },
          // Anthropic bills the Haiku call 0.05 cents more than Lamplight computed, under its dated id.
          {
            amount: '0.35',
            cost_type: 'tokens',
            model: 'claude-haiku-4-5-20251001',
            token_type: 'uncached_input_tokens',
          },
          // Code execution: Lamplight cannot price container hours.
          { amount: '5', cost_type: 'code_execution' },
        ],
      },
    ];
  });

  afterAll(async () => {
    await app.close();
    await mock.close();
  });

  it('reads cents exactly', () => {
    expect(centsToNanoUsd('123.45')).toBe(1_234_500_000);
    expect(centsToNanoUsd('0.00000005')).toBe(1);
    expect(centsToNanoUsd('0.00000004')).toBe(0);
    expect(() => centsToNanoUsd('1e3')).toThrow(/decimal/);
  });

  it('compares per day and model, paging through the report, and prints the differences', async () => {
    const lines: string[] = [];
    const args = ['--since', day(-1), '--until', day(1), '--organization', owner.organizationId];
    const report = await runReconcile(args, (line) => lines.push(line), config(), undefined, 1);
    // Both days were read, one page each.
    expect(mock.requests.filter((r) => r.path === '/v1/organizations/cost_report')).toHaveLength(2);
    expect(mock.requests.at(-1)!.apiKey).toBe(ADMIN_KEY);

    const today = day(0);
    expect(report.lines).toEqual([
      {
        day: day(-1),
        item: 'claude-opus-4-6',
        anthropicNanoUsd: 100_000_000,
        lamplightNanoUsd: 0,
        differenceNanoUsd: 100_000_000,
        lamplightUnpricedCalls: 0,
      },
      {
        day: today,
        item: '(code execution)',
        anthropicNanoUsd: 50_000_000,
        lamplightNanoUsd: 0,
        differenceNanoUsd: 50_000_000,
        lamplightUnpricedCalls: 0,
      },
      {
        day: today,
        item: '(web search)',
        anthropicNanoUsd: 30_000_000,
        lamplightNanoUsd: 30_000_000,
        differenceNanoUsd: 0,
        lamplightUnpricedCalls: 0,
      },
      {
        day: today,
        item: 'claude-haiku-4-5-20251001',
        anthropicNanoUsd: 3_500_000,
        lamplightNanoUsd: 3_000_000,
        differenceNanoUsd: 500_000,
        lamplightUnpricedCalls: 0,
      },
      {
        day: today,
        item: 'claude-sonnet-4-6',
        anthropicNanoUsd: 10_500_000,
        lamplightNanoUsd: 10_500_000,
        differenceNanoUsd: 0,
        lamplightUnpricedCalls: 0,
      },
    ]);
    expect(report.differenceNanoUsd).toBe(150_500_000);
    const text = lines.join('\n');
    expect(text).toContain(
      `${today}  claude-haiku-4-5-20251001: Anthropic $0.0035, Lamplight $0.003, difference $0.0005`,
    );
    expect(text).toContain(`${day(-1)}  claude-opus-4-6: Anthropic $0.1, Lamplight $0, difference $0.1`);
    expect(text).not.toContain('claude-sonnet-4-6'); // equal: not printed without --all
    expect(text).toContain('total: Anthropic $0.194, Lamplight $0.0435, difference $0.1505');
  });

  it('sums several Lamplight organizations; a bad admin key or bad dates are errors', async () => {
    const both = ['--organization', owner.organizationId, '--organization', other.organizationId];
    const report = await runReconcile(
      ['--since', day(0), '--until', day(1), '--all', ...both],
      () => undefined,
      config(),
    );
    // The other organization's Haiku call: 9,000 × 1,000 + 900 × 5,000 = 13,500,000 more.
    expect(report.lines.find((l) => l.item === 'claude-haiku-4-5-20251001')!.lamplightNanoUsd).toBe(16_500_000);
    await expect(
      runReconcile(['--since', day(0), '--until', day(1)], () => undefined, {
        ...config(),
        adminKey: 'sk-ant-admin01-invalid',
      }),
    ).rejects.toThrow(/401/);
    await expect(
      runReconcile(['--since', day(0), '--until', day(1)], () => undefined, { ...config(), adminKey: undefined }),
    ).rejects.toThrow(/ANTHROPIC_ADMIN_API_KEY/);
    await expect(runReconcile(['--since', 'yesterday', '--until', day(1)], () => undefined, config())).rejects.toThrow(
      /UTC dates/,
    );
  });
});
