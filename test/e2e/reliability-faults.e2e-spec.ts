/**
 * Issue 8, cases 15–19 — client disconnects, upstream retries, stalls and resets, and database
 * outages. Each test checks what the client gets and what the database holds afterwards.
 *
 * Already proven elsewhere, and not repeated here:
 * - proxy.e2e-spec.ts: a 529 retried once then ok; 529 given up after 2 retries with
 *   x-should-retry: false; a 400 never retried; an SDK stream cancelled mid-way recorded cancelled.
 * - recording.e2e-spec.ts: 504 with no headers, a stall mid-stream ending in an error event, a
 *   reset recorded upstream_error, an upstream error event passed through; and a real PostgreSQL
 *   stopped during a stream and started again (the client gets every byte, the interaction is
 *   spooled and stored exactly once, session totals counted once) — case 19's "down only at
 *   recording".
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_REPLY_TEXT, startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { RECORDER_LIMITS } from '../../src/modules/recording/recorder.service';
import {
  MESSAGES,
  messageBody,
  proxyCall,
  RELIABILITY_PROVIDER_KEY,
  sleep,
  startSeverableLink,
  waitForInteractions,
  type SeverableLink,
} from '../support/reliability-fixtures';
import {
  createApiKey,
  eventually,
  expectProblem,
  listen,
  registerUser,
  startTestApp,
  storeProviderKey,
  testDatabaseUrl,
  type TestApp,
  type TestUser,
} from '../support/test-app';

/** Reads a stream until `frames` content deltas have arrived; returns the text so far. */
async function readDeltas(body: AsyncIterable<Buffer>, frames: number): Promise<string> {
  let text = '';
  for await (const chunk of body) {
    text += chunk.toString('utf8');
    if ((text.match(/event: content_block_delta/g) ?? []).length >= frames) return text;
  }
  return text;
}

interface Organization {
  owner: TestUser;
  key: string;
}

async function setUp(app: TestApp, name: string): Promise<Organization> {
  const owner = await registerUser(app, name);
  const key = (await createApiKey(app, owner)).key;
  await storeProviderKey(app, owner, RELIABILITY_PROVIDER_KEY);
  return { owner, key };
}

