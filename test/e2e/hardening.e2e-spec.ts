import { randomUUID } from 'node:crypto';
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

/** `{"x":{"x":…}}` nested `depth` objects deep. */
const deepObject = (depth: number) => `${'{"x":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
/** An object whose `field` holds arrays nested `depth` deep. */
const deepField = (field: string, depth: number) => `{"${field}":${'['.repeat(depth)}${']'.repeat(depth)}}`;

describe('hardening: body depth', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    mock = await startMockAnthropic();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url, LOGIN_RATE_LIMIT_PER_IP: '10000' });
    user = await registerUser(app, 'Hardening Owner');
  });
  afterAll(async () => {
    await app.close();
    await mock.close();
  });

  const json = { 'content-type': 'application/json' };

  it('answers a 10,000-deep JSON body on non-proxy routes with 400 problem+json naming the limit', async () => {
    const routes = [
      { method: 'POST' as const, url: '/api/v1/auth/register', headers: json, payload: deepField('email', 10_000) },
      { method: 'POST' as const, url: '/api/v1/auth/register', headers: json, payload: deepObject(10_000) },
      {
        method: 'PATCH' as const,
        url: `/api/v1/sessions/${randomUUID()}`,
        headers: { ...json, ...user.auth },
        payload: deepField('title', 10_000),
      },
      {
        method: 'PATCH' as const,
        url: `/api/v1/organizations/${user.organizationId}`,
        headers: { ...json, ...user.auth },
        payload: deepField('settings', 10_000),
      },
      {
        method: 'POST' as const,
        url: '/api/v1/tasks',
        headers: { ...json, ...user.auth },
        payload: deepField('query', 10_000),
      },
    ];
    for (const route of routes) {
      const response = await app.request(route);
      const body = expectProblem(response, 400, 'JSON_TOO_DEEP');
      expect(body.detail).toContain('32');
    }
    expect(await app.sql(`select 1 from users where email like '%[%'`)).toHaveLength(0);
    // Nesting within the limit still reaches validation, which answers for the field.
    expectProblem(await app.request({ ...routes[2], payload: deepField('title', 5) }), 400, 'VALIDATION_FAILED');
  });

  it('forwards a deep body on the proxy untouched and stays up', async () => {
    await storeProviderKey(app, user, 'sk-ant-api03-hardening-key-aaaaaaaaaaaaaaaa');
    const { key } = await createApiKey(app, user, { name: 'deep proxy' });
    const payload = `{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":"hi"}],"metadata":{"deep":${deepObject(10_000)}}}`;
    const before = mock.requests.length;
    const response = await app.request({
      method: 'POST',
      url: '/spotlight/anthropic/v1/messages',
      headers: { ...json, 'x-api-key': key, 'anthropic-version': '2023-06-01' },
      payload,
    });
    expect(response.statusCode).toBeLessThan(500);
    expect(mock.requests.length).toBe(before + 1);
    expect(mock.requests.at(-1)!.body).toBe(payload);
    expect((await app.request({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});

describe('hardening: security headers and documentation', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  let tls: TestApp;
  let noDocs: TestApp;
  let user: TestUser;
  let key: string;

  beforeAll(async () => {
    mock = await startMockAnthropic();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    tls = await startTestApp({ ANTHROPIC_BASE_URL: mock.url, HSTS_MAX_AGE_SECONDS: '31536000' });
    noDocs = await startTestApp({ DOCS_ENABLED: 'false' });
    user = await registerUser(app, 'Headers Owner');
    await storeProviderKey(app, user, 'sk-ant-api03-headers-key-aaaaaaaaaaaaaaaaaaaaaaa');
    key = (await createApiKey(app, user, { name: 'headers' })).key;
  });
  afterAll(async () => {
    await noDocs.close();
    await tls.close();
    await app.close();
    await mock.close();
  });

  const proxyHeaders = () => ({
    'content-type': 'application/json',
    'anthropic-version': '2023-06-01',
    'x-api-key': key,
  });
  const body = JSON.stringify({
    model: 'claude-sonnet-4-5',
    max_tokens: 8,
    messages: [{ role: 'user', content: 'hi' }],
  });

  it('sends nosniff, a frame policy, a referrer policy and a CSP on every kind of response; HSTS only when configured', async () => {
    const responses = {
      health: await app.request({ method: 'GET', url: '/health' }),
      json: await app.request({ method: 'GET', url: '/api/v1/organizations', headers: user.auth }),
      problem: await app.request({ method: 'GET', url: '/api/v1/auth/me' }),
      notFound: await app.request({ method: 'GET', url: '/nowhere' }),
      docs: await app.request({ method: 'GET', url: '/docs' }),
      proxied: await app.request({
        method: 'POST',
        url: '/spotlight/anthropic/v1/messages',
        headers: proxyHeaders(),
        payload: body,
      }),
      proxyError: await app.request({
        method: 'POST',
        url: '/spotlight/anthropic/v1/messages',
        headers: { ...proxyHeaders(), 'x-api-key': 'lmp_nope' },
        payload: body,
      }),
      sharePage: await app.request({ method: 'GET', url: '/shared/shr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }),
    };
    expect(Object.fromEntries(Object.entries(responses).map(([name, r]) => [name, r.statusCode]))).toEqual({
      health: 200,
      json: 200,
      problem: 401,
      notFound: 404,
      docs: 200,
      proxied: 200,
      proxyError: 401,
      sharePage: 404,
    });
    for (const [name, response] of Object.entries(responses)) {
      const headers = response.headers;
      expect({
        name,
        nosniff: headers['x-content-type-options'],
        frame: headers['x-frame-options'],
        referrer: headers['referrer-policy'],
      }).toEqual({
        name,
        nosniff: 'nosniff',
        frame: 'DENY',
        referrer: 'no-referrer',
      });
      expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(headers['strict-transport-security']).toBeUndefined();
    }
    // The share page keeps its own stricter policy.
    expect(responses.sharePage.headers['content-security-policy']).toContain("default-src 'none'");
    expect(responses.docs.headers['content-type']).toMatch(/^text\/html/);

    for (const url of ['/health', '/api/v1/auth/me']) {
      expect((await tls.request({ method: 'GET', url })).headers['strict-transport-security']).toBe(
        'max-age=31536000; includeSubDomains',
      );
    }
  });

  it('serves /docs and /docs-json unless DOCS_ENABLED=false', async () => {
    for (const url of ['/docs', '/docs-json']) {
      expect((await app.request({ method: 'GET', url })).statusCode).toBe(200);
      expect((await noDocs.request({ method: 'GET', url })).statusCode).toBe(404);
    }
  });
});
