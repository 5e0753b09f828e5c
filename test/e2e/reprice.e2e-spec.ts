import Anthropic from '@anthropic-ai/sdk';
import { type MockAnthropic, type MockScenario, startMockAnthropic } from '../../mock-upstream/mock-anthropic';
import { runReprice } from '../../src/cli/reprice';
import { PricingTable, type PricingTableData } from '../../src/modules/proxy/pricing/pricing';
import { addMember, orgHeader } from '../support/tenancy-fixtures';
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

const PROVIDER_KEY = 'sk-ant-api03-lamplight-reprice-test-provider-key-0123456789';
const REPRICE = '/api/v1/pricing/reprice';

/**
 * A later table, as an operator would commit it: it adds Claude Fable 5.2 (unpriced today) at
 * $8 / $40 per MTok and doubles the web search fee. Hypothetical figures for the test only.
 */
function laterTable(): PricingTable {
  const data = JSON.parse(JSON.stringify(PricingTable.default().describe())) as PricingTableData;
  data.version = 'test-later';
  data.models['claude-fable-5-2'] = {
    name: 'Claude Fable 5.2 (test)',
    input: 8,
    cacheWrite5m: 10,
    cacheWrite1h: 16,
    cacheRead: 0.2,
    output: 40,
  };
  data.serverTools.webSearch.usdPerRequest = 0.02;
  return new PricingTable(data);
}

