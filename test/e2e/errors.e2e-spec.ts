import type { Response as InjectResponse } from 'light-my-request';
import { randomUUID } from 'node:crypto';
import { createApiKey, registerUser, startTestApp, type TestApp, type TestUser } from '../support/test-app';
import { expectFieldErrors, expectProblem } from '../support/tenancy-fixtures';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** No stack frames, source paths or internal exception names in what a client sees. */
function expectNoInternals(response: InjectResponse): void {
  expect(response.body).not.toMatch(/\n\s*at /);
  expect(response.body).not.toMatch(/\bat [\w.<>]+ \(/);
  expect(response.body).not.toMatch(/\.(ts|js):\d+/);
  expect(response.body).not.toMatch(/\/(src|dist|node_modules)\//);
  expect(response.body).not.toMatch(/"stack"/);
  expect(response.body).not.toMatch(/Exception\b|TypeError|SyntaxError/);
}

describe('error responses', () => {
  let app: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    app = await startTestApp({ BODY_LIMIT_BYTES: '2048', LOGIN_RATE_LIMIT_PER_IP: '10000' });
    user = await registerUser(app);
  });
  afterAll(async () => {
    await app.close();
  });

  it('every kind of error is problem+json with type, title, status, detail, code and the request id', async () => {
    const key = await createApiKey(app, user);
    const cases: [string, () => Promise<InjectResponse>, number, string][] = [
      ['no credentials', () => app.request({ method: 'GET', url: '/api/v1/organizations' }), 401, 'UNAUTHENTICATED'],
      [
        'a bad JWT',
        () => app.request({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: 'Bearer not.a.jwt' } }),
        401,
        'UNAUTHENTICATED',
      ],
      [
        'an unknown API key',
        () =>
          app.request({
            method: 'GET',
            url: '/api/v1/auth/me',
            headers: { 'x-lamplight-api-key': `lmp_${'x'.repeat(32)}` },
          }),
        401,
        'UNAUTHENTICATED',
      ],
      [
        'an API key on user management',
        () => app.request({ method: 'GET', url: '/api/v1/organizations', headers: { 'x-lamplight-api-key': key.key } }),
        403,
        'API_KEY_NOT_ALLOWED',
      ],
      [
        'a validation failure',
        () => app.request({ method: 'POST', url: '/api/v1/organizations', headers: user.auth, payload: { name: '' } }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a bad UUID parameter',
        () => app.request({ method: 'DELETE', url: '/api/v1/api-keys/nope', headers: user.auth }),
        400,
        'BAD_REQUEST',
      ],
      [
        'a missing resource',
        () => app.request({ method: 'GET', url: `/api/v1/organizations/${randomUUID()}`, headers: user.auth }),
        404,
        'ORGANIZATION_NOT_FOUND',
      ],
      [
        'a conflict',
        () =>
          app.request({
            method: 'POST',
            url: '/api/v1/auth/register',
            payload: { email: user.email, name: 'x', password: 'a long enough password' },
          }),
        409,
        'EMAIL_TAKEN',
      ],
      [
        'a wrong password',
        () =>
          app.request({
            method: 'POST',
            url: '/api/v1/auth/login',
            payload: { email: user.email, password: 'wrong password!' },
          }),
        401,
        'INVALID_CREDENTIALS',
      ],
      [
        'a bad org header',
        () =>
          app.request({ method: 'GET', url: '/api/v1/api-keys', headers: { ...user.auth, 'x-organization-id': 'x' } }),
        400,
        'INVALID_ORGANIZATION_HEADER',
      ],
      [
        'an unknown route',
        () => app.request({ method: 'GET', url: '/api/v1/nothing-here', headers: user.auth }),
        404,
        'NOT_FOUND',
      ],
      [
        'an unknown route, signed out',
        () => app.request({ method: 'GET', url: '/definitely/not/a/route' }),
        404,
        'NOT_FOUND',
      ],
      [
        'a wrong method',
        () => app.request({ method: 'PUT', url: '/api/v1/organizations', headers: user.auth, payload: {} }),
        404,
        'NOT_FOUND',
      ],
    ];
    for (const [what, call, status, code] of cases) {
      const response = await call();
      try {
        const body = expectProblem(response, status, code);
        expect(body.requestId).toMatch(UUID);
        expect(body.type).toBe(`https://lamplight.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`);
        expectNoInternals(response);
      } catch (error) {
        throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
      }
    }
  });

  it('validation problems list each field with a message', async () => {
    const response = await app.request({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'nope', name: '', password: 'short', extra: 1 },
    });
    const body = expectFieldErrors(response, ['email', 'name', 'password', 'extra']);
    expect(body.detail).toMatch(/field/);
    // The submitted values are not echoed back.
    expect(response.body).not.toContain('short');
    expectNoInternals(response);
  });

  it('x-request-id: the response header equals body.requestId; a safe client id is echoed; an unsafe one replaced', async () => {
    const generated = await app.request({ method: 'GET', url: '/api/v1/organizations' });
    expect(generated.headers['x-request-id']).toMatch(UUID);
    expect(generated.json().requestId).toBe(generated.headers['x-request-id']);

    const echoed = await app.request({
      method: 'GET',
      url: '/api/v1/organizations',
      headers: { 'x-request-id': 'abc-123' },
    });
    expectProblem(echoed, 401);
    expect(echoed.headers['x-request-id']).toBe('abc-123');
    expect(echoed.json().requestId).toBe('abc-123');

    // Successful responses carry it too.
    const ok = await app.request({
      method: 'GET',
      url: '/api/v1/organizations',
      headers: { ...user.auth, 'x-request-id': 'ok-456' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['x-request-id']).toBe('ok-456');

    for (const unsafe of ['has spaces in it', '<script>', 'x'.repeat(129), 'line\u0001break']) {
      const response = await app.request({
        method: 'GET',
        url: '/api/v1/organizations',
        headers: { 'x-request-id': unsafe },
      });
      expect(response.headers['x-request-id']).toMatch(UUID);
      expect(response.json().requestId).toBe(response.headers['x-request-id']);
      expect(response.body).not.toContain(unsafe);
    }
    // The id reaches the logs, so a client's report can be traced.
    expect(app.logs.some((line) => line.includes('abc-123'))).toBe(true);
  });

  it('malformed JSON → 400 problem', async () => {
    for (const payload of ['{"name": ', '{name: "x"}', '[1,2', 'null x']) {
      const response = await app.request({
        method: 'POST',
        url: '/api/v1/organizations',
        headers: { ...user.auth, 'content-type': 'application/json', 'x-request-id': 'bad-json-1' },
        payload,
      });
      const body = expectProblem(response, 400);
      expect(body.requestId).toBe('bad-json-1');
      expect(body.detail).toMatch(/JSON/i);
      expectNoInternals(response);
    }
    // Also before authentication: the error comes from the body parser either way.
    expectProblem(
      await app.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: '{',
      }),
      400,
    );
  });

  it('a body that is not an object, or poisons the prototype, → 400 problem and nothing is created', async () => {
    const [{ n: before }] = await app.sql<{ n: string }>('select count(*)::text as n from organizations');
    for (const payload of [
      '"just a string"',
      '[{"name":"x"}]',
      '42',
      '{"name":"x","__proto__":{"isAdmin":true}}',
      '{"name":"x","constructor":{"prototype":{"isAdmin":true}}}',
    ]) {
      const response = await app.request({
        method: 'POST',
        url: '/api/v1/organizations',
        headers: { ...user.auth, 'content-type': 'application/json' },
        payload,
      });
      expectProblem(response, 400);
      expectNoInternals(response);
    }
    const [{ n: after }] = await app.sql<{ n: string }>('select count(*)::text as n from organizations');
    expect(after).toBe(before);
  });

  it('an unsupported content type → 415 problem', async () => {
    const response = await app.request({
      method: 'POST',
      url: '/api/v1/organizations',
      headers: { ...user.auth, 'content-type': 'application/xml' },
      payload: '<name>x</name>',
    });
    expectProblem(response, 415);
    expectNoInternals(response);
  });

  it('a body over BODY_LIMIT_BYTES → 413 problem, signed in or not', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(4096) });
    for (const headers of [user.auth, {}]) {
      const response = await app.request({
        method: 'POST',
        url: '/api/v1/organizations',
        headers: { ...headers, 'content-type': 'application/json', 'x-request-id': 'too-big-1' },
        payload: big,
      });
      const body = expectProblem(response, 413, 'PAYLOAD_TOO_LARGE');
      expect(body.requestId).toBe('too-big-1');
      expectNoInternals(response);
    }
    // Just under the limit is read (and then judged on its content).
    const fits = await app.request({
      method: 'POST',
      url: '/api/v1/organizations',
      headers: { ...user.auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(201) }),
    });
    expectFieldErrors(fits, ['name']);
  });

  it('credentials in a failing request appear in neither the response nor the logs', async () => {
    const secret = `lmp_${'S'.repeat(32)}`;
    const response = await app.request({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { 'x-lamplight-api-key': secret, authorization: `Bearer ${secret}`, 'x-request-id': 'cred-1' },
    });
    expectProblem(response, 401);
    expect(response.body).not.toContain(secret);
    expect(app.logs.some((line) => line.includes('cred-1'))).toBe(true);
    expect(app.logs.join('\n')).not.toContain(secret);
    expect(app.logs.join('\n')).not.toContain(user.token);
  });
});
