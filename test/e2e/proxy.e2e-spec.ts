import Anthropic from '@anthropic-ai/sdk';
import { request as httpRequest } from 'undici';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { PricingTable } from '../../src/modules/proxy/pricing/pricing';
import { SESSION_CACHE_TOPIC } from '../../src/database/cache-invalidation';
import {
  createApiKey,
  eventually,
  invalidationReceived,
  listen,
  registerUser,
  startTestApp,
  storeProviderKey,
  type TestApp,
  type TestUser,
} from '../support/test-app';

const PROVIDER_KEY = 'sk-ant-api03-lamplight-test-provider-key-0123456789';

interface InteractionRow {
  id: string;
  session_id: string;
  model: string;
  stream: boolean;
  http_status: number;
  outcome: string;
  stop_reason: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write5m_tokens: number;
  cache_write1h_tokens: number;
  cost_input_nano_usd: string | null;
  cost_output_nano_usd: string | null;
  cost_cache_read_nano_usd: string | null;
  cost_cache_write5m_nano_usd: string | null;
  cost_cache_write1h_nano_usd: string | null;
  cost_total_nano_usd: string | null;
  pricing_version: string;
  agent_id: string | null;
  user_query: string | null;
  final_output: string | null;
  content: { request: unknown[]; response: { type: string; text?: string; name?: string; input?: unknown }[] } | null;
  upstream_request_id: string | null;
  time_to_first_token_ms: number | null;
}