describe('repricing stored calls', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  let owner: TestUser;
  let client: Anthropic;
  let since: string;
  let until: string;

  const ask = async (session: string, model: string, scenario: MockScenario) => {
    await client.messages.create(
      { model, max_tokens: 16, messages: [{ role: 'user', content: `MOCK:${JSON.stringify(scenario)} hi` }] },
      { headers: { 'x-lamplight-session-id': session } },
    );
  };

  /** The organization's stored figures: per interaction, per session, and the rollups by model. */
  const figures = async () => {
    const org = owner.organizationId;
    const interactions = await app.sql<{ external_id: string; model: string; cost: string | null; version: string }>(
      `select s.external_id, i.model, i.cost_total_nano_usd::text as cost, i.pricing_version as version
       from interactions i join sessions s on s.id = i.session_id where i.organization_id = $1 order by s.external_id, i.model`,
      [org],
    );
    // Each session's running totals against the sum of its stored interactions.
    const sessions = await app.sql<{
      external_id: string;
      cost: string;
      unpriced: string;
      sum: string;
      unpriced_sum: string;
    }>(
      `select s.external_id, s.cost_nano_usd::text as cost, s.unpriced_requests::text as unpriced,
         coalesce(sum(i.cost_total_nano_usd), 0)::text as sum, count(*) filter (where i.cost_total_nano_usd is null)::text as unpriced_sum
       from sessions s join interactions i on i.session_id = s.id where s.organization_id = $1 group by s.organization_id, s.id order by 1`,
      [org],
    );
    const sums = `sum(cost_total_nano_usd)::text as total, sum(cost_tools_nano_usd)::text as tools,
      sum(cost_multipliers_nano_usd)::text as multipliers, sum(cost_input_nano_usd)::text as input`;
    const fromInteractions = await app.sql(
      `select model, ${sums}, count(*) filter (where cost_total_nano_usd is null)::text as unpriced
       from interactions where organization_id = $1 group by model order by model`,
      [org],
    );
    // Unpriced rows count 0 in the rollups, as the recorder writes them.
    const norm = (rows: Record<string, unknown>[]) =>
      rows.map((r) => ({
        ...r,
        total: r.total ?? '0',
        tools: r.tools ?? '0',
        multipliers: r.multipliers ?? '0',
        input: r.input ?? '0',
      }));
    const hourly = await app.sql(
      `select model, ${sums}, sum(unpriced_requests)::text as unpriced from usage_hourly where organization_id = $1 group by model order by model`,
      [org],
    );
    const daily = await app.sql(
      `select model, ${sums}, sum(unpriced_requests)::text as unpriced from usage_daily where organization_id = $1 group by model order by model`,
      [org],
    );
    // The rollup by API key and member against the interactions (the nil UUID stands for none).
    const principalsFromInteractions = await app.sql(
      `select coalesce(api_key_id, '00000000-0000-0000-0000-000000000000') as k,
         coalesce(user_id, '00000000-0000-0000-0000-000000000000') as u, coalesce(sum(cost_total_nano_usd), 0)::text as total,
         count(*) filter (where cost_total_nano_usd is null)::text as unpriced
       from interactions where organization_id = $1 group by 1, 2 order by 1, 2`,
      [org],
    );
    const principals = await app.sql(
      `select api_key_id as k, user_id as u, sum(cost_total_nano_usd)::text as total, sum(unpriced_requests)::text as unpriced
       from usage_hourly_principals where organization_id = $1 group by 1, 2 order by 1, 2`,
      [org],
    );
    return {
      interactions,
      sessions,
      fromInteractions: norm(fromInteractions),
      hourly: norm(hourly),
      daily: norm(daily),
      principalsFromInteractions,
      principals,
    };
  };

  const expectConsistent = (f: Awaited<ReturnType<typeof figures>>) => {
    for (const s of f.sessions) {
      expect(s.cost).toBe(s.sum);
      expect(s.unpriced).toBe(s.unpriced_sum);
    }
    expect(f.hourly).toEqual(f.fromInteractions);
    expect(f.daily).toEqual(f.fromInteractions);
    expect(f.principals).toEqual(f.principalsFromInteractions);
  };

  beforeAll(async () => {
    mock = await startMockAnthropic();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    const baseURL = await listen(app);
    owner = await registerUser(app, 'Reprice Owner');
    const key = (await createApiKey(app, owner, { name: 'reprice key' })).key;
    await storeProviderKey(app, owner, PROVIDER_KEY);
    client = new Anthropic({ baseURL: `${baseURL}/spotlight/anthropic`, apiKey: key, maxRetries: 0 });

    since = new Date(Date.now() - 1_000).toISOString();
    // Fable 5.2 is not in today's table: unpriced. 1,000 in, 100 out.
    await ask('reprice-a', 'claude-fable-5-2', { usage: { input_tokens: 1_000, output_tokens: 100 } });
    // Sonnet 4.6 with 3 web searches: 10,500,000 for tokens + 30,000,000 in fees today.
    await ask('reprice-a', 'claude-sonnet-4-6', {
      usage: { input_tokens: 1_000, output_tokens: 500 },
      usageExtra: { server_tool_use: { web_search_requests: 3 } },
    });
    // Haiku 4.5, no tools: the later table prices it the same.
    await ask('reprice-b', 'claude-haiku-4-5', { usage: { input_tokens: 2_000, output_tokens: 200 } });
    await eventually(async () => {
      const rows = await app.sql(`select 1 from interactions where organization_id = $1`, [owner.organizationId]);
      return rows.length === 3 ? rows : undefined;
    });
    until = new Date(Date.now() + 1_000).toISOString();
  });

  afterAll(async () => {
    await app.close();
    await mock.close();
  });

  it('npm run reprice: prices what was unpriced, applies changed fees, keeps totals and rollups whole, and is idempotent', async () => {
    const before = await figures();
    expect(before.interactions.map((i) => [i.model, i.cost])).toEqual([
      ['claude-fable-5-2', null],
      ['claude-sonnet-4-6', '40500000'],
      ['claude-haiku-4-5', '3000000'],
    ]);
    expectConsistent(before);

    const lines: string[] = [];
    const args = ['--since', since, '--until', until, '--organization', owner.organizationId];
    const report = await runReprice(args, (line) => lines.push(line), testDatabaseUrl(), laterTable());
    expect(report).toMatchObject({
      pricingVersion: 'test-later',
      scanned: 3,
      repriced: 2,
      newlyPriced: 1,
      nowUnpriced: 0,
      restamped: 1,
      stillUnpriced: 0,
    });
    // Fable 5.2: 1,000 × 8,000 + 100 × 40,000 = 12,000,000. Sonnet 4.6: 10,500,000 + 3 × 20,000,000 = 70,500,000.
    expect(report.costBeforeNanoUsd).toBe(43_500_000);
    expect(report.costAfterNanoUsd).toBe(85_500_000);
    expect(lines.join('\n')).toContain('newly priced 1');
    expect(lines.join('\n')).toContain('claude-fable-5-2: 1 repriced, $0 -> $0.012');

    const after = await figures();
    expect(after.interactions.map((i) => [i.model, i.cost, i.version])).toEqual([
      ['claude-fable-5-2', '12000000', 'test-later'],
      ['claude-sonnet-4-6', '70500000', 'test-later'],
      ['claude-haiku-4-5', '3000000', 'test-later'],
    ]);
    expect(after.sessions.map((s) => [s.external_id, s.cost, s.unpriced])).toEqual([
      ['reprice-a', '82500000', '0'],
      ['reprice-b', '3000000', '0'],
    ]);
    expectConsistent(after);

    const again = await runReprice(args, () => undefined, testDatabaseUrl(), laterTable());
    expect(again).toMatchObject({ scanned: 3, repriced: 0, newlyPriced: 0, restamped: 0 });
    expect(await figures()).toEqual(after);
  });

  it('the admin API reprices the organization under the current table, and only an admin of it may', async () => {
    // After the test above, everything is at the later table's prices; the current one undoes them.
    const response = await app.request({
      method: 'POST',
      url: REPRICE,
      headers: owner.auth,
      payload: { since, until },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      pricing_version: PricingTable.default().version,
      scanned: 3,
      repriced: 2,
      newly_priced: 0,
      now_unpriced: 1,
      restamped: 1,
      cost_before_usd: 0.0855,
      cost_after_usd: 0.0435,
      cost_change_usd: -0.042,
    });
    const f = await figures();
    expect(f.sessions.map((s) => [s.external_id, s.cost, s.unpriced])).toEqual([
      ['reprice-a', '40500000', '1'],
      ['reprice-b', '3000000', '0'],
    ]);
    expectConsistent(f);
    const again = await app.request({ method: 'POST', url: REPRICE, headers: owner.auth, payload: { since, until } });
    expect(again.json()).toMatchObject({ scanned: 3, repriced: 0, restamped: 0, still_unpriced: 1 });

    // Another organization's admin reprices their own organization: none of these calls.
    const stranger = await registerUser(app, 'Stranger');
    const theirs = await app.request({
      method: 'POST',
      url: REPRICE,
      headers: stranger.auth,
      payload: { since, until },
    });
    expect(theirs.json()).toMatchObject({ scanned: 0 });
    expect(
      (
        await app.request({
          method: 'POST',
          url: REPRICE,
          headers: { ...stranger.auth, ...orgHeader(owner.organizationId) },
          payload: { since, until },
        })
      ).statusCode,
    ).toBe(403);
    // A member of the organization is not an admin.
    const member = await registerUser(app, 'Member');
    await addMember(app, owner, owner.organizationId, member, 'member');
    expect(
      (
        await app.request({
          method: 'POST',
          url: REPRICE,
          headers: { ...member.auth, ...orgHeader(owner.organizationId) },
          payload: { since, until },
        })
      ).statusCode,
    ).toBe(403);
    // A bad range is refused.
    expect(
      (
        await app.request({
          method: 'POST',
          url: REPRICE,
          headers: owner.auth,
          payload: { since: until, until: since },
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (await app.request({ method: 'POST', url: REPRICE, headers: owner.auth, payload: { since: 'yesterday' } }))
        .statusCode,
    ).toBe(400);
  });

  it('GET /spotlight/analytics/pricing shows the table: version, date, rates, tiers, fees and multipliers', async () => {
    const response = await app.request({ method: 'GET', url: '/spotlight/analytics/pricing', headers: owner.auth });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    const table = PricingTable.default().describe();
    expect(body).toMatchObject({
      version: table.version,
      retrieved_at: table.retrievedAt,
      source: 'https://platform.claude.com/docs/en/about-claude/pricing',
      currency: 'USD',
    });
    expect(body.models).toHaveLength(Object.keys(table.models).length);
    expect(body.models.find((m: { model: string }) => m.model === 'claude-opus-5')).toMatchObject({
      name: 'Claude Opus 5',
      input: 5,
      cache_write_5m: 6.25,
      cache_write_1h: 10,
      cache_read: 0.5,
      output: 25,
      fast_mode_factor: '2',
      data_residency_factors: { us: '1.1' },
    });
    expect(body.models.find((m: { model: string }) => m.model === 'claude-haiku-4-5-20251001')).toMatchObject({
      aliases: ['claude-haiku-4-5'],
      data_residency_factors: {},
      fast_mode_factor: null,
    });
    expect(body.models.find((m: { model: string }) => m.model === 'claude-haiku-5-5').tiers).toEqual([
      expect.objectContaining({ min_input_tokens: 100_001, input: 0.5, output: 2.5 }),
    ]);
    expect(body.tool_fees).toMatchObject({ web_search_usd_per_request: 0.01, web_fetch_usd_per_request: 0 });
    expect(body.multipliers).toEqual({
      batch_service_tier: 'batch',
      batch_factor: '0.5',
      data_residency: { us: '1.1' },
    });
    expect(body.unpriced_models).toContain('claude-fable-5-2');
    expect((await app.request({ method: 'GET', url: '/spotlight/analytics/pricing' })).statusCode).toBe(401);
  });
});
