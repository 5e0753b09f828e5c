import fc from 'fast-check';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import {
  createApiKey,
  expectProblem,
  registerUser,
  startTestApp,
  storeProviderKey,
  type TestApp,
  type TestUser,
} from '../support/test-app';

const BASE = '/spotlight/anthropic';

interface LogLine {
  msg?: string;
  req?: { url?: string };
  url?: string;
  statusCode?: number;
  reqId?: string;
}

function parsed(lines: string[]): LogLine[] {
  return lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

/** pino-http's line for a finished request. */
const requestLines = (lines: string[], url: string) =>
  parsed(lines).filter((line) => line.req?.url === url && /^request (completed|errored)/.test(line.msg ?? ''));

/**
 * A route's behaviour (error shape, where a platform key may arrive, the key cache, request
 * logging, the JSON depth limit) comes from what it declares, and a request that matched no route
 * gets the one default: these hold through the real server.
 */
describe('route behaviour', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  let user: TestUser;
  let key: string;

  beforeAll(async () => {
    mock = await startMockAnthropic();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    user = await registerUser(app, 'Route Behaviour Owner');
    await storeProviderKey(app, user, 'sk-ant-api03-route-behaviour-aaaaaaaaaaaaaaaaaaaaa');
    key = (await createApiKey(app, user, { name: 'route behaviour' })).key;
  });
  afterAll(async () => {
    await app.close();
    await mock.close();
  });

  const anthropicHeaders = () => ({
    'content-type': 'application/json',
    'anthropic-version': '2023-06-01',
    'x-api-key': key,
  });
  const message = { model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] };

  it('a proxied call has no request log line; an API call has one', async () => {
    const before = app.logs.length;
    const proxied = await app.request({
      method: 'POST',
      url: `${BASE}/v1/messages`,
      headers: anthropicHeaders(),
      payload: message,
    });
    expect(proxied.statusCode).toBe(200);
    const api = await app.request({ method: 'GET', url: '/api/v1/auth/me', headers: { 'x-lamplight-api-key': key } });
    expect(api.statusCode).toBe(200);
    const lines = app.logs.slice(before);
    expect(requestLines(lines, '/api/v1/auth/me')).toHaveLength(1);
    expect(requestLines(lines, `${BASE}/v1/messages`)).toEqual([]);
  });

  it('x-api-key carries a platform key only on the routes that declare it', async () => {
    const models = await app.request({ method: 'GET', url: `${BASE}/v1/models`, headers: anthropicHeaders() });
    expect(models.statusCode).toBe(200);
    // Not on the API: there x-api-key is nobody's credential.
    expectProblem(
      await app.request({ method: 'GET', url: '/api/v1/auth/me', headers: { 'x-api-key': key } }),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('only the route that declares the key cache answers from it (the Messages route)', async () => {
    const behind = await createApiKey(app, user, { name: 'revoked behind the cache' });
    const headers = { ...anthropicHeaders(), 'x-api-key': behind.key };
    const messages = () => app.request({ method: 'POST', url: `${BASE}/v1/messages`, headers, payload: message });
    expect((await messages()).statusCode).toBe(200);
    // Revoked in the database with its triggers off, so without the notice every change sends:
    // only a cache can still take the key.
    expect(behind.id).toMatch(/^[0-9a-f-]{36}$/);
    await app.sql(
      `begin; set local session_replication_role = replica; update api_keys set revoked_at = now() where id = '${behind.id}'; commit`,
    );
    expect((await messages()).statusCode).toBe(200);
    const countTokens = await app.request({
      method: 'POST',
      url: `${BASE}/v1/messages/count_tokens`,
      headers,
      payload: message,
    });
    expect(countTokens.statusCode).toBe(401);
    expect(countTokens.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expectProblem(
      await app.request({ method: 'GET', url: '/api/v1/auth/me', headers: { 'x-lamplight-api-key': behind.key } }),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('any unknown path under the base URL is 404 in Anthropic’s shape with a warn line; elsewhere, problem+json with a request line', async () => {
    const segment = fc.webSegment().filter((s) => s.length > 0 && s !== '.' && s !== '..');
    // Nest runs middleware, the request logger included, for any path holding a line terminator,
    // whatever its exclusions say (see isMiddlewareRouteExcluded): such a path gets a request line.
    const lineTerminator = /%0[ad]|%e2%80%a[89]/i;
    const method = fc.constantFrom(
      'GET' as const,
      'POST' as const,
      'PUT' as const,
      'PATCH' as const,
      'DELETE' as const,
    );
    await fc.assert(
      fc.asyncProperty(
        method,
        // The first segment is never v1 or api, where real routes are (and would ask for credentials).
        fc.array(segment, { minLength: 1, maxLength: 4 }).filter(([first]) => first !== 'v1' && first !== 'api'),
        fc.option(segment, { nil: undefined }),
        async (verb, segments, query) => {
          const path = `/${segments.join('/')}`;
          const suffix = query === undefined ? '' : `?q=${query}`;

          const before = app.logs.length;
          const proxied = await app.request({ method: verb, url: `${BASE}${path}${suffix}` });
          // The target as it goes on the wire (the client percent-encodes what a URL may not hold).
          const sent = new URL(`${BASE}${path}${suffix}`, 'http://lamplight.test');
          expect(proxied.statusCode).toBe(404);
          expect(proxied.headers['content-type']).toMatch(/^application\/json/);
          expect(proxied.json()).toEqual({
            type: 'error',
            error: { type: 'not_found_error', message: `Cannot ${verb} ${sent.pathname}${sent.search}` },
            request_id: proxied.headers['x-request-id'],
          });
          const proxiedLines = app.logs.slice(before);
          if (!lineTerminator.test(sent.pathname)) expect(requestLines(proxiedLines, sent.pathname)).toEqual([]);
          expect(
            parsed(proxiedLines).filter(
              (line) => line.msg === 'proxy call answered with an error' && line.statusCode === 404,
            ),
          ).toHaveLength(1);

          const elsewhere = app.logs.length;
          const outside = await app.request({ method: verb, url: `/elsewhere${path}${suffix}` });
          expectProblem(outside, 404, 'NOT_FOUND');
          expect(
            requestLines(app.logs.slice(elsewhere), new URL(`/elsewhere${path}`, 'http://lamplight.test').pathname),
          ).toHaveLength(1);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a path under the base URL longer than any route parameter may be is still answered in Anthropic’s shape', async () => {
    for (const url of [
      `${BASE}/${'a'.repeat(600)}`,
      `${BASE}/v1/models/${'m'.repeat(600)}`,
      `${BASE}/v1/files/${'f'.repeat(600)}/content`,
    ]) {
      const response = await app.request({ method: 'GET', url });
      expect({
        url: url.slice(0, 40),
        status: response.statusCode,
        type: response.json<{ type: string }>().type,
      }).toEqual({ url: url.slice(0, 40), status: 404, type: 'error' });
    }
  });

  it('the base URL itself is not under it: an unknown method there is problem+json', async () => {
    expectProblem(await app.request({ method: 'GET', url: BASE }), 404, 'NOT_FOUND');
    expect((await app.request({ method: 'HEAD', url: BASE })).statusCode).toBe(200);
  });

  it('JSON depth is bounded on the API and not on the proxy, which forwards bodies untouched', async () => {
    const deep = `{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":"hi"}],"metadata":${'['.repeat(200)}${']'.repeat(200)}}`;
    const api = await app.request({
      method: 'POST',
      url: '/api/v1/organizations',
      headers: { ...user.auth, 'content-type': 'application/json' },
      payload: deep,
    });
    expectProblem(api, 400, 'JSON_TOO_DEEP');
    const proxied = await app.request({
      method: 'POST',
      url: `${BASE}/v1/messages/count_tokens`,
      headers: anthropicHeaders(),
      payload: deep,
    });
    expect(proxied.statusCode).not.toBe(400);
  });
});