describe('the Anthropic proxy', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  let baseURL: string;
  let owner: TestUser;
  let platformKey: string;

  const client = (options: Partial<ConstructorParameters<typeof Anthropic>[0]> = {}) =>
    new Anthropic({ baseURL: `${baseURL}/spotlight/anthropic`, apiKey: platformKey, maxRetries: 0, ...options });

  const interactions = (sessionExternalId: string) =>
    app.sql<InteractionRow>(
      `select i.* from interactions i join sessions s on s.id = i.session_id
       where s.organization_id = $1 and s.external_id = $2 order by i.started_at`,
      [owner.organizationId, sessionExternalId],
    );

  const waitForInteractions = (sessionExternalId: string, count: number) =>
    eventually(async () => {
      const rows = await interactions(sessionExternalId);
      return rows.length >= count ? rows : undefined;
    });

  beforeAll(async () => {
    mock = await startMockAnthropic();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    baseURL = await listen(app);
    owner = await registerUser(app, 'Proxy Owner');
    platformKey = (await createApiKey(app, owner, { name: 'proxy key' })).key;
    await storeProviderKey(app, owner, PROVIDER_KEY);
  });

  afterAll(async () => {
    await app.close();
    await mock.close();
  });

  beforeEach(() => mock.reset());

  it('forwards messages.create with the stored provider key and records the call', async () => {
    const message = await client().messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hello there' }],
      metadata: { user_id: 'json-session-1' },
    });
    expect(message.content[0]).toMatchObject({ type: 'text' });
    const upstream = mock.requests.at(-1)!;
    expect(upstream.apiKey).toBe(PROVIDER_KEY);
    expect(upstream.headers['x-lamplight-api-key']).toBeUndefined();
    expect(JSON.stringify(upstream.headers)).not.toContain(platformKey);

    const [row] = await waitForInteractions('json-session-1', 1);
    expect(row).toMatchObject({
      model: 'claude-sonnet-4-6',
      stream: false,
      http_status: 200,
      outcome: 'ok',
      stop_reason: 'end_turn',
      input_tokens: message.usage.input_tokens,
      output_tokens: message.usage.output_tokens,
      user_query: 'Hello there',
      final_output: (message.content[0] as Anthropic.TextBlock).text,
      upstream_request_id: upstream.id,
      pricing_version: PricingTable.default().version,
    });
    expect(Number(row.cost_total_nano_usd)).toBeGreaterThan(0);
  });

  it('streams byte for byte and prices a cache-heavy call exactly', async () => {
    const scenario = {
      deltas: 8,
      usage: {
        input_tokens: 1_000,
        cache_read_input_tokens: 50_000,
        ephemeral_5m_input_tokens: 10_000,
        ephemeral_1h_input_tokens: 2_000,
        output_tokens: 800,
      },
    };
    const response = await httpRequest(`${baseURL}/spotlight/anthropic/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
        'x-api-key': platformKey,
        'x-lamplight-session-id': 'stream-session',
      },
      body: JSON.stringify({
        model: 'claude-opus-4-5',
        max_tokens: 1024,
        stream: true,
        messages: [{ role: 'user', content: `MOCK:${JSON.stringify(scenario)} Tell me a story` }],
      }),
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/event-stream');
    const received = Buffer.from(await response.body.arrayBuffer());
    const upstream = mock.requests.at(-1)!;
    expect(received.equals(mock.sentBytes.get(upstream.id)!)).toBe(true);

    const [row] = await waitForInteractions('stream-session', 1);
    expect(row).toMatchObject({
      stream: true,
      outcome: 'ok',
      input_tokens: 1_000,
      cache_read_tokens: 50_000,
      cache_write5m_tokens: 10_000,
      cache_write1h_tokens: 2_000,
      output_tokens: 800,
    });
    // claude-opus-4-5 per million tokens: input $5, 5m write $6.25, 1h write $10, read $0.50, output $25.
    // In nano-USD (1 USD/MTok = 1,000 nano-USD per token):
    expect(Number(row.cost_input_nano_usd)).toBe(1_000 * 5_000); //            5,000,000
    expect(Number(row.cost_cache_read_nano_usd)).toBe(50_000 * 500); //       25,000,000
    expect(Number(row.cost_cache_write5m_nano_usd)).toBe(10_000 * 6_250); //  62,500,000
    expect(Number(row.cost_cache_write1h_nano_usd)).toBe(2_000 * 10_000); //  20,000,000
    expect(Number(row.cost_output_nano_usd)).toBe(800 * 25_000); //           20,000,000
    expect(Number(row.cost_total_nano_usd)).toBe(132_500_000); // $0.1325
    expect(row.time_to_first_token_ms).not.toBeNull();

    const [session] = await app.sql<{ request_count: string; cost_nano_usd: string; input_tokens: string }>(
      `select request_count, cost_nano_usd, input_tokens from sessions where id = $1`,
      [row.session_id],
    );
    expect(session).toEqual({ request_count: '1', cost_nano_usd: '132500000', input_tokens: '1000' });
  });

  it('parses Claude Code sessions from metadata.user_id and headers, with device and agent id', async () => {
    const sessionId = '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f';
    await client({ defaultHeaders: { 'x-claude-code-agent-id': 'agent-42' } }).messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
      metadata: { user_id: `user_abc123def_account_11111111-2222-3333-4444-555555555555_session_${sessionId}` },
    });
    await client().messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
      metadata: {
        user_id: JSON.stringify({ device_id: 'device-9', account_uuid: 'acc', session_id: 'json-form-session' }),
      },
    });
    await client({ defaultHeaders: { 'x-claude-code-session-id': 'header-session' } }).messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
      metadata: { user_id: 'ignored-because-the-header-wins' },
    });
    await client().messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
    });

    const [claudeCode] = await waitForInteractions(sessionId, 1);
    expect(claudeCode.agent_id).toBe('agent-42');
    const sessions = await app.sql<{ external_id: string; device: Record<string, string> }>(
      `select external_id, device from sessions where organization_id = $1 order by external_id`,
      [owner.organizationId],
    );
    const byId = Object.fromEntries(sessions.map((s) => [s.external_id, s.device]));
    expect(byId[sessionId]).toMatchObject({ id: 'abc123def', type: 'sdk-js', platform: expect.any(String) });
    expect(byId['json-form-session']).toMatchObject({ id: 'device-9' });
    expect(byId['header-session']).toBeDefined();
    expect(byId['ignored-because-the-header-wins']).toBeUndefined();
    expect(byId['default-session']).toMatchObject({ id: 'unknown', osVersion: 'unknown' });
    await waitForInteractions('default-session', 1);
  });

  it('makes one session of concurrent first calls with a new external id', async () => {
    const calls = Array.from({ length: 8 }, () =>
      client({ defaultHeaders: { 'x-lamplight-session-id': 'race-session' } }).messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'race' }],
      }),
    );
    await Promise.all(calls);
    const rows = await waitForInteractions('race-session', 8);
    expect(new Set(rows.map((r) => r.session_id)).size).toBe(1);
    const sessions = await app.sql(
      `select id from sessions where organization_id = $1 and external_id = 'race-session'`,
      [owner.organizationId],
    );
    expect(sessions).toHaveLength(1);
  });

  it('refuses subscription OAuth tokens with 403 and sends nothing upstream', async () => {
    const oauth = new Anthropic({
      baseURL: `${baseURL}/spotlight/anthropic`,
      authToken: 'sk-ant-oat01-subscription-token-abcdefghijklmnop',
      defaultHeaders: { 'x-lamplight-api-key': platformKey },
      maxRetries: 0,
    });
    await expect(
      oauth.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(mock.requests).toHaveLength(0);
  });

  it('uses a client-sent Anthropic key as given, in x-api-key or as a bearer token', async () => {
    const clientKey = 'sk-ant-api03-client-supplied-key-abcdefghijkl';
    await new Anthropic({
      baseURL: `${baseURL}/spotlight/anthropic`,
      apiKey: clientKey,
      defaultHeaders: { 'x-lamplight-api-key': platformKey },
      maxRetries: 0,
    }).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    expect(mock.requests.at(-1)!.apiKey).toBe(clientKey);
    await new Anthropic({
      baseURL: `${baseURL}/spotlight/anthropic`,
      authToken: clientKey,
      defaultHeaders: { 'x-lamplight-api-key': platformKey },
      maxRetries: 0,
    }).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    expect(mock.requests.at(-1)!.headers['x-api-key']).toBe(clientKey);
    expect(mock.requests.at(-1)!.headers.authorization).toBeUndefined();
  });

  it("answers 401 in Anthropic's shape without credentials, and 401 when the organization has no provider key", async () => {
    const anonymous = new Anthropic({ baseURL: `${baseURL}/spotlight/anthropic`, apiKey: 'lmp_wrong', maxRetries: 0 });
    await expect(
      anonymous.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);

    const other = await registerUser(app, 'No Provider Key');
    const otherKey = (await createApiKey(app, other)).key;
    const error = await new Anthropic({
      baseURL: `${baseURL}/spotlight/anthropic`,
      apiKey: otherKey,
      maxRetries: 0,
    }).messages
      .create({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error' },
    });
    expect(mock.requests).toHaveLength(0);
  });

  it('refuses a call once the session has spent its token budget, before anything goes upstream', async () => {
    await client({ defaultHeaders: { 'x-lamplight-session-id': 'budget-session' } }).messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'MOCK:{"usage":{"input_tokens":60,"output_tokens":50}} spend' }],
    });
    await waitForInteractions('budget-session', 1);
    // The live session is cached by this instance; a change made in SQL reaches it by NOTIFY.
    const notified = invalidationReceived(app, SESSION_CACHE_TOPIC, owner.organizationId);
    await app.sql(
      `update sessions set token_budget = 100 where organization_id = $1 and external_id = 'budget-session'`,
      [owner.organizationId],
    );
    await notified;
    mock.reset();
    const error = await client({ defaultHeaders: { 'x-lamplight-session-id': 'budget-session' } })
      .messages.create({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'more' }] })
      .catch((e: unknown) => e);
    // The budget is a spend limit in tokens over the session's lifetime: 429, no reset to wait for.
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as InstanceType<typeof Anthropic.APIError>).message).toContain(
      "this session's token budget of 100 tokens",
    );
    expect((error as InstanceType<typeof Anthropic.APIError>).message).toContain('110 tokens spent');
    expect(mock.requests).toHaveLength(0);
  });

  it('retries a 529 before the first byte and records one interaction', async () => {
    const message = await client({ defaultHeaders: { 'x-lamplight-session-id': 'retry-session' } }).messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'MOCK:{"failTimes":1,"status":529,"key":"retry-once","retryAfter":0} hi' }],
    });
    expect(message.type).toBe('message');
    expect(mock.requests).toHaveLength(2);
    const rows = await waitForInteractions('retry-session', 1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await interactions('retry-session')).toHaveLength(1);
    expect(rows[0].outcome).toBe('ok');
  });

  it('gives up after two retries, passes the error through, and stops the SDK from multiplying retries', async () => {
    const error = await client({ maxRetries: 2, defaultHeaders: { 'x-lamplight-session-id': 'overloaded-session' } })
      .messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'MOCK:{"status":529,"retryAfter":0} hi' }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect(mock.requests).toHaveLength(3);
    const [row] = await waitForInteractions('overloaded-session', 1);
    expect(row).toMatchObject({ http_status: 529, outcome: 'upstream_error' });
  });

  it("never retries a 400 and passes it through in Anthropic's shape", async () => {
    const error = await client({ maxRetries: 2 })
      .messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'MOCK:{"status":400} hi' }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(mock.requests).toHaveLength(1);
  });

  it("streams with messages.stream, tool use included, and keeps the turn's content", async () => {
    const stream = client({ defaultHeaders: { 'x-lamplight-session-id': 'tool-session' } }).messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      system: 'MOCK:{"toolUse":{"name":"get_weather","input":{"city":"Paris"}}}',
      tools: [
        {
          name: 'get_weather',
          description: 'Weather',
          input_schema: { type: 'object', properties: { city: { type: 'string' } } },
        },
      ],
      messages: [
        { role: 'user', content: 'earlier question' },
        { role: 'assistant', content: 'earlier answer' },
        { role: 'user', content: 'Weather in Paris?' },
      ],
    });
    const final = await stream.finalMessage();
    const toolUse = final.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
    expect(toolUse.input).toEqual({ city: 'Paris' });
    const [row] = await waitForInteractions('tool-session', 1);
    expect(row.stop_reason).toBe('tool_use');
    expect(row.content!.request).toHaveLength(1);
    expect(row.content!.response).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } }),
      ]),
    );
    expect(row.user_query).toContain('Weather in Paris?');
  });

  it('records cancelled with the tokens known so far when the client goes away mid-stream', async () => {
    const controller = new AbortController();
    const stream = client({ defaultHeaders: { 'x-lamplight-session-id': 'cancel-session' } }).messages.stream(
      {
        model: 'claude-sonnet-4-6',
        max_tokens: 256,
        messages: [{ role: 'user', content: 'MOCK:{"deltas":40,"deltaDelayMs":50,"usage":{"input_tokens":321}} long' }],
      },
      { signal: controller.signal },
    );
    let deltas = 0;
    await expect(
      (async () => {
        for await (const event of stream) {
          if (event.type === 'content_block_delta' && ++deltas === 3) controller.abort();
        }
      })(),
    ).rejects.toThrow();
    const [row] = await waitForInteractions('cancel-session', 1);
    expect(row).toMatchObject({ outcome: 'cancelled', http_status: 499, input_tokens: 321 });
    await eventually(() => (mock.aborted.length > 0 ? true : undefined));
  });

  it('forwards count_tokens without recording an interaction', async () => {
    const before = await app.sql<{ n: string }>(`select count(*) as n from interactions`);
    const result = await client().messages.countTokens({
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'count these tokens' }],
    });
    expect(result.input_tokens).toBeGreaterThan(0);
    expect(mock.requests.at(-1)!.path).toBe('/v1/messages/count_tokens');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await app.sql(`select count(*) as n from interactions`)).toEqual(before);
  });

  it('writes no credential into any log line', () => {
    const logs = app.logs.join('\n');
    expect(logs).not.toContain(platformKey);
    expect(logs).not.toContain(PROVIDER_KEY);
    expect(logs).not.toContain(owner.token);
    expect(logs).not.toContain('sk-ant-api03-client-supplied-key');
    expect(logs).not.toContain('sk-ant-oat01');
  });
});
