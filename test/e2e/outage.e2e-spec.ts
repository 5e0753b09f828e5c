import { Client } from 'pg';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { MESSAGES, messageBody, startSeverableLink, type SeverableLink } from '../support/reliability-fixtures';
import {
  createApiKey,
  eventually,
  invalidationReceived,
  registerUser,
  startTestApp,
  storeProviderKey,
  testDatabaseUrl,
  type TestApp,
  type TestUser,
} from '../support/test-app';

/**
 * Issue 14, item 7: while the database is unreachable, every route that needs it answers 503
 * with retry-after (never 500), and a warm caller of the proxy (identity, provider key and
 * session already cached) keeps being served.
 */
describe('a database outage', () => {
  let mock: MockAnthropic;
  let link: SeverableLink;
  let app: TestApp;
  let owner: TestUser;
  let key: string;
  let sessionId: string;
  /** Straight to the database, not through the link. */
  let direct: Client;
  const count = async (sql: string, values: unknown[]) =>
    Number((await direct.query<{ n: string }>(sql, values)).rows[0].n);

  const proxied = (apiKey: string, session = 'outage-warm') =>
    app.request({
      method: 'POST',
      url: MESSAGES,
      headers: {
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
        'x-api-key': apiKey,
        'x-lamplight-session-id': session,
      },
      payload: messageBody({}, false),
    });

  beforeAll(async () => {
    mock = await startMockAnthropic();
    direct = new Client({ connectionString: testDatabaseUrl() });
    await direct.connect();
    link = await startSeverableLink(testDatabaseUrl());
    app = await startTestApp(
      { ANTHROPIC_BASE_URL: mock.url, LOGIN_RATE_LIMIT_PER_IP: '10000' },
      link.through(testDatabaseUrl()),
    );
    owner = await registerUser(app, 'Outage Owner');
    await storeProviderKey(app, owner, 'sk-ant-api03-outage-test-key-aaaaaaaaaaaaaaaaaaaa');
    key = (await createApiKey(app, owner, { name: 'warm' })).key;
    for (let i = 0; i < 3; i++) expect((await proxied(key)).statusCode).toBe(200);
    sessionId = (await direct.query<{ id: string }>(`select id from sessions where external_id = 'outage-warm'`))
      .rows[0].id;
    await eventually(async () =>
      (await count(`select count(*) as n from interactions where session_id = $1`, [sessionId])) === 3
        ? true
        : undefined,
    );
  });
  afterAll(async () => {
    link.restore();
    await app.close();
    await link.close();
    await mock.close();
    await direct.end();
  });
  afterEach(() => link.restore());

  it.each(['reset', 'refused'] as const)(
    'answers 503 with retry-after on every route that needs the database, never 500 (connections %s)',
    async (mode) => {
      const fresh = (await createApiKey(app, owner, { name: `cold ${mode}` })).key;
      if (mode === 'reset') link.sever();
      else await link.refuse();
      const json = { 'content-type': 'application/json' };
      const routes = [
        { method: 'GET' as const, url: '/api/v1/auth/me', headers: owner.auth },
        {
          method: 'POST' as const,
          url: '/api/v1/auth/login',
          headers: json,
          payload: { email: owner.email, password: 'wrong password here' },
        },
        {
          method: 'POST' as const,
          url: '/api/v1/auth/register',
          headers: json,
          payload: { email: 'outage-new@example.com', password: 'correct horse battery', name: 'New' },
        },
        { method: 'GET' as const, url: '/api/v1/organizations', headers: owner.auth },
        { method: 'GET' as const, url: `/api/v1/organizations/${owner.organizationId}/members`, headers: owner.auth },
        { method: 'GET' as const, url: '/api/v1/sessions', headers: owner.auth },
        { method: 'GET' as const, url: `/api/v1/sessions/${sessionId}`, headers: owner.auth },
        {
          method: 'PATCH' as const,
          url: `/api/v1/sessions/${sessionId}`,
          headers: owner.auth,
          payload: { title: 'during the outage' },
        },
        { method: 'GET' as const, url: '/api/v1/api-keys', headers: owner.auth },
        { method: 'GET' as const, url: '/api/v1/provider-keys', headers: owner.auth },
        { method: 'GET' as const, url: '/spotlight/analytics/tokens', headers: owner.auth },
        { method: 'GET' as const, url: '/spotlight/analytics/sessions', headers: owner.auth },
        {
          method: 'POST' as const,
          url: `/spotlight/analytics/sessions/${sessionId}/share`,
          headers: owner.auth,
          payload: {},
        },
        { method: 'GET' as const, url: '/spotlight/analytics/sessions/shared/shr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
        { method: 'GET' as const, url: '/shared/shr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
        {
          method: 'POST' as const,
          url: '/api/v1/tasks',
          headers: owner.auth,
          payload: { query: 'hi', session_id: 'outage-task' },
        },
        { method: 'GET' as const, url: '/health/ready' },
        { method: 'GET' as const, url: '/api/v1/sessions', headers: { 'x-lamplight-api-key': fresh } },
        {
          method: 'POST' as const,
          url: MESSAGES,
          headers: { ...json, 'anthropic-version': '2023-06-01', 'x-api-key': fresh },
          payload: messageBody({}, false),
        },
      ];
      const seen: string[] = [];
      for (const route of routes) {
        const response = await app.request(route);
        seen.push(`${route.method} ${route.url} ${response.statusCode} ${response.headers['retry-after'] ?? '-'}`);
      }
      expect(seen).toEqual(routes.map((route) => `${route.method} ${route.url} 503 1`));
      // Many at once, as under load: still 503s only, for callers the cache cannot answer.
      const burst = await Promise.all(
        Array.from({ length: 100 }, (_, i) => app.request(i % 2 ? routes[5] : routes.at(-1)!)),
      );
      expect([...new Set(burst.map((r) => `${r.statusCode} ${r.headers['retry-after']}`))]).toEqual(['503 1']);
    },
  );

  it('keeps serving a warm proxy caller while the database is away, and keeps the calls', async () => {
    // After the earlier outages the listener reconnects and then empties every cache (what it missed
    // is unknown): wait until it hears again, then warm the caller, so the outage below meets a warm one.
    const probe = `probe-${Date.now()}`;
    await eventually(async () => {
      const heard = invalidationReceived(app, 'outage-probe', probe, 1_000).then(
        () => true,
        () => undefined,
      );
      await direct.query(`select pg_notify('lamplight_cache_invalidation', $1)`, [
        JSON.stringify({ topic: 'outage-probe', key: probe }),
      ]);
      return heard;
    }, 15_000);
    const warmBefore = await count(`select count(*) as n from interactions where session_id = $1`, [sessionId]);
    expect((await proxied(key)).statusCode).toBe(200);
    await eventually(async () =>
      (await count(`select count(*) as n from interactions where session_id = $1`, [sessionId])) === warmBefore + 1
        ? true
        : undefined,
    );
    const before = await count(`select count(*) as n from interactions where session_id = $1`, [sessionId]);
    const upstreamBefore = mock.requests.length;
    link.sever();
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await proxied(key)).statusCode);
    expect(statuses).toEqual(Array(20).fill(200));
    expect(mock.requests.length).toBe(upstreamBefore + 20);
    link.restore();
    let stored = 0;
    await eventually(async () => {
      stored = await count(`select count(*) as n from interactions where session_id = $1`, [sessionId]);
      return stored === before + 20 ? true : undefined;
    }, 15_000).catch((error: Error) => {
      throw new Error(
        `${error.message}: ${stored} stored, ${before + 20} expected; logs: ${app.logs
          .filter((l) => /spool|Database|write/i.test(l))
          .slice(-5)
          .join('\n')}`,
      );
    });
  });
});
