/**
 * Issue 8, case 14 — limits: oversized bodies, absurd paging and max_tokens, per-caller rate and
 * concurrency limits on the proxy, and 100 stream clients that stop reading.
 * Each test checks what the client gets and what the database holds afterwards.
 */
import { connect, type Socket } from 'node:net';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { RecorderService } from '../../src/modules/recording/recorder.service';
import {
  ensureBuilt,
  type GatewayProcess,
  residentBytes,
  setUpGatewayTenant,
  startGatewayProcess,
} from '../support/gateway-process';
import {
  MESSAGES,
  messageBody,
  proxyCall,
  RELIABILITY_PROVIDER_KEY,
  startLazyStreamUpstream,
  waitForInteractions,
  type LazyStreamUpstream,
} from '../support/reliability-fixtures';
import {
  createApiKey,
  eventually,
  expectProblem,
  listen,
  registerUser,
  startTestApp,
  storeProviderKey,
  type TestApp,
  type TestUser,
} from '../support/test-app';

const anthropicHeaders = (key: string, sessionId: string) => ({
  'content-type': 'application/json',
  'anthropic-version': '2023-06-01',
  'x-api-key': key,
  'x-lamplight-session-id': sessionId,
});

describe('case 14: limits', () => {
  let mock: MockAnthropic;

  beforeAll(async () => {
    mock = await startMockAnthropic();
  });
  afterAll(() => mock.close());
  beforeEach(() => mock.reset());

  describe('oversized bodies and absurd parameters', () => {
    let app: TestApp;
    let owner: TestUser;
    let key: string;

    beforeAll(async () => {
      app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url, BODY_LIMIT_BYTES: String(64 * 1024) });
      owner = await registerUser(app, 'Limits Owner');
      key = (await createApiKey(app, owner)).key;
      await storeProviderKey(app, owner, RELIABILITY_PROVIDER_KEY);
    });
    afterAll(() => app.close());

    /** Writes every record the app has taken so far: after it, what is not in the table was never recorded. */
    const flushRecorder = () => app.app.get(RecorderService).flush();
    const countInteractions = async () =>
      Number(
        (
          await app.sql<{ n: string }>(`select count(*) as n from interactions where organization_id = $1`, [
            owner.organizationId,
          ])
        )[0].n,
      );

    it("answers 413 in Anthropic's shape on the proxy and sends nothing upstream or to the database", async () => {
      const payload = messageBody({}, false, { system: 'x'.repeat(80 * 1024) });
      const response = await app.request({
        method: 'POST',
        url: MESSAGES,
        headers: anthropicHeaders(key, 'too-big'),
        payload,
      });
      expect(response.statusCode).toBe(413);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json()).toMatchObject({
        type: 'error',
        error: { type: 'request_too_large', message: expect.any(String) },
      });
      expect(mock.requests).toHaveLength(0);
      await flushRecorder();
      expect(await countInteractions()).toBe(0);
      expect(await app.sql(`select id from sessions where external_id = 'too-big'`)).toHaveLength(0);
    });

    it('answers 413 as problem+json elsewhere, and stores nothing', async () => {
      const response = await app.request({
        method: 'POST',
        url: '/api/v1/tasks',
        headers: owner.auth,
        payload: { query: 'q'.repeat(80 * 1024), session_id: 'too-big-task' },
      });
      expectProblem(response, 413);
      expect(mock.requests).toHaveLength(0);
      expect(await app.sql(`select id from sessions where external_id = 'too-big-task'`)).toHaveLength(0);
    });

    it.each([
      ['/api/v1/sessions?limit=100000'],
      ['/api/v1/sessions?limit=0'],
      ['/api/v1/sessions?limit=-1'],
      ['/api/v1/sessions?limit=1e309'],
      ['/api/v1/sessions?offset=-1'],
      ['/api/v1/sessions?offset=99999999999999999999'],
      ['/api/v1/sessions?offset=abc'],
      ['/spotlight/analytics/sessions?limit=100000'],
      ['/spotlight/analytics/sessions?offset=-5'],
    ])('refuses %s with 400 problem+json', async (url) => {
      const response = await app.request({ method: 'GET', url, headers: owner.auth });
      expectProblem(response, 400);
    });

    it('validates max_tokens on /api/v1/tasks (400, nothing sent upstream or stored); the proxy forwards it untouched', async () => {
      for (const max_tokens of [0, -1, 1.5, 10_000_000, '1024', Number.MAX_SAFE_INTEGER]) {
        const response = await app.request({
          method: 'POST',
          url: '/api/v1/tasks',
          headers: owner.auth,
          payload: { query: 'hello', session_id: 'absurd-max-tokens', max_tokens },
        });
        expectProblem(response, 400);
      }
      expect(mock.requests).toHaveLength(0);
      expect(await app.sql(`select id from sessions where external_id = 'absurd-max-tokens'`)).toHaveLength(0);

      // The proxy forwards bodies untouched, so Anthropic is the judge of max_tokens there: its 400
      // comes back as sent, is not retried, and is recorded as the client's error.
      const response = await app.request({
        method: 'POST',
        url: MESSAGES,
        headers: anthropicHeaders(key, 'proxy-max-tokens'),
        payload: messageBody({}, false, { max_tokens: 0 }),
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
      expect(mock.requests).toHaveLength(1);
      expect(JSON.parse(mock.requests[0].body).max_tokens).toBe(0);
      const [row] = await waitForInteractions(app, owner.organizationId, 'proxy-max-tokens');
      expect(row).toMatchObject({ http_status: 400, outcome: 'error', output_tokens: 0 });
    });
  });

  describe('per-caller rate and concurrency limits on the proxy', () => {
    let app: TestApp;
    let baseURL: string;
    let owner: TestUser;
    let key: string;
    let otherKey: string;

    beforeAll(async () => {
      app = await startTestApp({
        ANTHROPIC_BASE_URL: mock.url,
        PROXY_RATE_LIMIT_PER_MINUTE: '5',
        PROXY_CONCURRENCY_LIMIT: '2',
      });
      baseURL = await listen(app);
      owner = await registerUser(app, 'Rate Owner');
      key = (await createApiKey(app, owner, { name: 'limited key' })).key;
      otherKey = (await createApiKey(app, owner, { name: 'other key' })).key;
      await storeProviderKey(app, owner, RELIABILITY_PROVIDER_KEY);
    });
    afterAll(() => app.close());

    const call = (credential: Record<string, string>, sessionId: string) =>
      app.request({
        method: 'POST',
        url: MESSAGES,
        headers: {
          'content-type': 'application/json',
          'anthropic-version': '2023-06-01',
          'x-lamplight-session-id': sessionId,
          ...credential,
        },
        payload: messageBody({}, false),
      });

    it('answers 429 rate_limit_error with retry-after past the per-key rate, per key and per user, and records only what went through', async () => {
      for (let i = 0; i < 5; i++) expect((await call({ 'x-api-key': key }, 'rate-limited')).statusCode).toBe(200);
      const refused = await call({ 'x-api-key': key }, 'rate-limited');
      expect(refused.statusCode).toBe(429);
      expect(refused.json()).toMatchObject({
        type: 'error',
        error: { type: 'rate_limit_error', message: expect.stringContaining('5 requests per minute') },
      });
      const retryAfter = Number(refused.headers['retry-after']);
      // 5 per minute refill one request every 12 s.
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(12);
      // count_tokens is a proxy route too.
      const counted = await app.request({
        method: 'POST',
        url: `${MESSAGES}/count_tokens`,
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': key },
        payload: { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] },
      });
      expect(counted.statusCode).toBe(429);
      expect(mock.requests).toHaveLength(5);

      // Another key of the same organization, and the user with a JWT, have buckets of their own.
      expect((await call({ 'x-api-key': otherKey }, 'rate-limited')).statusCode).toBe(200);
      expect((await call(owner.auth, 'rate-limited')).statusCode).toBe(200);

      // Each answered call was journaled before its last byte; the flush stores them and anything else taken.
      await app.app.get(RecorderService).flush();
      const rows = await waitForInteractions(app, owner.organizationId, 'rate-limited', 7);
      expect(rows).toHaveLength(7);
      expect(rows.every((r) => r.outcome === 'ok')).toBe(true);
    });

    it('answers 429 with retry-after past the per-key concurrency, and frees the slot when a call ends or is cancelled', async () => {
      const fresh = (await createApiKey(app, owner, { name: 'concurrency key' })).key;
      const slow = { deltas: 10, deltaDelayMs: 100 };
      const first = await proxyCall(baseURL, fresh, 'concurrent', slow);
      const cancel = new AbortController();
      const second = await proxyCall(baseURL, fresh, 'concurrent', slow, { signal: cancel.signal });
      expect([first.statusCode, second.statusCode]).toEqual([200, 200]);

      const third = await proxyCall(baseURL, fresh, 'concurrent', slow);
      expect(third.statusCode).toBe(429);
      expect(third.headers['retry-after']).toBe('1');
      expect(await third.body.json()).toMatchObject({
        type: 'error',
        error: { type: 'rate_limit_error', message: expect.stringContaining('in flight') },
      });
      expect(mock.requests).toHaveLength(2);

      cancel.abort();
      await second.body.text().catch(() => undefined);
      // The cancelled call's slot comes back once the gateway has wound it up.
      const fourth = await eventually(async () => {
        const attempt = await proxyCall(baseURL, fresh, 'concurrent', {});
        if (attempt.statusCode === 200) return attempt;
        await attempt.body.dump();
        return undefined;
      }, 3_000);
      await fourth.body.text();
      expect(await first.body.text()).toContain('event: message_stop');

      const rows = await waitForInteractions(app, owner.organizationId, 'concurrent', 3);
      expect(rows.map((r) => r.outcome).sort()).toEqual(['cancelled', 'ok', 'ok']);
    });
  });

  describe('100 stream clients that stop reading', () => {
    // The mock builds each answer whole before sending it, which would put gigabytes in this
    // process; a stand-in upstream generating frames as the socket takes them shows the same thing
    // with flat memory: 100 streams of 64 MiB that nobody reads.
    const STREAM_BYTES = 64 * 2 ** 20;
    let upstream: LazyStreamUpstream;
    let gateway: GatewayProcess;
    let organizationId: string;
    let key: string;
    const sockets: Socket[] = [];

    beforeAll(async () => {
      ensureBuilt();
      upstream = await startLazyStreamUpstream(STREAM_BYTES);
      // The concurrency limit is lifted here: 100 streams on one key is the point of the test.
      gateway = await startGatewayProcess({
        ANTHROPIC_BASE_URL: upstream.url,
        LOG_LEVEL: 'warn',
        PROXY_CONCURRENCY_LIMIT: '0',
      });
      ({ organizationId, key } = await setUpGatewayTenant(gateway, 'Slow', RELIABILITY_PROVIDER_KEY));
    }, 120_000);

    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      gateway?.kill();
      await gateway?.exited;
      await upstream?.close();
    });

    const sql = async <T>(text: string, values: unknown[] = []) => {
      const { Client } = await import('pg');
      const client = new Client({ connectionString: process.env.LAMPLIGHT_TEST_DATABASE_URL });
      await client.connect();
      try {
        return (await client.query(text, values)).rows as T[];
      } finally {
        await client.end();
      }
    };

    it('keeps memory bounded and pauses the upstream (backpressure), then aborts it when the clients go', async () => {
      const rssBefore = residentBytes(gateway.pid);
      const port = Number(new URL(gateway.url).port);
      const body = messageBody({});
      const head = [
        `POST ${MESSAGES} HTTP/1.1`,
        `host: 127.0.0.1:${port}`,
        'content-type: application/json',
        'anthropic-version: 2023-06-01',
        `x-api-key: ${key}`,
        'x-lamplight-session-id: slow-readers',
        `content-length: ${Buffer.byteLength(body)}`,
        '',
        '',
      ].join('\r\n');
      for (let i = 0; i < 100; i++) {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        socket.write(head + body);
        socket.pause(); // never reads a byte: the buffers fill, then the writes block
        sockets.push(socket);
      }
      await eventually(() => (upstream.stats.requests === 100 ? true : undefined), 15_000);

      // Paused: the stand-in upstream reports each writer that waits for 'drain', which comes only when
      // the gateway reads again; with nobody reading downstream, all 100 end up waiting at once.
      await eventually(() => (upstream.stats.blockedWriters === 100 ? true : undefined), 30_000);
      const paused = { ...upstream.stats };
      const rssDuring = residentBytes(gateway.pid);
      const total = 100 * STREAM_BYTES;
      const growth = rssDuring - rssBefore;
      const perStream = [...upstream.perRequestBytes].sort((a, b) => a - b);
      const mib = (n: number) => (n / 2 ** 20).toFixed(1);
      process.stdout.write(
        `[case 14] 100 slow readers of ${mib(STREAM_BYTES)} MiB streams: upstream wrote ${mib(paused.bytesSent)} of ${mib(total)} MiB ` +
          `(${((100 * paused.bytesSent) / total).toFixed(1)}%; per stream min ${mib(perStream[0])}, median ${mib(perStream[50])}, max ${mib(perStream[99])} MiB), ` +
          `then stopped with ${paused.blockedWriters} writers waiting for drain; gateway RSS ${mib(rssBefore)} → ${mib(rssDuring)} MiB (+${mib(growth)} MiB)\n`,
      );
      // Every stream's writer is blocked, and far less than the streams hold went out (what did sits
      // in socket buffers).
      expect(paused.bytesSent).toBeGreaterThan(0);
      expect(paused.blockedWriters).toBe(100);
      expect(paused.completed).toBe(0);
      expect(paused.bytesSent).toBeLessThan(total * 0.2);
      // Bounded memory, loosely: the gateway keeps well under half of what it let through (most of
      // its growth is garbage not yet collected), and a small fraction of the 6.4 GiB the streams hold.
      expect(growth).toBeLessThan(Math.min(384 * 2 ** 20, paused.bytesSent * 0.5));

      // The clients give up: every upstream call is aborted and recorded as cancelled.
      for (const socket of sockets) socket.destroy();
      await eventually(() => (upstream.stats.aborted === 100 ? true : undefined), 10_000);
      const rows = await eventually(async () => {
        const found = await sql<{ outcome: string; http_status: number; input_tokens: number }>(
          `select i.outcome, i.http_status, i.input_tokens from interactions i join sessions s on s.id = i.session_id
           where s.organization_id = $1 and s.external_id = 'slow-readers'`,
          [organizationId],
        );
        return found.length === 100 ? found : undefined;
      }, 10_000);
      expect(rows.every((r) => r.outcome === 'cancelled' && r.http_status === 499 && r.input_tokens === 100)).toBe(
        true,
      );
    }, 90_000);
  });
});
