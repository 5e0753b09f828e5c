/**
 * Security, tenancy (issue 8, cases 1–4): another organization's sessions, calls and figures are
 * neither readable nor writable, whatever the route, header or list form, and a soft-deleted
 * session is gone everywhere.
 * Each test asserts what the client gets and what the database holds afterwards; organizations A
 * and B are seeded alike (see security-fixtures.ts). Fuzzing of every operation is in
 * security-fuzz.e2e-spec.ts.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { InjectOptions } from 'light-my-request';
import { expectProblem, type TestApp } from '../support/test-app';
import {
  ask,
  flushRecorder,
  type Gateway,
  interactionRows,
  SESSIONS,
  sessionRows,
  sessionWithCalls,
  type Team,
  TASKS,
} from '../support/sessions-fixtures';
import { orgHeader } from '../support/tenancy-fixtures';
import {
  ANALYTICS,
  expectNoneOf,
  MESSAGES,
  member,
  orgSnapshot,
  owner,
  SHARED_EXTERNAL_ID,
  expectNoCredentialLogged,
  setUpTwoOrganizations,
} from '../support/security-fixtures';

describe('security: tenancy (cases 1–4)', () => {
  let gateway: Gateway;
  let app: TestApp;
  let a: Team;
  let b: Team;
  let clientA: Anthropic;
  let sessionA: string;
  let sessionB: string;
  let idsB: string[];
  let secrets: Set<string>;

  beforeAll(async () => {
    ({ gateway, app, a, b, clientA, sessionA, sessionB, idsB, secrets } = await setUpTwoOrganizations());
  });

  afterAll(async () => {
    await gateway.close();
  });

  describe('case 1: cross-organization read and write on B’s session → 404, B unchanged', () => {
    const routes: [string, InjectOptions['method'], (id: string) => string, Record<string, unknown> | undefined][] = [
      ['get', 'GET', (id) => `${SESSIONS}/${id}`, undefined],
      ['patch', 'PATCH', (id) => `${SESSIONS}/${id}`, { title: 'hijacked', tokenBudget: 1 }],
      ['delete', 'DELETE', (id) => `${SESSIONS}/${id}`, undefined],
      ['history', 'GET', (id) => `${SESSIONS}/${id}/history`, undefined],
      ['events', 'GET', (id) => `${SESSIONS}/${id}/events`, undefined],
      ['export (jsonl)', 'GET', (id) => `${SESSIONS}/${id}/export?format=jsonl`, undefined],
      ['export (csv)', 'GET', (id) => `${SESSIONS}/${id}/export?format=csv`, undefined],
      ['release', 'POST', (id) => `${SESSIONS}/${id}/release`, undefined],
      ['restore', 'POST', (id) => `${SESSIONS}/${id}/restore`, undefined],
      ['analytics session', 'GET', (id) => `${ANALYTICS}/sessions/${id}`, undefined],
      ['share (create)', 'POST', (id) => `${ANALYTICS}/sessions/${id}/share`, { include_content: true }],
      ['share (status)', 'GET', (id) => `${ANALYTICS}/sessions/${id}/share`, undefined],
      ['share (remove)', 'DELETE', (id) => `${ANALYTICS}/sessions/${id}/share`, undefined],
    ];

    it.each(routes)(
      '%s by B’s UUID, as A’s member, A’s owner and A’s API key → 404, B unchanged',
      async (name, method, url, payload) => {
        const before = await orgSnapshot(app, b.organizationId);
        for (const headers of [member(a), owner(a), { 'x-lamplight-api-key': a.key }]) {
          const response = await app.request({ method, url: url(sessionB), headers, ...(payload ? { payload } : {}) });
          // Restore is for admins: a member or an API key is refused by role before any lookup (the same 403 for any id).
          const refusedByRole =
            name === 'restore' &&
            headers !== owner(a) &&
            !('authorization' in headers && headers.authorization === a.owner.auth.authorization);
          const problem = expectProblem(response, refusedByRole ? 403 : 404);
          if (!refusedByRole) expect(problem.code).toMatch(/NOT_FOUND/);
          expectNoneOf(response.body, idsB);
        }
        expect(await orgSnapshot(app, b.organizationId)).toBe(before);
      },
    );

    it('by the shared external id, A acts on its own session only; B’s stays as it was', async () => {
      const before = await orgSnapshot(app, b.organizationId);
      const got = await app.request({ method: 'GET', url: `${SESSIONS}/${SHARED_EXTERNAL_ID}`, headers: member(a) });
      expect(got.statusCode).toBe(200);
      expect(got.json()).toMatchObject({ id: sessionA, organization: a.organizationId });
      const history = await app.request({
        method: 'GET',
        url: `${SESSIONS}/${SHARED_EXTERNAL_ID}/history`,
        headers: member(a),
      });
      expect(history.statusCode).toBe(200);
      expectNoneOf(history.body, idsB);
      expect(await orgSnapshot(app, b.organizationId)).toBe(before);
    });
  });

  describe('case 2: header spoofing → 403, never B’s data', () => {
    const routes: [string, InjectOptions['method'], string][] = [
      ['sessions list', 'GET', SESSIONS],
      ['session', 'GET', `${SESSIONS}/${SHARED_EXTERNAL_ID}`],
      ['analytics tokens', 'GET', `${ANALYTICS}/tokens`],
      ['analytics sessions', 'GET', `${ANALYTICS}/sessions`],
      ['analytics usage summary', 'GET', `${ANALYTICS}/usage-summary`],
      ['api keys', 'GET', '/api/v1/api-keys'],
    ];

    it.each(routes)('%s: A’s member naming B’s organization → 403', async (_name, method, url) => {
      const response = await app.request({
        method,
        url,
        headers: { ...a.member.auth, ...orgHeader(b.organizationId) },
      });
      expectProblem(response, 403);
      expectNoneOf(response.body, idsB);
    });

    it.each(routes.filter(([name]) => name !== 'api keys'))(
      '%s: A’s API key with B’s header → 403',
      async (_name, method, url) => {
        const response = await app.request({
          method,
          url,
          headers: { 'x-lamplight-api-key': a.key, ...orgHeader(b.organizationId) },
        });
        expectProblem(response, 403);
        expectNoneOf(response.body, idsB);
      },
    );

    it('over HTTP on the sessions and analytics routes: A’s key (every header form) with B’s header → 403 problem', async () => {
      for (const path of [
        SESSIONS,
        `${SESSIONS}/${SHARED_EXTERNAL_ID}`,
        `${ANALYTICS}/tokens`,
        `${ANALYTICS}/sessions`,
        `${ANALYTICS}/sessions/${sessionB}`,
      ]) {
        for (const credential of [
          { 'x-lamplight-api-key': a.key },
          { 'x-shinzo-api-key': a.key },
          { authorization: `Bearer ${a.key}` },
        ]) {
          const response = await fetch(`${gateway.baseURL}${path}`, {
            headers: { ...credential, ...orgHeader(b.organizationId) },
          });
          const text = await response.text();
          expect({ path, status: response.status }).toEqual({ path, status: 403 });
          expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          expectNoneOf(text, idsB);
        }
      }
    });

    it('over HTTP on the proxy: A’s key or A’s JWT with B’s header → 403 permission_error; nothing goes upstream or is recorded', async () => {
      const before = await orgSnapshot(app, b.organizationId);
      const upstreamBefore = gateway.mock.requests.length;
      for (const credential of [{ 'x-api-key': a.key }, { authorization: `Bearer ${a.key}` }, a.member.auth]) {
        const response = await fetch(`${gateway.baseURL}${MESSAGES}`, {
          method: 'POST',
          headers: {
            ...credential,
            ...orgHeader(b.organizationId),
            'content-type': 'application/json',
            'anthropic-version': '2023-06-01',
            'x-lamplight-session-id': SHARED_EXTERNAL_ID,
          },
          body: JSON.stringify({
            model: 'claude-sonnet-4-6',
            max_tokens: 8,
            messages: [{ role: 'user', content: 'hi' }],
          }),
        });
        const text = await response.text();
        expect(response.status).toBe(403);
        expect(JSON.parse(text)).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
        expectNoneOf(text, idsB);
      }
      await flushRecorder(gateway);
      expect(gateway.mock.requests.length).toBe(upstreamBefore);
      expect(await orgSnapshot(app, b.organizationId)).toBe(before);
    });
  });

  describe('case 3: lists, counts, aggregates and exports hold the caller’s rows only', () => {
    it('sessions list (cursor and offset forms): only A’s sessions, and totalCount counts A’s only', async () => {
      const [{ n }] = await app.sql<{ n: string }>(
        'select count(*)::text as n from sessions where organization_id = $1 and deleted_at is null',
        [a.organizationId],
      );
      for (const url of [SESSIONS, `${SESSIONS}?offset=0&limit=500`]) {
        const response = await app.request({ method: 'GET', url, headers: member(a) });
        expect(response.statusCode).toBe(200);
        const body = response.json();
        expect(body.data.length).toBe(Number(n));
        for (const item of body.data) expect(item.organization).toBe(a.organizationId);
        if ('totalCount' in body) expect(body.totalCount).toBe(Number(n));
        expectNoneOf(response.body, idsB);
      }
    });

    it('analytics: tokens, usage summary and the sessions list equal A’s own figures in the database', async () => {
      const [sums] = await app.sql<{ requests: string; input: string; output: string }>(
        `select count(*)::text as requests, sum(input_tokens)::text as input, sum(output_tokens)::text as output
         from interactions where organization_id = $1`,
        [a.organizationId],
      );
      const tokens = await app.request({ method: 'GET', url: `${ANALYTICS}/tokens`, headers: member(a) });
      expect(tokens.statusCode).toBe(200);
      expectNoneOf(tokens.body, idsB);
      const text = tokens.body;
      // The figures are A's alone: B made exactly the same calls, so any mix-up would double them.
      expect(text).toContain(`"input_tokens":${sums.input}`);
      expect(text).toContain(`"output_tokens":${sums.output}`);

      const summary = await app.request({ method: 'GET', url: `${ANALYTICS}/usage-summary`, headers: member(a) });
      expect(summary.statusCode).toBe(200);
      expectNoneOf(summary.body, idsB);

      const sessions = await app.request({ method: 'GET', url: `${ANALYTICS}/sessions?limit=100`, headers: member(a) });
      expect(sessions.statusCode).toBe(200);
      expectNoneOf(sessions.body, idsB);
      expect(sessions.body).toContain(sessionA);
      const one = await app.request({
        method: 'GET',
        url: `${ANALYTICS}/sessions/${SHARED_EXTERNAL_ID}`,
        headers: member(a),
      });
      expect(one.statusCode).toBe(200);
      expect(one.body).toContain(sessionA);
      expectNoneOf(one.body, idsB);
    });

    it('exports of the shared external id hold A’s calls only', async () => {
      const calls = (await interactionRows(gateway, sessionA, 2)).map((row) => row.id as string);
      for (const format of ['jsonl', 'csv']) {
        const response = await app.request({
          method: 'GET',
          url: `${SESSIONS}/${SHARED_EXTERNAL_ID}/export?format=${format}`,
          headers: member(a),
        });
        expect(response.statusCode).toBe(200);
        for (const id of calls) expect(response.body).toContain(id);
        expectNoneOf(response.body, idsB);
      }
      const events = await app.request({
        method: 'GET',
        url: `${SESSIONS}/${SHARED_EXTERNAL_ID}/events?limit=100`,
        headers: member(a),
      });
      expect(events.statusCode).toBe(200);
      expectNoneOf(events.body, idsB);
    });
  });

  describe('case 4: a soft-deleted session is 404 or absent everywhere', () => {
    let doomed: string;
    let token: string;
    let taskId: string;

    beforeAll(async () => {
      const row = await sessionWithCalls(gateway, clientA, a.organizationId, 'doomed', ['to be deleted']);
      doomed = row.id;
      taskId = (await interactionRows(gateway, doomed, 1))[0].id;
      const share = await app.request({
        method: 'POST',
        url: `${ANALYTICS}/sessions/${doomed}/share`,
        headers: owner(a),
        payload: {},
      });
      token = share.json().share_token;
      expect((await app.request({ method: 'GET', url: `${ANALYTICS}/sessions/shared/${token}` })).statusCode).toBe(200);
      expect((await app.request({ method: 'GET', url: `${TASKS}/${taskId}`, headers: member(a) })).statusCode).toBe(
        200,
      );
      const deleted = await app.request({ method: 'DELETE', url: `${SESSIONS}/${doomed}`, headers: owner(a) });
      expect(deleted.statusCode).toBe(204);
    });

    it('is marked deleted in the database, with who deleted it', async () => {
      const [row] = await app.sql<{ deleted_at: Date | null; deleted_by_id: string }>(
        'select deleted_at, deleted_by_id from sessions where id = $1',
        [doomed],
      );
      expect(row.deleted_at).toBeInstanceOf(Date);
      expect(row.deleted_by_id).toBe(a.owner.id);
    });

    it.each([
      ['get', (id: string) => `${SESSIONS}/${id}`],
      ['get by external id', () => `${SESSIONS}/doomed`],
      ['history', (id: string) => `${SESSIONS}/${id}/history`],
      ['events', (id: string) => `${SESSIONS}/${id}/events`],
      ['export', (id: string) => `${SESSIONS}/${id}/export`],
      ['analytics session', (id: string) => `${ANALYTICS}/sessions/${id}`],
      ['share status', (id: string) => `${ANALYTICS}/sessions/${id}/share`],
    ])('%s → 404', async (_name, url) => {
      expectProblem(await app.request({ method: 'GET', url: url(doomed), headers: owner(a) }), 404);
    });

    it('is absent from the sessions list and the analytics sessions list', async () => {
      for (const url of [`${SESSIONS}?limit=500`, `${SESSIONS}?offset=0`, `${ANALYTICS}/sessions?limit=100`]) {
        const response = await app.request({ method: 'GET', url, headers: member(a) });
        expect(response.statusCode).toBe(200);
        expect(response.body).not.toContain(doomed);
      }
    });

    it('its share link answers 404 (JSON and page) and its calls are not reachable as tasks', async () => {
      expectProblem(await app.request({ method: 'GET', url: `${ANALYTICS}/sessions/shared/${token}` }), 404);
      const page = await app.request({ method: 'GET', url: `/shared/${token}` });
      expect(page.statusCode).toBe(404);
      expect(page.body).not.toContain(doomed);
      expectProblem(await app.request({ method: 'GET', url: `${TASKS}/${taskId}`, headers: member(a) }), 404);
    });

    it('a new call with its external id opens a new session instead of reviving it', async () => {
      await ask(clientA, 'doomed', 'again');
      await flushRecorder(gateway);
      const rows = await sessionRows(gateway, a.organizationId, 'doomed');
      expect(rows.length).toBe(2);
      expect(rows.find((r) => r.id === doomed)?.deleted_at).toBeInstanceOf(Date);
      expect(rows.find((r) => r.id !== doomed)?.deleted_at).toBeNull();
    });
  });

  it('logged no credential it used', () => {
    expectNoCredentialLogged(app, secrets);
  });
});
