/**
 * Security, hostile requests (issue 8, cases 10–13): extra fields (mass assignment) and role
 * escalation are refused with the database unchanged, the upstream is only ever the configured one
 * (SSRF), and odd paths and hosts on guarded routes never get past the guard.
 * Each test asserts what the client gets and what the database holds afterwards; organizations A
 * and B are seeded alike (see security-fixtures.ts). Fuzzing of every operation is in
 * security-fuzz.e2e-spec.ts.
 */
import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'light-my-request';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { expectProblem, type TestApp, type TestUser } from '../support/test-app';
import { orgHeader, snapshotTables } from '../support/tenancy-fixtures';
import { flushRecorder, type Gateway, PROVIDER_KEY, SESSIONS, type Team, TASKS } from '../support/sessions-fixtures';
import {
  ANALYTICS,
  expectNoCredentialLogged,
  expectNoneOf,
  MESSAGES,
  member,
  orgSnapshot,
  owner,
  rawRequest,
  setUpTwoOrganizations,
  SHARED_EXTERNAL_ID,
} from '../support/security-fixtures';

describe('security: hostile requests (cases 10–13)', () => {
  let gateway: Gateway;
  let app: TestApp;
  let a: Team;
  let b: Team;
  let sessionA: string;
  let sessionB: string;
  let idsB: string[];
  let secrets: Set<string>;

  beforeAll(async () => {
    ({ gateway, app, a, b, sessionA, sessionB, idsB, secrets } = await setUpTwoOrganizations());
  });

  afterAll(async () => {
    await gateway.close();
  });

  describe('case 10: mass assignment on the session, task and share write routes → 400, database unchanged', () => {
    const extras: Record<string, unknown> = {
      organizationId: '00000000-0000-4000-8000-000000000000',
      role: 'owner',
      ownerId: '00000000-0000-4000-8000-000000000001',
      deletedAt: null,
      cost: 0,
      id: '00000000-0000-4000-8000-000000000002',
    };
    const routes: [string, InjectOptions['method'], () => string, Record<string, unknown>][] = [
      ['sessions PATCH', 'PATCH', () => `${SESSIONS}/${sessionA}`, { title: 'renamed' }],
      ['tasks POST', 'POST', () => TASKS, { query: 'hello', session_id: SHARED_EXTERNAL_ID }],
      ['share POST', 'POST', () => `${ANALYTICS}/sessions/${sessionA}/share`, { include_content: true }],
    ];

    it.each(
      routes.flatMap(([name, method, url, base]) =>
        Object.keys(extras).map((field) => [`${name} + ${field}`, method, url, base, field] as const),
      ),
    )('%s → 400 naming the field', async (_label, method, url, base, field) => {
      const before = await orgSnapshot(app, a.organizationId);
      const upstreamBefore = gateway.mock.requests.length;
      const response = await app.request({
        method,
        url: url(),
        headers: owner(a),
        payload: { ...base, [field]: extras[field] },
      });
      const problem = expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(problem.errors?.map((e) => e.field)).toContain(field);
      await flushRecorder(gateway);
      expect(gateway.mock.requests.length).toBe(upstreamBefore);
      expect(await orgSnapshot(app, a.organizationId)).toBe(before);
    });

    it('the same bodies without the extras are accepted (the 400 came from the extra field)', async () => {
      for (const [, method, url, base] of routes) {
        const response = await app.request({ method, url: url(), headers: owner(a), payload: base });
        expect(response.statusCode).toBeLessThan(300);
      }
    });

    it('nobody raises their own role, and a member cannot mint an API key', async () => {
      const before = await snapshotTables(app);
      const raise = (user: TestUser, role: string) =>
        app.request({
          method: 'PATCH',
          url: `/api/v1/organizations/${a.organizationId}/members/${user.id}`,
          headers: user.auth,
          payload: { role },
        });
      for (const [user, role] of [
        [a.member, 'admin'],
        [a.member, 'owner'],
        [a.admin, 'owner'],
      ] as const) {
        expectProblem(await raise(user, role), 403);
      }
      expectProblem(
        await app.request({ method: 'POST', url: '/api/v1/api-keys', headers: member(a), payload: { name: 'mine' } }),
        403,
      );
      expectProblem(
        await app.request({
          method: 'POST',
          url: '/api/v1/api-keys',
          headers: { 'x-lamplight-api-key': a.key },
          payload: { name: 'from a key' },
        }),
        403,
      );
      expect(await snapshotTables(app)).toBe(before);
      const [row] = await app.sql<{ role: string }>(
        'select role from memberships where organization_id = $1 and user_id = $2',
        [a.organizationId, a.member.id],
      );
      expect(row.role).toBe('member');
    });
  });

  describe('case 11: roles — members on admin routes and API keys on management routes → 403', () => {
    const memberRoutes: [string, InjectOptions['method'], () => string, Record<string, unknown> | undefined][] = [
      ['sessions restore', 'POST', () => `${SESSIONS}/${sessionA}/restore`, undefined],
      [
        'provider keys create',
        'POST',
        () => '/api/v1/provider-keys',
        { name: 'x', key: 'sk-ant-api03-member-attempt-0000' },
      ],
      ['provider keys test', 'POST', () => '/api/v1/provider-keys/test', { key: 'sk-ant-api03-member-attempt-0000' }],
      ['provider keys delete', 'DELETE', () => `/api/v1/provider-keys/${randomUUID()}`, undefined],
      ['provider keys update', 'PATCH', () => `/api/v1/provider-keys/${randomUUID()}`, { name: 'y' }],
      ['api keys create', 'POST', () => '/api/v1/api-keys', { name: 'x' }],
      ['api keys revoke', 'DELETE', () => `/api/v1/api-keys/${randomUUID()}`, undefined],
      [
        'members add',
        'POST',
        () => `/api/v1/organizations/${a.organizationId}/members`,
        { email: 'someone@example.com' },
      ],
      [
        'members change',
        'PATCH',
        () => `/api/v1/organizations/${a.organizationId}/members/${a.admin.id}`,
        { role: 'member' },
      ],
      ['members remove', 'DELETE', () => `/api/v1/organizations/${a.organizationId}/members/${a.admin.id}`, undefined],
      ['organization update', 'PATCH', () => `/api/v1/organizations/${a.organizationId}`, { name: 'Taken over' }],
      ['organization delete', 'DELETE', () => `/api/v1/organizations/${a.organizationId}`, undefined],
    ];

    it.each(memberRoutes)('member: %s → 403, nothing changed', async (_name, method, url, payload) => {
      const before = await orgSnapshot(app, a.organizationId);
      const response = await app.request({ method, url: url(), headers: member(a), ...(payload ? { payload } : {}) });
      expectProblem(response, 403);
      expect(await orgSnapshot(app, a.organizationId)).toBe(before);
    });

    it('an admin may restore but not delete the organization (owner only)', async () => {
      const before = await orgSnapshot(app, a.organizationId);
      expectProblem(
        await app.request({
          method: 'DELETE',
          url: `/api/v1/organizations/${a.organizationId}`,
          headers: owner({ ...a, owner: a.admin }),
        }),
        403,
      );
      expect(await orgSnapshot(app, a.organizationId)).toBe(before);
    });

    const keyRoutes: [string, InjectOptions['method'], () => string, Record<string, unknown> | undefined][] = [
      ['api keys list', 'GET', () => '/api/v1/api-keys', undefined],
      ['api keys create', 'POST', () => '/api/v1/api-keys', { name: 'x' }],
      ['api keys revoke', 'DELETE', () => `/api/v1/api-keys/${randomUUID()}`, undefined],
      ['provider keys list', 'GET', () => '/api/v1/provider-keys', undefined],
      [
        'provider keys create',
        'POST',
        () => '/api/v1/provider-keys',
        { name: 'x', key: 'sk-ant-api03-key-attempt-00000' },
      ],
      ['provider keys delete', 'DELETE', () => `/api/v1/provider-keys/${randomUUID()}`, undefined],
      ['organizations list', 'GET', () => '/api/v1/organizations', undefined],
      ['organization get', 'GET', () => `/api/v1/organizations/${a.organizationId}`, undefined],
      ['organization update', 'PATCH', () => `/api/v1/organizations/${a.organizationId}`, { name: 'x' }],
      ['organization delete', 'DELETE', () => `/api/v1/organizations/${a.organizationId}`, undefined],
      ['members list', 'GET', () => `/api/v1/organizations/${a.organizationId}/members`, undefined],
      ['members add', 'POST', () => `/api/v1/organizations/${a.organizationId}/members`, { email: 'x@example.com' }],
      [
        'members change',
        'PATCH',
        () => `/api/v1/organizations/${a.organizationId}/members/${a.member.id}`,
        { role: 'admin' },
      ],
      ['members remove', 'DELETE', () => `/api/v1/organizations/${a.organizationId}/members/${a.member.id}`, undefined],
    ];

    it.each(keyRoutes)('API key (every scope): %s → 403, nothing changed', async (_name, method, url, payload) => {
      const before = await orgSnapshot(app, a.organizationId);
      for (const headers of [{ 'x-lamplight-api-key': a.key }, { authorization: `Bearer ${a.key}` }]) {
        const response = await app.request({ method, url: url(), headers, ...(payload ? { payload } : {}) });
        expectProblem(response, 403);
      }
      expect(await orgSnapshot(app, a.organizationId)).toBe(before);
    });
  });

  describe('case 12: SSRF — the upstream is only ever the configured one', () => {
    let attacker: MockAnthropic;
    beforeAll(async () => {
      attacker = await startMockAnthropic();
    });
    afterAll(async () => {
      await attacker.close();
    });

    it('base URLs in the body and override headers never send anything to the attacker', async () => {
      const evil = attacker.url;
      const evilHost = new URL(evil).host;
      const bodyExtras = [
        { base_url: evil },
        { api_base: evil },
        { baseURL: evil },
        { metadata: { user_id: 'u', base_url: evil } },
      ];
      const headerSets: Record<string, string>[] = [
        { 'x-forwarded-host': evilHost, 'x-forwarded-proto': 'http', 'x-forwarded-port': String(attacker.port) },
        { host: evilHost },
        { 'x-anthropic-base-url': evil, 'anthropic-base-url': evil, 'x-base-url': evil },
        { forwarded: `host=${evilHost};proto=http` },
        { 'x-original-url': evil, 'x-rewrite-url': evil, 'x-forwarded-for': '127.0.0.1' },
      ];
      const configuredBefore = gateway.mock.requests.length;
      let sent = 0;
      for (const extra of bodyExtras) {
        for (const headers of headerSets) {
          for (const url of [MESSAGES, `${MESSAGES}/count_tokens`]) {
            const response = await app.request({
              method: 'POST',
              url,
              headers: {
                'x-api-key': a.key,
                'content-type': 'application/json',
                'anthropic-version': '2023-06-01',
                ...headers,
              },
              payload: {
                model: 'claude-sonnet-4-6',
                max_tokens: 8,
                messages: [{ role: 'user', content: 'x' }],
                ...extra,
              },
            });
            expect(response.statusCode).toBeLessThan(500);
            sent++;
          }
        }
      }
      // Over a real socket too, and through the task route and the key tester.
      const real = await fetch(`${gateway.baseURL}${MESSAGES}`, {
        method: 'POST',
        headers: {
          'x-api-key': a.key,
          'content-type': 'application/json',
          'x-forwarded-host': evilHost,
          forwarded: `host=${evilHost}`,
        },
        body: JSON.stringify({
          model: 'claude-sonnet-4-6',
          max_tokens: 8,
          messages: [{ role: 'user', content: 'x' }],
          base_url: evil,
        }),
      });
      await real.text();
      sent++;
      const task = await app.request({
        method: 'POST',
        url: TASKS,
        headers: { ...owner(a), 'x-forwarded-host': evilHost, 'x-anthropic-base-url': evil },
        payload: { query: 'q', session_id: 'ssrf' },
      });
      expect(task.statusCode).toBe(201);
      sent++;
      const tester = await app.request({
        method: 'POST',
        url: '/api/v1/provider-keys/test',
        headers: { ...owner(a), 'x-forwarded-host': evilHost },
        payload: { key: PROVIDER_KEY, base_url: evil },
      });
      expectProblem(tester, 400, 'VALIDATION_FAILED');

      expect(attacker.requests).toEqual([]);
      expect(attacker.stats.requests).toBe(0);
      expect(gateway.mock.requests.length - configuredBefore).toBe(sent);
      // The configured upstream got the body as sent (untouched), with the stored key, not a forwarded host.
      for (const request of gateway.mock.requests.slice(configuredBefore)) {
        expect(request.apiKey).toBe(PROVIDER_KEY);
        expect(request.headers.host).toBe(new URL(gateway.mock.url).host);
        expect(request.headers['x-forwarded-host']).toBeUndefined();
        expect(request.headers.forwarded).toBeUndefined();
        expect(request.headers['x-anthropic-base-url']).toBeUndefined();
      }
    });
  });

  describe('case 13: path and host confusion on guarded routes → still 401/403, never 200 or 5xx', () => {
    const targets = [
      '/api/v1/sessions',
      '//api/v1/sessions',
      '/api/v1//sessions',
      '/api/v1/sessions/',
      '/api/v1/sessions/%2F',
      '/api%2Fv1%2Fsessions',
      '/health/../api/v1/sessions',
      '/health/%2e%2e/api/v1/sessions',
      '/health/..%2F..%2Fapi/v1/sessions',
      '/docs/..%2Fapi/v1/sessions',
      '/shared/..%2F..%2Fapi%2Fv1%2Fsessions',
      '/spotlight/analytics/sessions/shared/..%2F..%2Ftokens',
      '/spotlight/analytics/sessions/shared/%2e%2e/%2e%2e/tokens',
      '/spotlight/anthropic/../../api/v1/sessions',
      '/API/V1/SESSIONS',
      '/api/v1/sessions;jsessionid=1',
      '/api/v1/sessions%00',
      '/api/v1/sessions/%2e%2e/api-keys',
      '/api/v1/api-keys/..%2F..%2Fsessions',
      `/api/v1/sessions/${'%2e%2e%2f'.repeat(4)}`,
    ];

    it('no credentials: odd targets → 401, 400 or 404, never 200/5xx; the canonical route is 401', async () => {
      const statuses: Record<string, number> = {};
      for (const url of targets) {
        for (const host of [
          undefined,
          'evil.example',
          'localhost:1',
          '127.0.0.1@evil.example',
          '[::1]',
          'a'.repeat(300),
        ]) {
          const response = await app.request({ method: 'GET', url, headers: host ? { host } : {} });
          statuses[`${host ?? '-'} ${url}`] = response.statusCode;
          expect([400, 401, 404]).toContain(response.statusCode);
          expect(response.body).not.toContain(a.organizationId);
        }
      }
      expect(statuses[`- /api/v1/sessions`]).toBe(401);
      expect(statuses[`evil.example /api/v1/sessions`]).toBe(401);
    });

    it('A’s credentials naming B: odd targets → 403 or 400/404, never B’s data', async () => {
      for (const url of targets) {
        const response = await app.request({
          method: 'GET',
          url,
          headers: { ...a.member.auth, ...orgHeader(b.organizationId) },
        });
        expect([400, 403, 404]).toContain(response.statusCode);
        expectNoneOf(response.body, idsB);
      }
      // Encoded slashes in a session id never escape the route.
      for (const id of [
        `${sessionB}%2F..%2F..`,
        `..%2F${sessionB}`,
        `%2e%2e%2f${sessionB}`,
        encodeURIComponent(`../${sessionB}`),
      ]) {
        const response = await app.request({ method: 'GET', url: `${SESSIONS}/${id}`, headers: member(a) });
        expect([400, 404]).toContain(response.statusCode);
        expectNoneOf(response.body, idsB);
      }
    });

    it('over a raw socket: absolute-form targets, duplicate and missing Host → never 200/5xx', async () => {
      const heads = [
        `GET http://evil.example/api/v1/sessions HTTP/1.1\r\nhost: evil.example`,
        `GET http://127.0.0.1/api/v1/sessions HTTP/1.1\r\nhost: 127.0.0.1`,
        `GET //api/v1/sessions HTTP/1.1\r\nhost: x`,
        `GET /api/v1/sessions HTTP/1.1\r\nhost: a\r\nhost: b`,
        `GET /api/v1/sessions HTTP/1.1`,
        `GET /health/../api/v1/sessions HTTP/1.1\r\nhost: x`,
        `GET /api/v1/sessions HTTP/1.1\r\nhost: x\r\nx-original-url: /health`,
        `GET http://evil.example/api/v1/sessions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${a.member.token}\r\nx-organization-id: ${b.organizationId}`,
        `GET /api/v1/sessions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${a.member.token}\r\nx-organization-id: ${b.organizationId}`,
        `GET /api/v1/sessions HTTP/1.1\r\nhost: x\r\nx-organization-id: ${a.organizationId}\r\nx-organization-id: ${b.organizationId}\r\nauthorization: Bearer ${a.member.token}`,
      ];
      for (const head of heads) {
        const { status, text } = await rawRequest(gateway.baseURL, head);
        expect({ head: head.split('\r\n')[0], status, ok: [400, 401, 403, 404].includes(status) }).toEqual({
          head: head.split('\r\n')[0],
          status,
          ok: true,
        });
        expectNoneOf(text, idsB);
      }
    });
  });

  it('logged no credential it used', () => {
    expectNoCredentialLogged(app, secrets);
  });
});
