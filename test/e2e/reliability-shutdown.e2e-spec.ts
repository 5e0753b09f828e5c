/**
 * Issue 8, case 20 — graceful shutdown of a real server process: `node dist/src/main.js` gets a
 * real SIGTERM while streams are live. (recording.e2e-spec.ts covers `app.close()` in-process with
 * three live streams; this is the signal path, end to end, with the exit code.)
 */
import { Client } from 'pg';
import { request as httpRequest } from 'undici';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { ensureBuilt, type GatewayProcess, setUpGatewayTenant, startGatewayProcess } from '../support/gateway-process';
import { MESSAGES, messageBody, proxyCall, RELIABILITY_PROVIDER_KEY, sleep } from '../support/reliability-fixtures';
import { eventually, testDatabaseUrl } from '../support/test-app';

const GRACE_MS = 3_000;

async function sql<T>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Reads a stream to its end, noting when the first frame arrived. */
async function collect(body: AsyncIterable<Buffer>, onFirst: () => void): Promise<string> {
  let text = '';
  for await (const chunk of body) {
    if (text === '') onFirst();
    text += chunk.toString('utf8');
  }
  return text;
}

describe('case 20: graceful shutdown on SIGTERM', () => {
  let mock: MockAnthropic;
  let gateway: GatewayProcess;
  let organizationId: string;
  let key: string;
  let token: string;

  beforeAll(async () => {
    ensureBuilt();
    mock = await startMockAnthropic();
    gateway = await startGatewayProcess({ ANTHROPIC_BASE_URL: mock.url, SHUTDOWN_GRACE_MS: String(GRACE_MS) });
    ({ organizationId, token, key } = await setUpGatewayTenant(gateway, 'Sigterm', RELIABILITY_PROVIDER_KEY));
  }, 120_000);

  afterAll(async () => {
    gateway?.kill();
    await gateway?.exited;
    await mock?.close();
  });

  it('refuses new requests with 503, fails readiness, lets streams finish within the grace period, interrupts the rest, flushes and exits 0', async () => {
    // Three streams that end about 1.5 s after the signal, and one that would run 20 s.
    const short = { deltas: 20, deltaDelayMs: 100, usage: { input_tokens: 500 } };
    const long = { deltas: 200, deltaDelayMs: 100, usage: { input_tokens: 900 } };
    let started = 0;
    const calls = [
      ...[1, 2, 3].map((n) => ({ session: `drain-${n}`, scenario: short })),
      { session: 'drain-long', scenario: long },
    ].map(async ({ session, scenario }) => {
      const response = await proxyCall(gateway.url, key, session, scenario);
      expect(response.statusCode).toBe(200);
      return { session, text: await collect(response.body, () => started++), ended: Date.now() };
    });
    await eventually(() => (started === 4 ? true : undefined));
    // The streams run a little before the signal (the short ones then end about 1.7 s into the grace).
    await sleep(300);

    const signalledAt = Date.now();
    process.kill(gateway.pid, 'SIGTERM');
    // Draining has begun once readiness says so; the checks below need no guess at how long that takes.
    await eventually(async () => {
      const ready = await httpRequest(`${gateway.url}/health/ready`);
      await ready.body.dump();
      return ready.statusCode === 503 ? true : undefined;
    });

    // While draining: new proxy calls get 503 in Anthropic's shape, other routes problem+json,
    // readiness fails, liveness still answers.
    const refused = await httpRequest(`${gateway.url}${MESSAGES}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
        'x-api-key': key,
        'x-lamplight-session-id': 'after-sigterm',
      },
      body: messageBody({}, false),
    });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(await refused.body.json()).toMatchObject({
      type: 'error',
      error: { type: 'api_error', message: expect.stringContaining('shutting down') },
    });

    const listed = await httpRequest(`${gateway.url}/api/v1/sessions`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(listed.statusCode).toBe(503);
    expect(listed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await listed.body.json()).toMatchObject({ status: 503, code: 'SHUTTING_DOWN' });

    const ready = await httpRequest(`${gateway.url}/health/ready`);
    expect(ready.statusCode).toBe(503);
    expect(await ready.body.json()).toMatchObject({ status: 'unavailable', checks: { accepting: 'unavailable' } });
    const live = await httpRequest(`${gateway.url}/health`);
    expect(live.statusCode).toBe(200);
    await live.body.dump();

    const results = await Promise.all(calls);
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      gateway.exited,
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), GRACE_MS + 15_000))),
    ]);
    clearTimeout(timer);
    const exitedAt = Date.now();
    expect({ exit, output: exit === 'timeout' || exit.code !== 0 ? gateway.output().slice(-4000) : '' }).toEqual({
      exit: { code: 0, signal: null },
      output: '',
    });

    // The three short streams finished normally, byte for byte, within the grace period.
    const sent = new Map(mock.requests.map((r) => [JSON.parse(r.body).messages[0].content, r.id]));
    for (const result of results.filter((r) => r.session !== 'drain-long')) {
      expect(result.text).toContain('event: message_stop');
      expect(result.ended - signalledAt).toBeLessThan(GRACE_MS);
    }
    expect(mock.requests.filter((r) => r.path === '/v1/messages')).toHaveLength(4);
    for (const request of mock.requests.filter((r) =>
      JSON.parse(r.body).messages[0].content.includes('"deltas":20,'),
    )) {
      expect(results.some((r) => Buffer.from(r.text).equals(mock.sentBytes.get(request.id)!))).toBe(true);
    }

    // The long one was cut at the end of the grace period with an error event, its upstream aborted.
    const longResult = results.find((r) => r.session === 'drain-long')!;
    expect(longResult.text).not.toContain('event: message_stop');
    expect(longResult.text.trimEnd().split('\n\n').at(-1)).toMatch(/^event: error\ndata: .*"api_error".*shutting down/);
    expect(longResult.ended - signalledAt).toBeGreaterThanOrEqual(GRACE_MS - 100);
    expect(longResult.ended - signalledAt).toBeLessThan(GRACE_MS + 2_000);
    const longId = [...sent.entries()].find(([content]) => content.includes('"deltas":200'))![1];
    expect(mock.aborted).toContain(longId);

    // Everything was flushed before the process exited: the rows are there without waiting.
    const rows = await sql<{
      external_id: string;
      outcome: string;
      http_status: number;
      input_tokens: number;
      output_tokens: number;
    }>(
      `select s.external_id, i.outcome, i.http_status, i.input_tokens, i.output_tokens
       from interactions i join sessions s on s.id = i.session_id where s.organization_id = $1 order by s.external_id`,
      [organizationId],
    );
    expect(rows).toEqual([
      { external_id: 'drain-1', outcome: 'ok', http_status: 200, input_tokens: 500, output_tokens: expect.any(Number) },
      { external_id: 'drain-2', outcome: 'ok', http_status: 200, input_tokens: 500, output_tokens: expect.any(Number) },
      { external_id: 'drain-3', outcome: 'ok', http_status: 200, input_tokens: 500, output_tokens: expect.any(Number) },
      // Partial usage: message_start's input and output; the final message_delta never came.
      { external_id: 'drain-long', outcome: 'error', http_status: 503, input_tokens: 900, output_tokens: 1 },
    ]);
    expect(rows.slice(0, 3).every((r) => r.output_tokens >= 20)).toBe(true);
    const sessions = await sql<{ external_id: string; request_count: string }>(
      `select external_id, request_count from sessions where organization_id = $1 order by external_id`,
      [organizationId],
    );
    expect(sessions.map((s) => [s.external_id, s.request_count])).toEqual([
      ['drain-1', '1'],
      ['drain-2', '1'],
      ['drain-3', '1'],
      ['drain-long', '1'],
    ]);
    process.stdout.write(
      `[case 20] SIGTERM → short streams done, long stream cut at +${longResult.ended - signalledAt} ms (grace ${GRACE_MS} ms), exit 0 at +${exitedAt - signalledAt} ms\n`,
    );
  }, 60_000);
});
