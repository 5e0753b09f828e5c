import Anthropic from '@anthropic-ai/sdk';
import { type MockAnthropic, type MockScenario, startMockAnthropic } from '../../mock-upstream/mock-anthropic';
import {
  createApiKey,
  eventually,
  listen,
  registerUser,
  startTestApp,
  storeProviderKey,
  type TestApp,
  type TestUser,
} from '../support/test-app';

const PROVIDER_KEY = 'sk-ant-api03-lamplight-cache-test-provider-key-0123456789';

/**
 * A scripted session on Claude Sonnet 4.6 (per token: input 3,000 nano-USD, cache read 300, 5-minute
 * write 3,750, 1-hour write 6,000). The first call is moved ten minutes back after it is recorded,
 * so its 5-minute write runs out before the next call.
 */
const SCRIPT: { name: string; usage: MockScenario['usage'] }[] = [
  {
    name: 'writes 2,000 tokens for 5 minutes, never read',
    usage: { input_tokens: 100, ephemeral_5m_input_tokens: 2_000, output_tokens: 50 },
  },
  {
    name: 'writes 4,000 tokens for 1 hour',
    usage: { input_tokens: 100, ephemeral_1h_input_tokens: 4_000, output_tokens: 50 },
  },
  { name: 'reads them', usage: { input_tokens: 50, cache_read_input_tokens: 4_000, output_tokens: 50 } },
  {
    name: 'reads them again and writes 1,000 for 5 minutes',
    usage: { input_tokens: 50, cache_read_input_tokens: 4_000, ephemeral_5m_input_tokens: 1_000, output_tokens: 20 },
  },
];

/** The session's figures, by hand. */
const SESSION = {
  // All input: (100 + 2,000) + (100 + 4,000) + (50 + 4,000) + (50 + 1,000 + 4,000) = 15,300; read 8,000.
  input_tokens: 15_300,
  cache_read_tokens: 8_000,
  hit_rate: 8_000 / 15_300,
  // Two reads of 4,000 tokens, each saving 3,000 − 300 per token: 21,600,000 nano-USD.
  saved_usd: 0.0216,
  // 5-minute writes (2,000 + 1,000) × 3,750 = 11,250,000; 1-hour 4,000 × 6,000 = 24,000,000.
  cache_write_usd: 0.03525,
  // The first call's write (2,000 × 3,750) was not read within 5 minutes.
  unread_writes: 1,
  unread_write_usd: 0.0075,
  // The last call's write (1,000 × 3,750) is still within its 5 minutes.
  pending_writes: 1,
  pending_write_usd: 0.00375,
  write_mix: {
    five_minute_tokens: 3_000,
    one_hour_tokens: 4_000,
    five_minute_share: 3 / 7,
    one_hour_share: 4 / 7,
    five_minute_usd: 0.01125,
    one_hour_usd: 0.024,
  },
};

