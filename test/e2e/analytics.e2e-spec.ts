import type Anthropic from '@anthropic-ai/sdk';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import {
  type Call,
  costOf,
  figures,
  getJson,
  proxyCall,
  sdk,
  setUpGateway,
  sumBy,
  sumCalls,
  type Sums,
  totalTokensOf,
  UNPRICED_MODEL,
  usd,
  waitForInteractions,
} from '../support/analytics-fixtures';
import { addMember } from '../support/tenancy-fixtures';
import {
  createApiKey,
  expectProblem,
  listen,
  registerUser,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../support/test-app';

/** The calls organization A makes through the proxy, with exact usage. */
const CALLS: Call[] = [
  {
    session: 'alpha-session',
    model: 'claude-sonnet-4-6',
    usage: { input: 1200, output: 340, cacheRead: 50_000, write5m: 10_000, write1h: 2_000 },
  },
  { session: 'alpha-session', model: 'claude-opus-4-6', usage: { input: 800, output: 1500, write1h: 4_000 } },
  { session: 'alpha-session', model: 'claude-sonnet-4-6', usage: { input: 10, output: 5 } },
  { session: 'alpha-session', model: 'claude-sonnet-4-6', usage: { input: 0, output: 0 }, failed: true },
  {
    session: 'beta-session',
    model: 'claude-haiku-4-5-20251001',
    usage: { input: 5000, output: 100, cacheRead: 100_000 },
  },
  { session: 'beta-session', model: UNPRICED_MODEL, usage: { input: 77, output: 33 } },
  { session: 'beta-session', model: 'claude-opus-4-6', usage: { input: 1, output: 1 } },
];
/** Made as a stream, to show streamed usage is counted the same. */
const STREAMED: Call = {
  session: 'gamma-session',
  model: 'claude-sonnet-4-6',
  usage: { input: 3000, output: 700, write5m: 1200 },
};
const ALL = [...CALLS, STREAMED];

/** The other organization's one call. */
const OTHER: Call = { session: 'alpha-session', model: 'claude-sonnet-4-6', usage: { input: 999_999, output: 1 } };

interface Row {
  id: string;
  session_id: string;
  model: string;
  outcome: string;
  http_status: number;
  stream: boolean;
  stop_reason: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write5m_tokens: number;
  cache_write1h_tokens: number;
  latency_ms: number;
  time_to_first_token_ms: number | null;
  started_at: Date;
  ended_at: Date;
}

const asCall = (row: Row, session: string): Call => ({
  session,
  model: row.model,
  usage: {
    input: row.input_tokens,
    output: row.output_tokens,
    cacheRead: row.cache_read_tokens,
    write5m: row.cache_write5m_tokens,
    write1h: row.cache_write1h_tokens,
  },
  failed: row.outcome !== 'ok',
});

/** What a session's row in the analytics list should say, from the calls made in it. */
function sessionFigures(s: Sums) {
  return {
    total_requests: s.requests,
    total_input_tokens: s.input,
    total_output_tokens: s.output,
    total_cache_read_tokens: s.cacheRead,
    total_cache_write_5m_tokens: s.write5m,
    total_cache_write_1h_tokens: s.write1h,
    total_tokens: totalTokensOf(s),
    total_cost_usd: usd(s.cost.total),
    unpriced_requests: s.unpriced,
  };
}

describe('analytics', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  let baseURL: string;
  let owner: TestUser;
  let other: TestUser;
  let client: Anthropic;
  let rows: Row[];
  let sessionIds: Record<string, string>;

  beforeAll(async () => {
    mock = await startMockAnthropic();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    baseURL = await listen(app);
    let key: string;
    ({ owner, key } = await setUpGateway(app, 'Analytics Owner'));
    client = sdk(baseURL, key);
    for (const call of CALLS) await proxyCall(client, call);
    await proxyCall(client, STREAMED, 'Stream me a summary', { stream: true });

    const second = await setUpGateway(app, 'Other Owner');
    other = second.owner;
    await proxyCall(sdk(baseURL, second.key), OTHER);

    await waitForInteractions(app, owner.organizationId, ALL.length);
    await waitForInteractions(app, other.organizationId, 1);
    rows = await app.sql<Row>(`select * from interactions where organization_id = $1 order by started_at, id`, [
      owner.organizationId,
    ]);
    const sessions = await app.sql<{ id: string; external_id: string }>(
      `select id, external_id from sessions where organization_id = $1`,
      [owner.organizationId],
    );
    sessionIds = Object.fromEntries(sessions.map((s) => [s.external_id, s.id]));
  });

  afterAll(async () => {
    await app.close();
    await mock.close();
  });

  const externalIdOf = (row: Row) => Object.entries(sessionIds).find(([, id]) => id === row.session_id)![0];

  it('recorded exactly the calls the test made (the basis of every expectation below)', () => {
    const recorded = rows.map((row) => asCall(row, externalIdOf(row)));
    const key = (c: Call) =>
      JSON.stringify([
        c.session,
        c.model,
        c.failed ?? false,
        c.usage.input,
        c.usage.output,
        c.usage.cacheRead ?? 0,
        c.usage.write5m ?? 0,
        c.usage.write1h ?? 0,
      ]);
    expect(recorded.map(key).sort()).toEqual(ALL.map(key).sort());
    expect(Object.keys(sessionIds).sort()).toEqual(['alpha-session', 'beta-session', 'gamma-session']);
  });

  describe('GET /spotlight/analytics/tokens', () => {
    it('reports usage and exact cost by model over the last 30 days', async () => {
      const { status, body } = await getJson(app, owner, '/spotlight/analytics/tokens');
      expect(status).toBe(200);
      const expected = sumCalls(ALL);
      expect(body.totals).toEqual(figures(expected));
      expect(body.granularity).toBeNull();
      expect(body.timezone).toBe('UTC');
      expect(body.series).toBeUndefined();
      const byModel = sumBy(ALL, (c) => c.model);
      expect(body.models).toEqual(
        [...byModel.keys()].sort().map((model) => ({ model, ...figures(byModel.get(model)!) })),
      );
      // The range: 30 days ending with the current hour.
      const end = Date.parse(body.end);
      expect(end % 3_600_000).toBe(0);
      expect(end - Date.now()).toBeGreaterThan(0);
      expect(end - Date.now()).toBeLessThanOrEqual(3_600_000);
      expect(end - Date.parse(body.start)).toBe(30 * 86_400_000);
      // A spot check of the arithmetic, by hand: 1200·3 + 340·15 + 50000·0.3 + 10000·3.75 + 2000·6 USD per million.
      expect(costOf(CALLS[0])!.total).toBe(73_200_000);
      expect(body.models.find((m: { model: string }) => m.model === UNPRICED_MODEL)).toMatchObject({
        unpriced_requests: 1,
        cost_usd: 0,
      });
    });

    it('gives hourly and daily series whose buckets hold the calls that started in them', async () => {
      for (const [granularity, size] of [
        ['hour', 3_600_000],
        ['day', 86_400_000],
      ] as const) {
        const { status, body } = await getJson(
          app,
          owner,
          `/spotlight/analytics/tokens?granularity=${granularity}&start=${new Date(Date.now() - 3 * 86_400_000).toISOString()}`,
        );
        expect(status).toBe(200);
        expect(body.granularity).toBe(granularity);
        const buckets = sumBy(
          rows.map((row) => ({
            ...asCall(row, externalIdOf(row)),
            at: new Date(
              Math.max(Math.floor(row.started_at.getTime() / size) * size, Date.parse(body.start)),
            ).toISOString(),
          })),
          (c) => c.at!,
        );
        expect(body.series.map((b: { bucket_start: string }) => b.bucket_start)).toEqual([...buckets.keys()].sort());
        for (const bucket of body.series) {
          const { models, bucket_start, ...totals } = bucket;
          expect(totals).toEqual(figures(buckets.get(bucket_start)!));
          const inBucket = rows
            .map((row) => asCall(row, externalIdOf(row)))
            .filter(
              (_, i) =>
                Math.max(Math.floor(rows[i].started_at.getTime() / size) * size, Date.parse(body.start)) ===
                Date.parse(bucket_start),
            );
          const byModel = sumBy(inBucket, (c) => c.model);
          expect(models).toEqual(
            [...byModel.keys()].sort().map((model) => ({ model, ...figures(byModel.get(model)!) })),
          );
        }
      }
    });

    it('serves an explicit range rounded out to whole hours, and nothing outside it', async () => {
      const first = rows[0].started_at.getTime();
      const start = new Date(first - 86_400_000 * 2);
      const end = new Date(first - 86_400_000);
      const { status, body } = await getJson(
        app,
        owner,
        `/spotlight/analytics/tokens?start=${start.toISOString()}&end=${end.toISOString()}`,
      );
      expect(status).toBe(200);
      expect(body.start).toBe(new Date(Math.floor(start.getTime() / 3_600_000) * 3_600_000).toISOString());
      expect(body.end).toBe(new Date(Math.ceil(end.getTime() / 3_600_000) * 3_600_000).toISOString());
      expect(body.totals).toEqual(figures(sumCalls([])));
      expect(body.models).toEqual([]);
    });

    it('refuses bad parameters with problems', async () => {
      const bad = [
        ['granularity=week', 'VALIDATION_FAILED'],
        ['start=yesterday', 'VALIDATION_FAILED'],
        ['start=2026-11-01T10:00:00', 'VALIDATION_FAILED'], // no offset: which zone?
        ['start=2026-11-01T10Z', 'INVALID_TIME'],
        ['end=20261101T100000Z', 'INVALID_TIME'],
        ['start=2026-11-02T00:00:00Z&end=2026-11-01T00:00:00Z', 'INVALID_RANGE'],
        ['start=2024-01-01&end=2026-01-01', 'RANGE_TOO_LARGE'],
        ['granularity=hour&start=2026-01-01&end=2026-03-01', 'RANGE_TOO_LARGE'],
        ['tz=Mars/Olympus_Mons', 'INVALID_TIMEZONE'],
        ['granularity=day&tz=Asia/Kolkata', 'TIMEZONE_NOT_HOUR_ALIGNED'],
        ['organizationId=x', 'VALIDATION_FAILED'],
      ];
      for (const [query, code] of bad) {
        const response = await app.request({
          method: 'GET',
          url: `/spotlight/analytics/tokens?${query}`,
          headers: owner.auth,
        });
        expectProblem(response, 400, code);
      }
    });
  });

  describe('GET /spotlight/analytics/usage-summary', () => {
    it('counts today, this week and this month up to the current hour, against nothing before', async () => {
      const { status, body } = await getJson(app, owner, '/spotlight/analytics/usage-summary');
      expect(status).toBe(200);
      expect(body.timezone).toBe('UTC');
      const asOf = new Date(body.as_of);
      const servedEnd = Math.floor(asOf.getTime() / 3_600_000) * 3_600_000 + 3_600_000;
      const todayStart = Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth(), asOf.getUTCDate());
      const weekStart = todayStart - ((asOf.getUTCDay() + 6) % 7) * 86_400_000;
      const monthStart = Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth(), 1);
      for (const [name, start] of [
        ['today', todayStart],
        ['this_week', weekStart],
        ['this_month', monthStart],
      ] as const) {
        const calls = rows
          .filter((r) => r.started_at.getTime() >= start && r.started_at.getTime() < servedEnd)
          .map((r) => asCall(r, ''));
        const s = sumCalls(calls);
        expect(body[name]).toMatchObject({
          start: new Date(start).toISOString(),
          end: new Date(servedEnd).toISOString(),
          requests: s.requests,
          input_tokens: s.input,
          output_tokens: s.output,
          cache_read_tokens: s.cacheRead,
          cache_write_5m_tokens: s.write5m,
          cache_write_1h_tokens: s.write1h,
          total_tokens: totalTokensOf(s),
          cost_usd: usd(s.cost.total),
          unpriced_requests: s.unpriced,
          previous: { requests: 0, total_tokens: 0, cost_usd: 0, unpriced_requests: 0 },
          change: {
            requests: s.requests,
            total_tokens: totalTokensOf(s),
            cost_usd: usd(s.cost.total),
            requests_percent: null,
            total_tokens_percent: null,
            cost_percent: null,
          },
        });
      }
      expect(body.today.requests).toBe(ALL.length);
    });
  });

  describe('GET /spotlight/analytics/sessions', () => {
    const expectedSessions = () => {
      const bySession = sumBy(ALL, (c) => c.session);
      return [...bySession].map(([externalId, s]) => ({
        session_uuid: sessionIds[externalId],
        session_id: externalId,
        ...sessionFigures(s),
        cost: s.cost.total,
        tokens: totalTokensOf(s),
      }));
    };

    it('lists the sessions with their totals, newest first by default', async () => {
      const { status, body } = await getJson(app, owner, '/spotlight/analytics/sessions');
      expect(status).toBe(200);
      expect(body).toMatchObject({ total_count: 3, limit: 50, offset: 0, sort: 'start_time', order: 'desc' });
      const db = await app.sql<{ id: string; created_at: Date; last_activity_at: Date; title: string | null }>(
        `select id, created_at, last_activity_at, title from sessions where organization_id = $1 order by created_at desc, id desc`,
        [owner.organizationId],
      );
      expect(body.sessions.map((s: { session_uuid: string }) => s.session_uuid)).toEqual(db.map((s) => s.id));
      for (const expected of expectedSessions()) {
        const item = body.sessions.find((s: { session_uuid: string }) => s.session_uuid === expected.session_uuid);
        const row = db.find((s) => s.id === expected.session_uuid)!;
        const { cost: _cost, tokens: _tokens, ...shape } = expected;
        expect(item).toEqual({
          ...shape,
          title: row.title,
          start_time: row.created_at.toISOString(),
          end_time: row.last_activity_at.toISOString(),
          released_at: null,
        });
      }
    });

    it('sorts by cost and by tokens, either way, and pages without overlap', async () => {
      const expected = expectedSessions();
      for (const [sort, by] of [
        ['cost', (s: (typeof expected)[number]) => s.cost],
        ['tokens', (s: (typeof expected)[number]) => s.tokens],
      ] as const) {
        const desc = [...expected].sort((a, b) => by(b) - by(a)).map((s) => s.session_id);
        const { body } = await getJson(app, owner, `/spotlight/analytics/sessions?sort=${sort}`);
        expect(body.sessions.map((s: { session_id: string }) => s.session_id)).toEqual(desc);
        const asc = await getJson(app, owner, `/spotlight/analytics/sessions?sort=${sort}&order=asc`);
        expect(asc.body.sessions.map((s: { session_id: string }) => s.session_id)).toEqual([...desc].reverse());
      }
      const pages = [];
      for (let offset = 0; offset < 3; offset += 2) {
        const { body } = await getJson(app, owner, `/spotlight/analytics/sessions?sort=cost&limit=2&offset=${offset}`);
        expect(body.total_count).toBe(3);
        pages.push(...body.sessions.map((s: { session_id: string }) => s.session_id));
      }
      expect(pages).toEqual([...expected].sort((a, b) => b.cost - a.cost).map((s) => s.session_id));
      for (const query of ['limit=0', 'limit=501', 'limit=abc', 'offset=-1', 'sort=title', 'order=up']) {
        expectProblem(
          await app.request({ method: 'GET', url: `/spotlight/analytics/sessions?${query}`, headers: owner.auth }),
          400,
          'VALIDATION_FAILED',
        );
      }
    });
  });

  describe('GET /spotlight/analytics/sessions/{sessionUuid}', () => {
    it('shows a session by UUID or external id with its calls, paged, oldest first', async () => {
      const alpha = rows.filter((r) => r.session_id === sessionIds['alpha-session']);
      const byUuid = await getJson(app, owner, `/spotlight/analytics/sessions/${sessionIds['alpha-session']}`);
      const byExternal = await getJson(app, owner, '/spotlight/analytics/sessions/alpha-session');
      expect(byUuid.status).toBe(200);
      expect(byExternal.body).toEqual(byUuid.body);
      const body = byUuid.body;
      expect(body.session).toMatchObject({
        session_uuid: sessionIds['alpha-session'],
        session_id: 'alpha-session',
        ...sessionFigures(sumCalls(CALLS.filter((c) => c.session === 'alpha-session'))),
      });
      expect(body).toMatchObject({ total_count: 4, limit: 100, offset: 0 });
      expect(body.interactions).toEqual(
        alpha.map((row) => {
          const cost = costOf(asCall(row, 'alpha-session'))!;
          return {
            interaction_id: row.id,
            timestamp: row.started_at.toISOString(),
            ended_at: row.ended_at.toISOString(),
            model: row.model,
            stream: false,
            http_status: row.http_status,
            outcome: row.outcome,
            stop_reason: row.stop_reason,
            input_tokens: row.input_tokens,
            output_tokens: row.output_tokens,
            cache_read_tokens: row.cache_read_tokens,
            cache_write_5m_tokens: row.cache_write5m_tokens,
            cache_write_1h_tokens: row.cache_write1h_tokens,
            total_tokens:
              row.input_tokens +
              row.output_tokens +
              row.cache_read_tokens +
              row.cache_write5m_tokens +
              row.cache_write1h_tokens,
            cost_usd: usd(cost.total),
            cost_by_bucket_usd: {
              input: usd(cost.input),
              output: usd(cost.output),
              cache_read: usd(cost.cacheRead),
              cache_write_5m: usd(cost.write5m),
              cache_write_1h: usd(cost.write1h),
            },
            latency_ms: row.latency_ms,
            time_to_first_token_ms: row.time_to_first_token_ms,
          };
        }),
      );
      expect(body.interactions.map((i: { outcome: string }) => i.outcome)).toEqual(['ok', 'ok', 'ok', 'error']);

      const page = await getJson(app, owner, `/spotlight/analytics/sessions/alpha-session?limit=2&offset=1`);
      expect(page.body.interactions.map((i: { interaction_id: string }) => i.interaction_id)).toEqual(
        alpha.slice(1, 3).map((r) => r.id),
      );

      const beta = await getJson(app, owner, '/spotlight/analytics/sessions/beta-session');
      const unpriced = beta.body.interactions.find((i: { model: string }) => i.model === UNPRICED_MODEL);
      expect(unpriced).toMatchObject({ cost_usd: null, cost_by_bucket_usd: null, input_tokens: 77, output_tokens: 33 });
      const gamma = await getJson(app, owner, '/spotlight/analytics/sessions/gamma-session');
      expect(gamma.body.interactions).toMatchObject([
        { stream: true, input_tokens: 3000, output_tokens: 700, cache_write_5m_tokens: 1200 },
      ]);
    });

    it('answers 404 for an unknown session', async () => {
      expectProblem(
        await app.request({ method: 'GET', url: '/spotlight/analytics/sessions/no-such-session', headers: owner.auth }),
        404,
        'SESSION_NOT_FOUND',
      );
      expectProblem(
        await app.request({
          method: 'GET',
          url: '/spotlight/analytics/sessions/00000000-0000-4000-8000-000000000000',
          headers: owner.auth,
        }),
        404,
        'SESSION_NOT_FOUND',
      );
    });
  });

  describe('organizations', () => {
    it('keeps each organization to its own figures and sessions', async () => {
      const tokens = await getJson(app, other, '/spotlight/analytics/tokens');
      expect(tokens.body.totals).toEqual(figures(sumCalls([OTHER])));
      const summary = await getJson(app, other, '/spotlight/analytics/usage-summary');
      expect(summary.body.this_month.requests).toBe(1);
      expect(summary.body.this_month.input_tokens).toBe(999_999);
      const sessions = await getJson(app, other, '/spotlight/analytics/sessions');
      expect(sessions.body.total_count).toBe(1);
      expect(sessions.body.sessions[0].session_uuid).not.toBe(sessionIds['alpha-session']);
      expect(sessions.body.sessions[0]).toMatchObject({
        session_id: 'alpha-session',
        ...sessionFigures(sumCalls([OTHER])),
      });
      // Organization A's session is not found by UUID; the same external id names B's own session.
      expectProblem(
        await app.request({
          method: 'GET',
          url: `/spotlight/analytics/sessions/${sessionIds['alpha-session']}`,
          headers: other.auth,
        }),
        404,
        'SESSION_NOT_FOUND',
      );
      const own = await getJson(app, other, '/spotlight/analytics/sessions/alpha-session');
      expect(own.body.session.total_input_tokens).toBe(999_999);
      // Naming an organization the caller is not in is refused.
      for (const url of [
        '/spotlight/analytics/tokens',
        '/spotlight/analytics/usage-summary',
        '/spotlight/analytics/sessions',
        '/spotlight/analytics/sessions/alpha-session',
      ]) {
        expectProblem(
          await app.request({
            method: 'GET',
            url,
            headers: { ...other.auth, 'x-organization-id': owner.organizationId },
          }),
          403,
          'NOT_A_MEMBER',
        );
      }
    });

    it('lets any member read, and API keys with the read scope only', async () => {
      const member = await registerUser(app, 'Plain Member');
      await addMember(app, owner, owner.organizationId, member, 'member');
      const asMember = await getJson(app, member, '/spotlight/analytics/tokens', {
        'x-organization-id': owner.organizationId,
      });
      expect(asMember.body.totals).toEqual(figures(sumCalls(ALL)));

      const readKey = (await createApiKey(app, owner, { name: 'reader', scopes: ['read'] })).key;
      const proxyKey = (await createApiKey(app, owner, { name: 'proxy only', scopes: ['proxy'] })).key;
      const asReader = await getJson(
        app,
        { auth: { 'x-lamplight-api-key': readKey } },
        '/spotlight/analytics/sessions',
      );
      expect(asReader.status).toBe(200);
      expect(asReader.body.total_count).toBe(3);
      expectProblem(
        await app.request({
          method: 'GET',
          url: '/spotlight/analytics/sessions',
          headers: { 'x-lamplight-api-key': proxyKey },
        }),
        403,
        'API_KEY_SCOPE_MISSING',
      );
      expectProblem(await app.request({ method: 'GET', url: '/spotlight/analytics/tokens' }), 401);
    });
  });

  describe('deleted sessions', () => {
    it('never appear in the list or the detail, while the usage they had stays in the rollups', async () => {
      await app.sql(`update sessions set deleted_at = now() where id = $1`, [sessionIds['beta-session']]);
      const list = await getJson(app, owner, '/spotlight/analytics/sessions?sort=tokens');
      expect(list.body.total_count).toBe(2);
      expect(list.body.sessions.map((s: { session_id: string }) => s.session_id).sort()).toEqual([
        'alpha-session',
        'gamma-session',
      ]);
      expectProblem(
        await app.request({ method: 'GET', url: '/spotlight/analytics/sessions/beta-session', headers: owner.auth }),
        404,
        'SESSION_NOT_FOUND',
      );
      expectProblem(
        await app.request({
          method: 'GET',
          url: `/spotlight/analytics/sessions/${sessionIds['beta-session']}`,
          headers: owner.auth,
        }),
        404,
        'SESSION_NOT_FOUND',
      );
      // The calls happened and were paid for: organization usage still counts them.
      const tokens = await getJson(app, owner, '/spotlight/analytics/tokens');
      expect(tokens.body.totals).toEqual(figures(sumCalls(ALL)));
    });
  });

  describe('total_count', () => {
    /** The oracle: an exact count of the organization's sessions that are not deleted. */
    const liveIn = async (organizationId: string) =>
      Number(
        (
          await app.sql<{ n: string }>(
            `select count(*)::text as n from sessions where organization_id = $1 and deleted_at is null`,
            [organizationId],
          )
        )[0].n,
      );
    const totalOf = async (user: TestUser, query = 'limit=1') => {
      const { status, body } = await getJson(app, user, `/spotlight/analytics/sessions?${query}`);
      expect(status).toBe(200);
      return body.total_count as number;
    };
    const expectTotals = async (a: number, b: number) => {
      expect(await totalOf(owner)).toBe(a);
      expect(await liveIn(owner.organizationId)).toBe(a);
      expect(await totalOf(other)).toBe(b);
      expect(await liveIn(other.organizationId)).toBe(b);
    };
    const call = (session: string): Call => ({ session, model: 'claude-sonnet-4-6', usage: { input: 1, output: 1 } });
    const send = (user: TestUser, method: 'DELETE' | 'POST', url: string) =>
      app.request({ method, url, headers: user.auth });

    it('stays exact across creation, soft delete, restore, release and plain SQL, each organization counting only its own', async () => {
      const a = await totalOf(owner);
      const b = await totalOf(other);
      await expectTotals(a, b);
      const otherClient = sdk(baseURL, (await createApiKey(app, other, { name: 'counting key' })).key);

      // Sessions opened by the proxy (its plain-SQL insert); the other organization's never count here.
      await proxyCall(client, call('count-one'));
      await proxyCall(client, call('count-two'));
      await proxyCall(otherClient, call('count-one'));
      await expectTotals(a + 2, b + 1);
      // More calls in an open session open nothing.
      await proxyCall(client, call('count-one'));
      await expectTotals(a + 2, b + 1);

      // Soft delete through the API, twice (idempotent): counted once.
      const [{ id: deletedId }] = await app.sql<{ id: string }>(
        `select id from sessions where organization_id = $1 and external_id = 'count-one'`,
        [owner.organizationId],
      );
      expect((await send(owner, 'DELETE', `/api/v1/sessions/${deletedId}`)).statusCode).toBeLessThan(300);
      expect((await send(owner, 'DELETE', `/api/v1/sessions/${deletedId}`)).statusCode).toBeLessThan(300);
      await expectTotals(a + 1, b + 1);
      // The external id is free again: the next call opens a new session.
      await proxyCall(client, call('count-one'));
      await expectTotals(a + 2, b + 1);
      // Released sessions still count.
      expect((await send(owner, 'POST', '/api/v1/sessions/count-two/release')).statusCode).toBe(200);
      await expectTotals(a + 2, b + 1);
      // Restored (it comes back released, as a newer session holds its external id): counted again, once.
      expect((await send(owner, 'POST', `/api/v1/sessions/${deletedId}/restore`)).statusCode).toBe(200);
      expect((await send(owner, 'POST', `/api/v1/sessions/${deletedId}/restore`)).statusCode).toBe(200);
      await expectTotals(a + 3, b + 1);

      // Plain SQL: a bulk insert (one row born deleted), a bulk soft delete, a hard delete.
      await app.sql(
        `insert into sessions (id, created_at, organization_id, user_id, external_id, device, last_activity_at, deleted_at)
         select gen_random_uuid(), now(), $1, $2, 'sql-' || g, '{}', now(), case when g = 3 then now() end from generate_series(1, 3) g`,
        [owner.organizationId, owner.id],
      );
      await expectTotals(a + 5, b + 1);
      await app.sql(
        `update sessions set deleted_at = now() where organization_id = $1 and external_id in ('sql-1', 'sql-3')`,
        [owner.organizationId],
      );
      await expectTotals(a + 4, b + 1);
      await app.sql(`delete from sessions where organization_id = $1 and external_id like 'sql-%'`, [
        owner.organizationId,
      ]);
      await expectTotals(a + 3, b + 1);
      await app.sql(`update sessions set deleted_at = now() where organization_id = $1 and external_id = 'count-one'`, [
        other.organizationId,
      ]);
      await expectTotals(a + 3, b);

      // A page past the end still says how many there are; the total agrees with every sort.
      const past = await getJson(app, owner, '/spotlight/analytics/sessions?offset=1000');
      expect(past.body).toMatchObject({ sessions: [], total_count: a + 3, offset: 1000 });
      for (const query of ['sort=cost', 'sort=tokens&order=asc', 'limit=500'])
        expect(await totalOf(owner, query)).toBe(a + 3);
      const all = await getJson(app, owner, '/spotlight/analytics/sessions?limit=500');
      expect(all.body.sessions).toHaveLength(a + 3);
    });
  });
});