describe('cases 15–19: faults', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  let baseURL: string;
  let org: Organization;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    mock = await startMockAnthropic();
    app = await startTestApp({
      ANTHROPIC_BASE_URL: mock.url,
      UPSTREAM_HEADERS_TIMEOUT_MS: '600',
      UPSTREAM_IDLE_TIMEOUT_MS: '600',
    });
    baseURL = await listen(app);
    org = await setUp(app, 'Faults Owner');
  });
  afterAll(async () => {
    await app.close();
    await mock.close();
    process.off('unhandledRejection', onUnhandled);
  });
  beforeEach(() => mock.reset());
  afterEach(() => expect(unhandled).toEqual([]));

  const rows = (sessionId: string, count = 1) => waitForInteractions(app, org.owner.organizationId, sessionId, count);

  /** Milliseconds from `since` until the mock sees the gateway drop request `id`. */
  const abortedWithin = async (id: () => string | undefined, since: number) => {
    await eventually(() => {
      const current = id();
      return current && mock.aborted.includes(current) ? true : undefined;
    }, 3_000);
    return Date.now() - since;
  };

  describe('case 15: the client disconnects mid-stream', () => {
    it('aborts the upstream within 1 s and records cancelled with the partial tokens, with no unhandled rejection', async () => {
      const controller = new AbortController();
      const response = await proxyCall(
        baseURL,
        org.key,
        'mid-stream-cancel',
        { deltas: 40, deltaDelayMs: 50, usage: { input_tokens: 321 } },
        { signal: controller.signal },
      );
      expect(response.statusCode).toBe(200);
      const received = await readDeltas(response.body, 3);
      expect(received).toContain('event: message_start');
      const at = Date.now();
      controller.abort();
      await response.body.text().catch(() => undefined);
      const upstreamId = mock.requests[0].id;
      const elapsed = await abortedWithin(() => upstreamId, at);
      expect(elapsed).toBeLessThan(1_000);
      process.stdout.write(`[case 15] upstream aborted ${elapsed} ms after the client went away mid-stream\n`);
      expect(mock.completed).not.toContain(upstreamId);

      const [row] = await rows('mid-stream-cancel');
      // message_start carried input 321 and output 1; message_delta with the final output never came.
      expect(row).toMatchObject({
        outcome: 'cancelled',
        http_status: 499,
        input_tokens: 321,
        output_tokens: 1,
        upstream_request_id: upstreamId,
      });
      expect(row.time_to_first_token_ms).not.toBeNull();
      expect(row.final_output!.length).toBeGreaterThan(0);
      expect(DEFAULT_REPLY_TEXT.startsWith(row.final_output!)).toBe(true);
      await sleep(300);
      expect(await rows('mid-stream-cancel')).toHaveLength(1);
    });
  });

  describe('case 16: the client disconnects before the first token', () => {
    it('aborts the upstream that had not answered yet, and records cancelled with 0 tokens', async () => {
      const controller = new AbortController();
      const pending = proxyCall(
        baseURL,
        org.key,
        'early-cancel',
        { delayMs: 5_000 },
        { signal: controller.signal },
      ).catch((e: unknown) => e);
      await eventually(() => (mock.requests.length === 1 ? true : undefined));
      const at = Date.now();
      controller.abort();
      expect(await pending).toMatchObject({ name: 'AbortError' });
      const elapsed = await abortedWithin(() => mock.requests[0]?.id, at);
      expect(elapsed).toBeLessThan(1_000);
      process.stdout.write(
        `[case 16] upstream aborted ${elapsed} ms after the client went away before the first byte\n`,
      );

      const [row] = await rows('early-cancel');
      expect(row).toMatchObject({
        outcome: 'cancelled',
        http_status: 499,
        input_tokens: 0,
        output_tokens: 0,
        time_to_first_token_ms: null,
        upstream_request_id: null,
      });
      expect(mock.requests).toHaveLength(1);
    });
  });

  describe('case 17: upstream errors and retries', () => {
    it('retries a 429 before the first byte at most twice, never sooner than retry-after, then succeeds', async () => {
      const response = await proxyCall(
        baseURL,
        org.key,
        'retry-429',
        { status: 429, failTimes: 2, retryAfter: 1, key: 'r429' },
        { stream: false },
      );
      expect(response.statusCode).toBe(200);
      expect(await response.body.json()).toMatchObject({ type: 'message' });
      expect(mock.requests).toHaveLength(3);
      const gaps = mock.requests.slice(1).map((r, i) => r.receivedAt - mock.requests[i].receivedAt);
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(990);
      process.stdout.write(`[case 17] 429 with retry-after: 1 → gaps between attempts ${gaps.join(', ')} ms\n`);
      const [row] = await rows('retry-429');
      expect(row).toMatchObject({ outcome: 'ok', http_status: 200 });
      await sleep(300);
      expect(await rows('retry-429')).toHaveLength(1);
    });

    it('passes a 529 through after 2 retries, with its retry-after and x-should-retry: false', async () => {
      const response = await proxyCall(baseURL, org.key, 'retry-529', { status: 529, retryAfter: 1 }, { stream: true });
      expect(response.statusCode).toBe(529);
      expect(response.headers['retry-after']).toBe('1');
      expect(response.headers['x-should-retry']).toBe('false');
      expect(await response.body.json()).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
      expect(mock.requests).toHaveLength(3);
      const gaps = mock.requests.slice(1).map((r, i) => r.receivedAt - mock.requests[i].receivedAt);
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(990);
      const [row] = await rows('retry-529');
      expect(row).toMatchObject({ outcome: 'upstream_error', http_status: 529, output_tokens: 0 });
    });

    it.each([
      [400, 'invalid_request_error'],
      [401, 'authentication_error'],
    ])('never retries a %i and passes it through', async (status, type) => {
      const response = await proxyCall(baseURL, org.key, `no-retry-${status}`, { status }, { stream: false });
      expect(response.statusCode).toBe(status);
      expect(await response.body.json()).toMatchObject({ type: 'error', error: { type } });
      expect(mock.requests).toHaveLength(1);
      const [row] = await rows(`no-retry-${status}`);
      expect(row).toMatchObject({ outcome: 'error', http_status: status });
    });

    it('passes an error after the first byte on as an SSE error event, with no retry, and saves the partial usage', async () => {
      const response = await proxyCall(baseURL, org.key, 'error-after-first-byte', {
        errorEventAfterFrames: 4,
        usage: { input_tokens: 42 },
      });
      expect(response.statusCode).toBe(200);
      const text = await response.body.text();
      expect(text.trimEnd().split('\n\n').at(-1)).toMatch(/^event: error\ndata: .*"overloaded_error"/);
      expect(mock.requests).toHaveLength(1);
      const [row] = await rows('error-after-first-byte');
      expect(row).toMatchObject({
        outcome: 'upstream_error',
        error_type: 'overloaded_error',
        input_tokens: 42,
        output_tokens: 1,
      });

      // A connection that breaks after the first byte is not retried either.
      const reset = await proxyCall(baseURL, org.key, 'reset-after-first-byte', {
        resetAfterFrames: 4,
        usage: { input_tokens: 43 },
      });
      const resetText = await reset.body.text();
      expect(resetText.trimEnd().split('\n\n').at(-1)).toMatch(/^event: error\ndata: .*"api_error"/);
      expect(mock.requests).toHaveLength(2);
      const [resetRow] = await rows('reset-after-first-byte');
      expect(resetRow).toMatchObject({ outcome: 'upstream_error', input_tokens: 43 });
    });
  });

  describe('case 18: upstream stalls and resets', () => {
    it('answers 504 when no headers come in time, without retrying, and drops the upstream connection', async () => {
      const started = Date.now();
      const response = await proxyCall(baseURL, org.key, 'no-headers', { stallBeforeHeaders: true });
      expect(response.statusCode).toBe(504);
      expect(await response.body.json()).toMatchObject({ type: 'error', error: { type: 'timeout_error' } });
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(mock.requests).toHaveLength(1);
      await eventually(() => (mock.aborted.includes(mock.requests[0].id) ? true : undefined));
      const [row] = await rows('no-headers');
      expect(row).toMatchObject({ outcome: 'upstream_error', http_status: 504, input_tokens: 0, output_tokens: 0 });
    });

    it('ends a stream that goes quiet with an error event and closes it; the upstream is dropped', async () => {
      const started = Date.now();
      const response = await proxyCall(baseURL, org.key, 'quiet', { stallAfterFrames: 5, usage: { input_tokens: 77 } });
      const text = await response.body.text(); // resolves only because the gateway closes the stream
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(text.trimEnd().split('\n\n').at(-1)).toMatch(/^event: error\ndata: .*"type":"error"/);
      await eventually(() => (mock.aborted.includes(mock.requests[0].id) ? true : undefined));
      const [row] = await rows('quiet');
      expect(row).toMatchObject({ outcome: 'upstream_error', http_status: 200, input_tokens: 77 });
    });

    it("records a reset as upstream_error and a client's cancel as cancelled, side by side", async () => {
      const reset = await proxyCall(baseURL, org.key, 'reset-vs-cancel', {
        resetAfterFrames: 4,
        usage: { input_tokens: 10 },
      });
      const resetText = await reset.body.text();
      expect(resetText).toContain('"type":"error"');

      const controller = new AbortController();
      const cancelled = await proxyCall(
        baseURL,
        org.key,
        'reset-vs-cancel',
        { deltas: 30, deltaDelayMs: 50, usage: { input_tokens: 20 } },
        { signal: controller.signal },
      );
      await readDeltas(cancelled.body, 2);
      controller.abort();
      await cancelled.body.text().catch(() => undefined);

      const found = await rows('reset-vs-cancel', 2);
      const byInput = Object.fromEntries(found.map((r) => [r.input_tokens, r]));
      expect(byInput[10]).toMatchObject({ outcome: 'upstream_error', http_status: 200 });
      expect(byInput[20]).toMatchObject({ outcome: 'cancelled', http_status: 499 });
    });
  });

  describe('case 19: the database goes away', () => {
    let link: SeverableLink;
    let outageApp: TestApp;
    let outageBaseURL: string;
    let outageOrg: Organization;
    let journalBlocked: string;

    // The outage app reaches the database through the link; the checks below use `app.sql`, direct.
    beforeAll(async () => {
      link = await startSeverableLink(testDatabaseUrl());
      // DATA_DIR/journal is a file, not a directory: the journal cannot be written (this runs as
      // root, so permissions alone would not stop it).
      journalBlocked = mkdtempSync(join(tmpdir(), 'lamplight-nojournal-'));
      writeFileSync(join(journalBlocked, 'journal'), 'not a directory');
      outageApp = await startTestApp(
        { ANTHROPIC_BASE_URL: mock.url, DATA_DIR: journalBlocked },
        link.through(testDatabaseUrl()),
      );
      outageBaseURL = await listen(outageApp);
      outageOrg = await setUp(outageApp, 'Outage Owner');
    });
    afterAll(async () => {
      link.restore();
      await outageApp.close();
      await link.close();
    });
    afterEach(() => link.restore());

    const metric = async (name: string) => {
      const metrics = await outageApp.request({ method: 'GET', url: '/metrics' });
      expect(metrics.statusCode).toBe(200);
      return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(metrics.body)?.[1] ?? NaN);
    };
    const dropped = () => metric('lamplight_recorder_dropped_total');

    it("answers 503 at authentication, in Anthropic's shape on the proxy and problem+json elsewhere, leaking nothing", async () => {
      // Credentials never used before, so no cache could answer for the database.
      const fresh = await registerUser(outageApp, 'Outage Fresh');
      const freshKey = (await createApiKey(outageApp, fresh)).key;
      const before = await app.sql<{ n: string }>(`select count(*) as n from interactions`);
      link.sever();

      const proxied = await outageApp.request({
        method: 'POST',
        url: MESSAGES,
        headers: {
          'content-type': 'application/json',
          'anthropic-version': '2023-06-01',
          'x-api-key': freshKey,
          'x-lamplight-session-id': 'outage-auth',
        },
        payload: messageBody({}, false),
      });
      expect(proxied.statusCode).toBe(503);
      expect(proxied.headers['retry-after']).toBe('1');
      expect(proxied.json()).toEqual({
        type: 'error',
        error: { type: expect.stringMatching(/^(api_error|overloaded_error)$/), message: expect.any(String) },
        request_id: proxied.headers['x-request-id'],
      });

      const listed = await outageApp.request({ method: 'GET', url: '/api/v1/sessions', headers: fresh.auth });
      const problem = expectProblem(listed, 503, 'DATABASE_UNAVAILABLE');
      expect(listed.headers['retry-after']).toBe('1');

      const ready = await outageApp.request({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: 'unavailable', checks: { database: 'unavailable' } });

      for (const body of [proxied.body, listed.body, JSON.stringify(problem)]) {
        expect(body).not.toMatch(/postgres|ECONN|127\.0\.0\.1|select |from "|lamplight_test|\bat .+\.(ts|js):\d+/i);
        expect(body).not.toContain(freshKey);
        expect(body).not.toContain(fresh.token);
      }
      const logs = outageApp.logs.join('\n');
      expect(logs).not.toContain(freshKey);
      expect(logs).not.toContain(fresh.token);
      expect(mock.requests).toHaveLength(0);

      link.restore();
      await eventually(async () =>
        (await outageApp.request({ method: 'GET', url: '/health/ready' })).statusCode === 200 ? true : undefined,
      );
      expect(await app.sql(`select count(*) as n from interactions`)).toEqual(before);
      expect(await app.sql(`select id from sessions where external_id = 'outage-auth'`)).toHaveLength(0);
    });

    it('holds a call in memory when neither the database nor the journal takes it, counts the journal failure, and stores it once the database is back', async () => {
      const failuresBefore = await metric('lamplight_recorder_journal_failures_total');
      const droppedBefore = await dropped();
      const response = await proxyCall(outageBaseURL, outageOrg.key, 'outage-journal-broken', {
        deltas: 10,
        deltaDelayMs: 60,
      });
      expect(response.statusCode).toBe(200);
      const body = response.body.text();
      link.sever(); // after authentication and the session: only the recording meets the outage
      const text = await body;
      expect(text).toContain('event: message_stop');
      expect(Buffer.from(text).equals(mock.sentBytes.get(mock.requests[0].id)!)).toBe(true);
      await eventually(async () =>
        (await metric('lamplight_recorder_journal_failures_total')) === failuresBefore + 1 ? true : undefined,
      );
      await sleep(1_500); // a write attempt meets the outage: the call stays in memory
      link.restore();
      const rows = await eventually(async () => {
        const found = await app.sql(
          `select i.id from interactions i join sessions s on s.id = i.session_id where s.external_id = 'outage-journal-broken'`,
        );
        return found.length > 0 ? found : undefined;
      });
      expect(rows).toHaveLength(1);
      expect(await dropped()).toBe(droppedBefore);
    });

    it("counts the queue-full path: past the queue's capacity a record is left to the journal, and is dropped when the journal cannot take it", async () => {
      const capacity = RECORDER_LIMITS.queueCapacity;
      RECORDER_LIMITS.queueCapacity = 0; // every record finds the queue full
      try {
        const droppedBefore = await dropped();
        const response = await proxyCall(outageBaseURL, outageOrg.key, 'queue-full', {}, { stream: false });
        expect(response.statusCode).toBe(200);
        expect(await response.body.json()).toMatchObject({ type: 'message' });
        await eventually(async () => ((await dropped()) === droppedBefore + 1 ? true : undefined));
      } finally {
        RECORDER_LIMITS.queueCapacity = capacity;
      }
      expect(
        await app.sql(
          `select i.id from interactions i join sessions s on s.id = i.session_id where s.external_id = 'queue-full'`,
        ),
      ).toHaveLength(0);
    });
  });
});