describe('cache insights', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  let owner: TestUser;
  let client: Anthropic;

  const ask = async (session: string, usage: MockScenario['usage']) => {
    await client.messages.create(
      {
        model: 'claude-sonnet-4-6',
        max_tokens: 16,
        messages: [{ role: 'user', content: `MOCK:${JSON.stringify({ usage })} hi` }],
      },
      { headers: { 'x-lamplight-session-id': session } },
    );
  };
  const stored = (n: number) =>
    eventually(async () => {
      const rows = await app.sql<{ id: string; session_id: string }>(
        `select id, session_id from interactions where organization_id = $1 order by started_at, id`,
        [owner.organizationId],
      );
      return rows.length === n ? rows : undefined;
    });
  const get = async (url: string) => {
    const response = await app.request({ method: 'GET', url, headers: owner.auth });
    expect(response.statusCode).toBe(200);
    return response.json();
  };

  beforeAll(async () => {
    mock = await startMockAnthropic();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    const baseURL = await listen(app);
    owner = await registerUser(app, 'Cache Owner');
    const key = (await createApiKey(app, owner, { name: 'cache key' })).key;
    await storeProviderKey(app, owner, PROVIDER_KEY);
    client = new Anthropic({ baseURL: `${baseURL}/spotlight/anthropic`, apiKey: key, maxRetries: 0 });

    await ask('cache-script', SCRIPT[0].usage);
    const [first] = await stored(1);
    await app.sql(
      `update interactions set started_at = started_at - interval '10 minutes', ended_at = ended_at - interval '10 minutes' where id = $1`,
      [first.id],
    );
    for (const step of SCRIPT.slice(1)) await ask('cache-script', step.usage);
    // Another session of the organization: one read of 1,000 tokens (saves 2,700,000), no writes.
    await ask('cache-other', { input_tokens: 10, cache_read_input_tokens: 1_000, output_tokens: 5 });
    await stored(SCRIPT.length + 1);
  });

  afterAll(async () => {
    await app.close();
    await mock.close();
  });

  it('on the session read: hit rate, dollars saved, writes never read within their TTL, 5m/1h mix', async () => {
    const body = await get('/spotlight/analytics/sessions/cache-script');
    expect(body.cache).toEqual(SESSION);
  });

  it('GET /spotlight/analytics/cache?session_id= gives the same for the session', async () => {
    const body = await get('/spotlight/analytics/cache?session_id=cache-script');
    expect(body).toEqual({ start: null, end: null, session_id: 'cache-script', ...SESSION });
  });

  it('on the shared session: the public view and the share page', async () => {
    const created = await app.request({
      method: 'POST',
      url: '/spotlight/analytics/sessions/cache-script/share',
      headers: owner.auth,
      payload: {},
    });
    expect(created.statusCode).toBe(201);
    const token = created.json().share_token;
    const shared = await app.request({ method: 'GET', url: `/spotlight/analytics/sessions/shared/${token}` });
    expect(shared.statusCode).toBe(200);
    expect(shared.json().cache).toEqual(SESSION);
    const page = await app.request({ method: 'GET', url: `/shared/${token}` });
    expect(page.statusCode).toBe(200);
    const figure = (name: string) => new RegExp(`data-figure="${name}">([^<]*)<`).exec(page.body)?.[1];
    expect(figure('cache-hit-rate')).toBe('52.3%');
    expect(figure('cache-saved')).toBe('$0.0216');
    expect(figure('cache-write-cost')).toBe('$0.03525');
    expect(figure('cache-unread')).toBe('1 ($0.0075)');
    expect(figure('cache-mix')).toBe('42.9% / 57.1%');
  });

  it('GET /spotlight/analytics/cache over a period sums the organization’s sessions', async () => {
    const body = await get('/spotlight/analytics/cache');
    expect(body).toMatchObject({
      session_id: null,
      input_tokens: SESSION.input_tokens + 1_010,
      cache_read_tokens: SESSION.cache_read_tokens + 1_000,
      hit_rate: 9_000 / 16_310,
      saved_usd: 0.0243,
      cache_write_usd: SESSION.cache_write_usd,
      unread_writes: 1,
      unread_write_usd: SESSION.unread_write_usd,
      pending_writes: 1,
      pending_write_usd: SESSION.pending_write_usd,
      write_mix: SESSION.write_mix,
    });
    // Another organization sees none of it.
    const stranger = await registerUser(app, 'Cache Stranger');
    const theirs = await app.request({ method: 'GET', url: '/spotlight/analytics/cache', headers: stranger.auth });
    expect(theirs.json()).toMatchObject({ input_tokens: 0, hit_rate: null, saved_usd: 0, unread_writes: 0 });
    const missing = await app.request({
      method: 'GET',
      url: '/spotlight/analytics/cache?session_id=cache-script',
      headers: stranger.auth,
    });
    expect(missing.statusCode).toBe(404);
    const tooLong = await app.request({
      method: 'GET',
      url: '/spotlight/analytics/cache?start=2026-01-01T00:00:00Z&end=2026-03-01T00:00:00Z',
      headers: owner.auth,
    });
    expect(tooLong.statusCode).toBe(400);
  });
});
