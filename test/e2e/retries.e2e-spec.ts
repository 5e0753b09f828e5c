import Anthropic from '@anthropic-ai/sdk';
import { createServer, type Server, type Socket } from 'node:net';
import { startMockAnthropic, type MockAnthropic, type MockScenario } from '../../mock-upstream/mock-anthropic';
import { createApiKey, listen, registerUser, startTestApp, storeProviderKey, type TestApp } from '../support/test-app';

/**
 * Issue 14, item 8: whatever fails upstream, one SDK call (the official SDK, its default two
 * retries) makes at most 1 + Lamplight's 2 retries upstream requests, because every error
 * Lamplight answers after its own retries says `x-should-retry: false`.
 */
describe('retries: upstream requests per SDK call in each failure mode', () => {
  let mock: MockAnthropic;
  let resetting: { server: Server; url: string; requests: number };
  const apps: TestApp[] = [];

  /** An upstream that reads each request and resets the connection before any header. */
  async function startResettingUpstream() {
    const state = { requests: 0 };
    const server = createServer((socket: Socket) => {
      socket.on('data', (chunk) => {
        state.requests += (chunk.toString('latin1').match(/^POST /gm) ?? []).length;
        socket.resetAndDestroy();
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    return Object.assign(state, { server, url: `http://127.0.0.1:${port}` });
  }

  /** A gateway in front of `upstream`, and an SDK client (default retries) that counts its requests to it. */
  async function gateway(upstream: string) {
    const app = await startTestApp({ ANTHROPIC_BASE_URL: upstream, UPSTREAM_HEADERS_TIMEOUT_MS: '500' });
    apps.push(app);
    const baseURL = await listen(app);
    const owner = await registerUser(app, 'Retry Owner');
    await storeProviderKey(app, owner, 'sk-ant-api03-retries-test-key-aaaaaaaaaaaaaaaaaaaaaa');
    const key = (await createApiKey(app, owner, { name: 'retries' })).key;
    const counter = { toGateway: 0 };
    const client = new Anthropic({
      baseURL: `${baseURL}/spotlight/anthropic`,
      apiKey: key,
      fetch: (input, init) => {
        counter.toGateway++;
        return fetch(input, init);
      },
    });
    return { client, counter };
  }

  const call = (client: Anthropic, scenario: MockScenario) =>
    client.messages
      .create({
        model: 'claude-sonnet-4-5',
        max_tokens: 8,
        messages: [{ role: 'user', content: `MOCK:${JSON.stringify(scenario)} go` }],
      })
      .then(
        () => ({ status: 200, shouldRetry: undefined as string | undefined }),
        (error: unknown) => {
          if (!(error instanceof Anthropic.APIError)) throw error;
          return { status: error.status, shouldRetry: error.headers?.get('x-should-retry') ?? undefined };
        },
      );

  beforeAll(async () => {
    mock = await startMockAnthropic();
    resetting = await startResettingUpstream();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await mock.close();
    await new Promise((resolve) => resetting.server.close(resolve));
  });

  it.each([
    ['overloaded (529) every time', { status: 529, retryAfter: null }, 529, 3],
    ['rate limited (429) every time', { status: 429, retryAfter: null }, 429, 3],
    ['a 500 Anthropic says not to retry', { status: 500, shouldRetry: false }, 500, 1],
    ['no headers within the timeout', { stallBeforeHeaders: true }, 504, 1],
  ] as const)(
    '%s: one request to Lamplight, at most three upstream, x-should-retry: false',
    async (_name, scenario, status, upstream) => {
      const { client, counter } = await gateway(mock.url);
      mock.reset();
      const result = await call(client, scenario);
      expect(result).toEqual({ status, shouldRetry: 'false' });
      expect(counter.toGateway).toBe(1);
      expect(mock.requests).toHaveLength(upstream);
    },
  );

  it('a reset before any header: Lamplight retries twice, then 502 x-should-retry: false, and the SDK does not retry', async () => {
    const { client, counter } = await gateway(resetting.url);
    const result = await call(client, {});
    expect(result).toEqual({ status: 502, shouldRetry: 'false' });
    expect(counter.toGateway).toBe(1);
    expect(resetting.requests).toBe(3);
  });

  it("Anthropic unreachable (connection refused): 502 x-should-retry: false after Lamplight's retries, one SDK request", async () => {
    const { client, counter } = await gateway('http://127.0.0.1:9');
    const result = await call(client, {});
    expect(result).toEqual({ status: 502, shouldRetry: 'false' });
    expect(counter.toGateway).toBe(1);
  });
});
