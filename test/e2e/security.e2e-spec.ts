/**
 * Issue 8, security cases 1–13: one `describe` per case, each asserting what the client gets and
 * what the database holds afterwards. Organizations A and B are seeded alike (the same external
 * ids, titles and calls), so any leak between them shows up as one of B's ids in A's answers.
 * Case 21 (fuzzing) is in security-fuzz.e2e-spec.ts.
 */
import type Anthropic from '@anthropic-ai/sdk';
import jwt from 'jsonwebtoken';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import type { InjectOptions, Response as InjectResponse } from 'light-my-request';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import {
  createApiKey,
  expectProblem,
  registerUser,
  startTestApp,
  TEST_JWT_SECRET,
  invalidationReceived,
  type TestApp,
  type TestUser,
} from '../support/test-app';
import { addMember, createOrganization, createProviderKey, fakeAnthropicKey, orgHeader, snapshotTables } from '../support/tenancy-fixtures';
import {
  ask,
  createTeam,
  flushRecorder,
  type Gateway,
  interactionRows,
  PROVIDER_KEY,
  sdk,
  SESSIONS,
  sessionRows,
  sessionWithCalls,
  startGateway,
  type Team,
  TASKS,
} from '../support/sessions-fixtures';

const ANALYTICS = '/spotlight/analytics';
const MESSAGES = '/spotlight/anthropic/v1/messages';
const SHARED_EXTERNAL_ID = 'same-external-id';
const SHARED_TITLE = 'Exactly the same title';

/** Everything of one organization, to prove a refused request changed nothing. */
async function orgSnapshot(app: TestApp, organizationId: string): Promise<string> {
  const parts: unknown[] = [];
  for (const [table, order] of [
    ['sessions', 'id'],
    ['interactions', 'id'],
    ['share_links', 'id'],
    ['usage_hourly', 'hour, model'],
    ['usage_daily', 'day, model'],
    ['api_keys', 'id'],
    ['provider_keys', 'id'],
    ['memberships', 'id'],
  ] as const) {
    const rows = await app.sql(`select * from "${table}" where organization_id = $1 order by ${order}`, [organizationId]);
    parts.push(rows.map(({ last_used_at: _moves, ...rest }: Record<string, unknown>) => rest));
  }
  parts.push(await app.sql('select * from organizations where id = $1', [organizationId]));
  return JSON.stringify(parts);
}

/** Every id of an organization a response could leak: the org, its users, sessions, calls, keys, links. */
async function idsOf(app: TestApp, organizationId: string): Promise<string[]> {
  const rows = await app.sql<{ id: string }>(
    `select $1::uuid::text as id
     union select user_id::text from memberships where organization_id = $1
     union select id::text from sessions where organization_id = $1
     union select id::text from interactions where organization_id = $1
     union select id::text from api_keys where organization_id = $1
     union select id::text from provider_keys where organization_id = $1
     union select id::text from share_links where organization_id = $1`,
    [organizationId],
  );
  return rows.map((r) => r.id);
}

function expectNoneOf(body: string, ids: string[]): void {
  const leaked = ids.filter((id) => body.toLowerCase().includes(id.toLowerCase()));
  expect(leaked).toEqual([]);
}

/** A raw HTTP/1.1 exchange, for request targets and Host values no client library would send. */
function rawRequest(baseURL: string, head: string): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(baseURL);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(`${head}\r\nconnection: close\r\n\r\n`));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text }));
  });
}

describe('security (issue 8, cases 1–13)', () => {
  let gateway: Gateway;
  let app: TestApp;
  let a: Team;
  let b: Team;
  let clientA: Anthropic;
  let clientB: Anthropic;
  /** A's and B's sessions with the same external id (and title). */
  let sessionA: string;
  let sessionB: string;
  let shareTokenB: string;
  let idsB: string[];
  /** Every credential the suite uses, checked against the log in case 8. */
  const secrets = new Set<string>();
  const member = (team: Team) => ({ ...team.member.auth, ...team.orgHeaders });
  const owner = (team: Team) => ({ ...team.owner.auth, ...team.orgHeaders });

  beforeAll(async () => {
    gateway = await startGateway({ LOGIN_RATE_LIMIT_PER_IP: '10000', LOGIN_RATE_LIMIT_PER_ACCOUNT: '10000' });
    app = gateway.app;
    a = await createTeam(gateway, 'Alpha');
    b = await createTeam(gateway, 'Beta');
    clientA = sdk(gateway, { key: a.key });
    clientB = sdk(gateway, { key: b.key });
    const rowA = await sessionWithCalls(gateway, clientA, a.organizationId, SHARED_EXTERNAL_ID, ['first', 'second']);
    const rowB = await sessionWithCalls(gateway, clientB, b.organizationId, SHARED_EXTERNAL_ID, ['first', 'second']);
    sessionA = rowA.id;
    sessionB = rowB.id;
    // Identical times too: B's session and calls get A's timestamps.
    await app.sql(
      `update sessions s set created_at = a.created_at, last_activity_at = a.last_activity_at from sessions a where a.id = $1 and s.id = $2`,
      [sessionA, sessionB],
    );
    for (const team of [a, b]) {
      const patched = await app.request({ method: 'PATCH', url: `${SESSIONS}/${SHARED_EXTERNAL_ID}`, headers: owner(team), payload: { title: SHARED_TITLE } });
      expect(patched.statusCode).toBe(200);
    }
    const share = await app.request({ method: 'POST', url: `${ANALYTICS}/sessions/${sessionB}/share`, headers: owner(b), payload: { include_content: true } });
    expect(share.statusCode).toBe(201);
    shareTokenB = share.json().share_token;
    idsB = await idsOf(app, b.organizationId);
    for (const team of [a, b]) for (const secret of [team.key, team.owner.token, team.admin.token, team.member.token]) secrets.add(secret);
    secrets.add(PROVIDER_KEY);
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

    it.each(routes)('%s by B’s UUID, as A’s member, A’s owner and A’s API key → 404, B unchanged', async (name, method, url, payload) => {
      const before = await orgSnapshot(app, b.organizationId);
      for (const headers of [member(a), owner(a), { 'x-lamplight-api-key': a.key }]) {
        const response = await app.request({ method, url: url(sessionB), headers, ...(payload ? { payload } : {}) });
        // Restore is for admins: a member or an API key is refused by role before any lookup (the same 403 for any id).
        const refusedByRole = name === 'restore' && headers !== owner(a) && !('authorization' in headers && headers.authorization === a.owner.auth.authorization);
        const problem = expectProblem(response, refusedByRole ? 403 : 404);
        if (!refusedByRole) expect(problem.code).toMatch(/NOT_FOUND/);
        expectNoneOf(response.body, idsB);
      }
      expect(await orgSnapshot(app, b.organizationId)).toBe(before);
    });

    it('by the shared external id, A acts on its own session only; B’s stays as it was', async () => {
      const before = await orgSnapshot(app, b.organizationId);
      const got = await app.request({ method: 'GET', url: `${SESSIONS}/${SHARED_EXTERNAL_ID}`, headers: member(a) });
      expect(got.statusCode).toBe(200);
      expect(got.json()).toMatchObject({ id: sessionA, organization: a.organizationId });
      const history = await app.request({ method: 'GET', url: `${SESSIONS}/${SHARED_EXTERNAL_ID}/history`, headers: member(a) });
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
      const response = await app.request({ method, url, headers: { ...a.member.auth, ...orgHeader(b.organizationId) } });
      expectProblem(response, 403);
      expectNoneOf(response.body, idsB);
    });

    it.each(routes.filter(([name]) => name !== 'api keys'))('%s: A’s API key with B’s header → 403', async (_name, method, url) => {
      const response = await app.request({ method, url, headers: { 'x-lamplight-api-key': a.key, ...orgHeader(b.organizationId) } });
      expectProblem(response, 403);
      expectNoneOf(response.body, idsB);
    });

    it('over HTTP on the sessions and analytics routes: A’s key (every header form) with B’s header → 403 problem', async () => {
      for (const path of [SESSIONS, `${SESSIONS}/${SHARED_EXTERNAL_ID}`, `${ANALYTICS}/tokens`, `${ANALYTICS}/sessions`, `${ANALYTICS}/sessions/${sessionB}`]) {
        for (const credential of [{ 'x-lamplight-api-key': a.key }, { 'x-shinzo-api-key': a.key }, { authorization: `Bearer ${a.key}` }]) {
          const response = await fetch(`${gateway.baseURL}${path}`, { headers: { ...credential, ...orgHeader(b.organizationId) } });
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
          headers: { ...credential, ...orgHeader(b.organizationId), 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-lamplight-session-id': SHARED_EXTERNAL_ID },
          body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
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
      const [{ n }] = await app.sql<{ n: string }>('select count(*)::text as n from sessions where organization_id = $1 and deleted_at is null', [a.organizationId]);
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
      const one = await app.request({ method: 'GET', url: `${ANALYTICS}/sessions/${SHARED_EXTERNAL_ID}`, headers: member(a) });
      expect(one.statusCode).toBe(200);
      expect(one.body).toContain(sessionA);
      expectNoneOf(one.body, idsB);
    });

    it('exports of the shared external id hold A’s calls only', async () => {
      const calls = (await interactionRows(gateway, sessionA, 2)).map((row) => row.id as string);
      for (const format of ['jsonl', 'csv']) {
        const response = await app.request({ method: 'GET', url: `${SESSIONS}/${SHARED_EXTERNAL_ID}/export?format=${format}`, headers: member(a) });
        expect(response.statusCode).toBe(200);
        for (const id of calls) expect(response.body).toContain(id);
        expectNoneOf(response.body, idsB);
      }
      const events = await app.request({ method: 'GET', url: `${SESSIONS}/${SHARED_EXTERNAL_ID}/events?limit=100`, headers: member(a) });
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
      const share = await app.request({ method: 'POST', url: `${ANALYTICS}/sessions/${doomed}/share`, headers: owner(a), payload: {} });
      token = share.json().share_token;
      expect((await app.request({ method: 'GET', url: `${ANALYTICS}/sessions/shared/${token}` })).statusCode).toBe(200);
      expect((await app.request({ method: 'GET', url: `${TASKS}/${taskId}`, headers: member(a) })).statusCode).toBe(200);
      const deleted = await app.request({ method: 'DELETE', url: `${SESSIONS}/${doomed}`, headers: owner(a) });
      expect(deleted.statusCode).toBe(204);
    });

    it('is marked deleted in the database, with who deleted it', async () => {
      const [row] = await app.sql<{ deleted_at: Date | null; deleted_by_id: string }>('select deleted_at, deleted_by_id from sessions where id = $1', [doomed]);
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

  describe('case 5: share tokens', () => {
    const lookup = (token: string, remoteAddress = '198.51.100.1') => app.request({ method: 'GET', url: `${ANALYTICS}/sessions/shared/${token}`, remoteAddress });
    const page = (token: string, remoteAddress = '198.51.100.1') => app.request({ method: 'GET', url: `/shared/${token}`, remoteAddress });

    it('random, tampered, truncated, extended and oddly-cased tokens → the same 404', async () => {
      const base = shareTokenB;
      const last = base.at(-1)!;
      const tampered = [
        `shr_${randomBytes(24).toString('base64url')}`,
        `${base.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`,
        base.slice(0, -1),
        `${base}A`,
        base.toUpperCase() === base ? base.toLowerCase() : base.toUpperCase(),
        base.replace('shr_', ''),
        `${base}%00`,
        encodeURIComponent(`${base}' or '1'='1`),
      ];
      for (const token of tampered) {
        const json = await lookup(token);
        expectProblem(json, 404);
        expect((await page(token)).statusCode).toBe(404);
      }
      expect((await lookup(base)).statusCode).toBe(200);
    });

    it('a removed link and an expired link → 404; the rows say why', async () => {
      const row = await sessionWithCalls(gateway, clientA, a.organizationId, 'share-lifecycle', ['x']);
      const create = () => app.request({ method: 'POST', url: `${ANALYTICS}/sessions/${row.id}/share`, headers: owner(a), payload: {} });
      const first = (await create()).json().share_token as string;
      expect((await lookup(first)).statusCode).toBe(200);
      expect((await app.request({ method: 'DELETE', url: `${ANALYTICS}/sessions/${row.id}/share`, headers: owner(a) })).statusCode).toBe(200);
      expectProblem(await lookup(first), 404);
      expect((await page(first)).statusCode).toBe(404);
      const [removed] = await app.sql<{ revoked_at: Date | null }>(`select revoked_at from share_links where token_digest = encode(sha256(convert_to($1::text, 'UTF8')), 'hex')`, [first]);
      expect(removed.revoked_at).toBeInstanceOf(Date);

      const second = (await create()).json().share_token as string;
      expect(second).not.toBe(first);
      expect((await lookup(second)).statusCode).toBe(200);
      await app.sql(`update share_links set expires_at = now() - interval '1 second' where token_digest = encode(sha256(convert_to($1::text, 'UTF8')), 'hex')`, [second]);
      expectProblem(await lookup(second), 404);
      expect((await page(second)).statusCode).toBe(404);
    });

    it('the public payload carries no organization, user, key or interaction ids', async () => {
      const forbidden = (await idsOf(app, b.organizationId)).filter((id) => id !== shareTokenB && id !== sessionB);
      for (const response of [await lookup(shareTokenB), await page(shareTokenB)]) {
        expect(response.statusCode).toBe(200);
        expectNoneOf(response.body, forbidden);
        expect(response.body).not.toMatch(/organization_?id|user_?id|api_?key_?id|"organization"/i);
      }
    });

    it('tokens are shr_ + at least 128 CSPRNG bits: 200 tokens, all distinct, every bit position balanced', async () => {
      const ids = await app.sql<{ id: string }>(
        `insert into sessions (id, created_at, organization_id, user_id, external_id, device, last_activity_at)
         select gen_random_uuid(), now(), $1, $2, 'entropy-' || n, '{}'::jsonb, now() from generate_series(1, 200) n returning id`,
        [a.organizationId, a.owner.id],
      );
      const tokens: string[] = [];
      for (const { id } of ids) {
        const response = await app.request({ method: 'POST', url: `${ANALYTICS}/sessions/${id}/share`, headers: owner(a), payload: {} });
        expect(response.statusCode).toBe(201);
        tokens.push(response.json().share_token);
      }
      expect(new Set(tokens).size).toBe(tokens.length);
      const bodies = tokens.map((t) => {
        expect(t).toMatch(/^shr_[A-Za-z0-9_-]+$/);
        return Buffer.from(t.slice(4), 'base64url');
      });
      const bits = Math.min(...bodies.map((b) => b.length)) * 8;
      expect(bits).toBeGreaterThanOrEqual(128);
      // Each bit is set in about half the tokens (200 samples: mean 100, sd ~7; a fixed or counter bit fails).
      for (let bit = 0; bit < bits; bit++) {
        const ones = bodies.filter((body) => (body[bit >> 3] >> (7 - (bit & 7))) & 1).length;
        expect({ bit, ones, ok: ones > 55 && ones < 145 }).toEqual({ bit, ones, ok: true });
      }
      // And no shared prefixes, as a counter or a time-based token would have.
      expect(new Set(tokens.map((t) => t.slice(0, 10))).size).toBe(tokens.length);
    });

    it('guessing is rate-limited per address (429 with retry-after), the JSON view and the page alike', async () => {
      const address = '192.0.2.77';
      let limited: InjectResponse | undefined;
      for (let i = 0; i < 200 && !limited; i++) {
        const guess = `shr_${randomBytes(24).toString('base64url')}`;
        const response = await (i % 2 ? page(guess, address) : lookup(guess, address));
        if (response.statusCode === 429) limited = response;
        else expect(response.statusCode).toBe(404);
      }
      expect(limited).toBeDefined();
      expect(Number(limited!.headers['retry-after'])).toBeGreaterThan(0);
      // Even the right token is refused from that address now; another address is unaffected.
      expect((await lookup(shareTokenB, address)).statusCode).toBe(429);
      expect((await lookup(shareTokenB, '192.0.2.78')).statusCode).toBe(200);
    });
  });

  describe('case 6: platform API keys', () => {
    let second: TestApp;
    beforeAll(async () => {
      // A second instance of the app on the same database, as behind a load balancer.
      second = await startTestApp({ ANTHROPIC_BASE_URL: gateway.mock.url });
    });
    afterAll(async () => {
      await second.close();
    });
    const me = (target: TestApp, key: string) => target.request({ method: 'GET', url: '/api/v1/auth/me', headers: { 'x-lamplight-api-key': key } });

    it('wrong, revoked, expired, deleted-organization keys and the stored digest → 401 on both instances', async () => {
      const fresh = await createApiKey(app, a.owner, { name: 'soon revoked' });
      const expiring = await createApiKey(app, a.owner, { name: 'soon expired' });
      const otherOwner = await registerUser(app, 'Doomed Org Owner');
      const doomedOrg = await createOrganization(app, otherOwner, { name: 'Doomed' });
      const orphan = await createApiKey(app, otherOwner, { name: 'orphan' }, doomedOrg.id);
      for (const k of [fresh, expiring, orphan]) {
        secrets.add(k.key);
        expect((await me(app, k.key)).statusCode).toBe(200);
      }
      expect((await app.request({ method: 'DELETE', url: `/api/v1/api-keys/${fresh.id}`, headers: owner(a) })).statusCode).toBe(204);
      await app.sql(`update api_keys set expires_at = now() - interval '1 second' where id = $1`, [expiring.id]);
      expect((await app.request({ method: 'DELETE', url: `/api/v1/organizations/${doomedOrg.id}`, headers: otherOwner.auth })).statusCode).toBe(204);
      const [{ digest }] = await app.sql<{ digest: string }>('select digest from api_keys where id = $1', [fresh.id]);
      const [{ digest: liveDigest }] = await app.sql<{ digest: string }>(`select digest from api_keys where organization_id = $1 and revoked_at is null limit 1`, [a.organizationId]);
      const refused = [
        `lmp_${randomBytes(24).toString('base64url').slice(0, 32)}`,
        `${a.key.slice(0, -1)}${a.key.endsWith('A') ? 'B' : 'A'}`,
        fresh.key,
        expiring.key,
        orphan.key,
        digest,
        liveDigest,
        `lmp_${liveDigest}`,
      ];
      for (const target of [app, second]) {
        for (const key of refused) {
          expectProblem(await me(target, key), 401, 'UNAUTHENTICATED');
          const proxied = await target.request({ method: 'POST', url: MESSAGES, headers: { 'x-api-key': key, 'content-type': 'application/json' }, payload: { model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] } });
          expect(proxied.statusCode).toBe(401);
          expect(proxied.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
        }
      }
      const [row] = await app.sql<{ revoked_at: Date | null }>('select revoked_at from api_keys where id = $1', [fresh.id]);
      expect(row.revoked_at).toBeInstanceOf(Date);
    });

    it('revocation through instance 1 takes effect at once on instance 2 (the proxy: once its notification is in)', async () => {
      const key = await createApiKey(app, a.owner, { name: 'two instances' });
      secrets.add(key.key);
      const calls = (target: TestApp) => [
        me(target, key.key),
        target.request({ method: 'GET', url: SESSIONS, headers: { 'x-lamplight-api-key': key.key } }),
        target.request({ method: 'GET', url: `${ANALYTICS}/tokens`, headers: { authorization: `Bearer ${key.key}` } }),
      ];
      // Warm whatever the instances may cache, several times over.
      for (let i = 0; i < 3; i++) {
        for (const target of [app, second]) for (const response of await Promise.all(calls(target))) expect(response.statusCode).toBe(200);
      }
      const upstreamBefore = gateway.mock.requests.length;
      const ok = await fetch(`${gateway.baseURL}${MESSAGES}`, { method: 'POST', headers: { 'x-api-key': key.key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }) });
      expect(ok.status).toBe(200);
      await ok.text();

      const notified = invalidationReceived(second, 'api-key', key.id);
      expect((await app.request({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}`, headers: owner(a) })).statusCode).toBe(204);
      // The API reads the key on every request: refused at once, without any notification.
      for (const response of await Promise.all(calls(second))) expectProblem(response, 401, 'UNAUTHENTICATED');
      // The proxy's hot path may answer from memory until the revocation's notification (sent on commit) is in.
      await notified;
      const proxied = await second.request({ method: 'POST', url: MESSAGES, headers: { 'x-api-key': key.key, 'content-type': 'application/json' }, payload: { model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] } });
      expect(proxied.statusCode).toBe(401);
      for (const response of await Promise.all(calls(app))) expectProblem(response, 401, 'UNAUTHENTICATED');
      expect(gateway.mock.requests.length).toBe(upstreamBefore + 1);
    });
  });

  describe('case 7: stored provider keys', () => {
    const call = (target: TestApp, headers: Record<string, string>) =>
      target.request({
        method: 'POST',
        url: MESSAGES,
        headers: { ...headers, 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-lamplight-session-id': 'kek-check' },
        payload: { model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] },
      });

    /** What a client must get when the stored key cannot be read: a safe, clear 500 api_error. */
    function expectUnreadable(response: InjectResponse, plaintext: string, ciphertext: string): void {
      expect(response.statusCode).toBe(500);
      const body = response.json();
      expect(body).toMatchObject({ type: 'error', error: { type: 'api_error', message: expect.stringMatching(/stored provider key could not be decrypted/i) } });
      for (const secret of [plaintext, plaintext.slice(-8), ciphertext, ciphertext.slice(3, 20)]) expect(response.body).not.toContain(secret);
      expect(response.body).not.toMatch(/\bat .+\.(ts|js):\d+|aes|gcm|auth tag|ENCRYPTION_KEY/i);
    }

    async function orgWithKey(name: string): Promise<{ owner: TestUser; organizationId: string; keyId: string; plaintext: string; ciphertext: string }> {
      const user = await registerUser(app, name);
      const plaintext = fakeAnthropicKey();
      secrets.add(plaintext);
      secrets.add(user.token);
      const created = await createProviderKey(app, user, { name: 'main', key: plaintext });
      const [{ ciphertext }] = await app.sql<{ ciphertext: string }>('select ciphertext from provider_keys where id = $1', [created.id]);
      return { owner: user, organizationId: user.organizationId, keyId: created.id, plaintext, ciphertext };
    }

    it('responses show the last 4 characters only; the column is versioned ciphertext, not the plaintext', async () => {
      const org = await orgWithKey('Cipher Owner');
      const list = await app.request({ method: 'GET', url: '/api/v1/provider-keys', headers: org.owner.auth });
      expect(list.statusCode).toBe(200);
      expect(list.json().data ?? list.json()).toEqual(expect.arrayContaining([expect.objectContaining({ id: org.keyId, last4: org.plaintext.slice(-4) })]));
      expect(list.body).not.toContain(org.plaintext.slice(0, -4));
      expect(org.ciphertext).toMatch(/^v1:[A-Za-z0-9+/=]+$/);
      expect(org.ciphertext).not.toContain(org.plaintext);
      expect(Buffer.from(org.ciphertext.slice(3), 'base64').toString('latin1')).not.toContain(org.plaintext.slice(7, 20));
      const [row] = await app.sql<Record<string, unknown>>('select * from provider_keys where id = $1', [org.keyId]);
      expect(JSON.stringify(row)).not.toContain(org.plaintext);
      // It works as it is: the upstream receives exactly the plaintext.
      const ok = await call(app, org.owner.auth);
      expect(ok.statusCode).toBe(200);
      expect(gateway.mock.requests.at(-1)?.apiKey).toBe(org.plaintext);
    });

    it('a flipped bit → 500 api_error with a clear, safe message; nothing goes upstream; the error is logged without secrets', async () => {
      const org = await orgWithKey('Flipped Owner');
      const raw = Buffer.from(org.ciphertext.slice(3), 'base64');
      raw[raw.length - 1] ^= 0x01;
      const flipped = `v1:${raw.toString('base64')}`;
      await app.sql('update provider_keys set ciphertext = $1 where id = $2', [flipped, org.keyId]);
      const upstreamBefore = gateway.mock.requests.length;
      const logsBefore = app.logs.length;
      expectUnreadable(await call(app, org.owner.auth), org.plaintext, flipped);
      expect(gateway.mock.requests.length).toBe(upstreamBefore);
      const logged = app.logs.slice(logsBefore).join('\n');
      expect(logged).toContain(org.keyId);
      expect(logged).toMatch(/could not be decrypted/);
      expect(logged).not.toContain(flipped);
      expect(logged).not.toContain(org.plaintext);
      const [row] = await app.sql<{ ciphertext: string }>('select ciphertext from provider_keys where id = $1', [org.keyId]);
      expect(row.ciphertext).toBe(flipped);
    });

    it('a ciphertext copied into another organization’s row fails to decrypt there', async () => {
      const source = await orgWithKey('Copy Source');
      const target = await orgWithKey('Copy Target');
      await app.sql('update provider_keys set ciphertext = $1 where id = $2', [source.ciphertext, target.keyId]);
      const upstreamBefore = gateway.mock.requests.length;
      expectUnreadable(await call(app, target.owner.auth), source.plaintext, source.ciphertext);
      expect(gateway.mock.requests.length).toBe(upstreamBefore);
      // And moved into the same organization under another row id, too.
      const second = await createProviderKey(app, source.owner, { name: 'second', key: fakeAnthropicKey(), isDefault: true });
      await app.sql('update provider_keys set ciphertext = $1 where id = $2', [source.ciphertext, second.id]);
      expectUnreadable(await call(app, source.owner.auth), source.plaintext, source.ciphertext);
      expect(gateway.mock.requests.length).toBe(upstreamBefore);
    });

    it('an instance booted with another ENCRYPTION_KEY on the same database cannot use the stored key', async () => {
      const org = await orgWithKey('Wrong KEK Owner');
      const other = await startTestApp({ ANTHROPIC_BASE_URL: gateway.mock.url, ENCRYPTION_KEY: `hex:${'22'.repeat(32)}` });
      try {
        const upstreamBefore = gateway.mock.requests.length;
        expectUnreadable(await call(other, org.owner.auth), org.plaintext, org.ciphertext);
        expect(gateway.mock.requests.length).toBe(upstreamBefore);
        expect(other.logs.join('\n')).not.toContain(org.plaintext);
        // Each instance authenticates with its own keys: booting another app in the process does not
        // swap this one's API-key check for the other's (passport's registry is process-global).
        expect((await app.request({ method: 'GET', url: '/api/v1/auth/me', headers: { 'x-lamplight-api-key': a.key } })).statusCode).toBe(200);
        expect((await other.request({ method: 'GET', url: '/api/v1/auth/me', headers: { 'x-lamplight-api-key': a.key } })).statusCode).toBe(401);
      } finally {
        await other.close();
      }
      // The right key still reads it.
      expect((await call(app, org.owner.auth)).statusCode).toBe(200);
    });
  });

  describe('case 8: no credential in any log line', () => {
    it('across success, upstream 401 and 5xx, validation errors and refusals', async () => {
      const clientKey = fakeAnthropicKey();
      secrets.add(clientKey);
      const key = a.key;
      const scenarios = [
        'MOCK:{}',
        'MOCK:{"status":401,"errorType":"authentication_error"}',
        'MOCK:{"status":500}',
        'MOCK:{"status":503,"retryAfter":0}',
      ];
      for (const text of scenarios) {
        for (const headers of [{ 'x-api-key': key }, { authorization: `Bearer ${key}` }, { ...a.owner.auth, 'x-api-key': clientKey }, a.owner.auth]) {
          await app.request({
            method: 'POST',
            url: MESSAGES,
            headers: { ...headers, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
            payload: { model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: text }] },
          });
        }
      }
      // Validation errors and refusals, with credentials everywhere a client might put them.
      await app.request({ method: 'PATCH', url: `${SESSIONS}/${SHARED_EXTERNAL_ID}`, headers: a.owner.auth, payload: { title: 42, apiKey: key } });
      await app.request({ method: 'POST', url: '/api/v1/provider-keys', headers: a.owner.auth, payload: { name: 'x', key: clientKey, extra: clientKey } });
      await app.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: a.owner.email, password: a.owner.password, token: a.owner.token } });
      await app.request({ method: 'GET', url: `${SESSIONS}?before=${encodeURIComponent(key)}`, headers: { 'x-lamplight-api-key': key } });
      await app.request({ method: 'GET', url: SESSIONS, headers: { authorization: `Bearer ${a.owner.token}x`, cookie: `session=${a.owner.token}` } });
      await app.request({ method: 'POST', url: MESSAGES, headers: { 'x-api-key': key, 'content-type': 'application/json' }, payload: '{"model":' });
      await flushRecorder(gateway);

      const lines = app.logs;
      expect(lines.length).toBeGreaterThan(50);
      for (const secret of secrets) {
        const hits = lines.filter((line) => line.includes(secret) || line.includes(secret.slice(0, 24)));
        expect({ secret: `${secret.slice(0, 8)}…`, hits }).toEqual({ secret: `${secret.slice(0, 8)}…`, hits: [] });
      }
      expect(lines.filter((line) => /bearer\s+\S{12,}/i.test(line) || /"authorization":"(?!\[redacted\])/i.test(line))).toEqual([]);
      expect(lines.filter((line) => /sk-ant-api\d\d-[A-Za-z0-9_-]{8,}/.test(line))).toEqual([]);
      expect(lines.filter((line) => /lmp_[A-Za-z0-9_-]{16,}/.test(line))).toEqual([]);
      expect(lines.filter((line) => /eyJ[A-Za-z0-9_-]{10,}\.eyJ/.test(line))).toEqual([]);
    });
  });

  describe('case 9: JWT forgeries on every kind of route (the /me matrix is in auth.e2e-spec.ts)', () => {
    const ISSUER = 'lamplight';
    const AUDIENCE = 'lamplight-api';
    const now = () => Math.floor(Date.now() / 1000);
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const tokens = (sub: string): [string, string][] => [
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub, iss: ISSUER, aud: AUDIENCE, exp: now() + 600 })}.`],
      [
        'HS/RS confusion',
        (() => {
          const head = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ sub, iss: ISSUER, aud: AUDIENCE, exp: now() + 600 })}`;
          return `${head}.${createHmac('sha256', TEST_JWT_SECRET).update(head).digest('base64url')}`;
        })(),
      ],
      ['expired', jwt.sign({ sub, exp: now() - 10 }, TEST_JWT_SECRET, { issuer: ISSUER, audience: AUDIENCE })],
      ['future nbf', jwt.sign({ sub }, TEST_JWT_SECRET, { issuer: ISSUER, audience: AUDIENCE, expiresIn: 600, notBefore: 600 })],
      ['wrong aud', jwt.sign({ sub }, TEST_JWT_SECRET, { issuer: ISSUER, audience: 'elsewhere', expiresIn: 600 })],
      ['wrong iss', jwt.sign({ sub }, TEST_JWT_SECRET, { issuer: 'elsewhere', audience: AUDIENCE, expiresIn: 600 })],
    ];

    it('a well-formed token of the same shape is accepted (so the forgeries fail for their flaw)', async () => {
      const good = jwt.sign({ sub: a.owner.id }, TEST_JWT_SECRET, { issuer: ISSUER, audience: AUDIENCE, expiresIn: 600, algorithm: 'HS256' });
      expect((await app.request({ method: 'GET', url: SESSIONS, headers: { authorization: `Bearer ${good}` } })).statusCode).toBe(200);
    });

    it('each forgery → 401 on sessions, analytics, tasks and the proxy; nothing upstream or written', async () => {
      const before = await orgSnapshot(app, a.organizationId);
      const upstreamBefore = gateway.mock.requests.length;
      for (const [label, token] of tokens(a.owner.id)) {
        const headers = { authorization: `Bearer ${token}` };
        for (const [method, url, payload] of [
          ['GET', SESSIONS, undefined],
          ['PATCH', `${SESSIONS}/${sessionA}`, { title: 'forged' }],
          ['GET', `${ANALYTICS}/tokens`, undefined],
          ['POST', TASKS, { query: 'q', session_id: SHARED_EXTERNAL_ID }],
        ] as const) {
          const response = await app.request({ method, url, headers, ...(payload ? { payload } : {}) });
          expect({ label, url, status: response.statusCode }).toEqual({ label, url, status: 401 });
        }
        const proxied = await app.request({ method: 'POST', url: MESSAGES, headers: { ...headers, 'content-type': 'application/json' }, payload: { model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] } });
        expect({ label, status: proxied.statusCode, type: proxied.json().error?.type }).toEqual({ label, status: 401, type: 'authentication_error' });
      }
      expect(gateway.mock.requests.length).toBe(upstreamBefore);
      expect(await orgSnapshot(app, a.organizationId)).toBe(before);
    });

    it('a deleted user’s valid token → 401 on the proxy and the sessions routes', async () => {
      const doomed = await registerUser(app, 'Deleted Caller');
      await addMember(app, a.owner, a.organizationId, doomed, 'member');
      const headers = { ...doomed.auth, ...a.orgHeaders };
      expect((await app.request({ method: 'GET', url: SESSIONS, headers })).statusCode).toBe(200);
      await app.sql('update users set deleted_at = now() where id = $1', [doomed.id]);
      expectProblem(await app.request({ method: 'GET', url: SESSIONS, headers }), 401, 'UNAUTHENTICATED');
      const proxied = await app.request({ method: 'POST', url: MESSAGES, headers: { ...headers, 'content-type': 'application/json' }, payload: { model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] } });
      expect(proxied.statusCode).toBe(401);
    });
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

    it.each(routes.flatMap(([name, method, url, base]) => Object.keys(extras).map((field) => [`${name} + ${field}`, method, url, base, field] as const)))(
      '%s → 400 naming the field',
      async (_label, method, url, base, field) => {
        const before = await orgSnapshot(app, a.organizationId);
        const upstreamBefore = gateway.mock.requests.length;
        const response = await app.request({ method, url: url(), headers: owner(a), payload: { ...base, [field]: extras[field] } });
        const problem = expectProblem(response, 400, 'VALIDATION_FAILED');
        expect(problem.errors?.map((e) => e.field)).toContain(field);
        await flushRecorder(gateway);
        expect(gateway.mock.requests.length).toBe(upstreamBefore);
        expect(await orgSnapshot(app, a.organizationId)).toBe(before);
      },
    );

    it('the same bodies without the extras are accepted (the 400 came from the extra field)', async () => {
      for (const [, method, url, base] of routes) {
        const response = await app.request({ method, url: url(), headers: owner(a), payload: base });
        expect(response.statusCode).toBeLessThan(300);
      }
    });

    it('nobody raises their own role, and a member cannot mint an API key', async () => {
      const before = await snapshotTables(app);
      const raise = (user: TestUser, role: string) =>
        app.request({ method: 'PATCH', url: `/api/v1/organizations/${a.organizationId}/members/${user.id}`, headers: user.auth, payload: { role } });
      for (const [user, role] of [[a.member, 'admin'], [a.member, 'owner'], [a.admin, 'owner']] as const) {
        expectProblem(await raise(user, role), 403);
      }
      expectProblem(await app.request({ method: 'POST', url: '/api/v1/api-keys', headers: member(a), payload: { name: 'mine' } }), 403);
      expectProblem(await app.request({ method: 'POST', url: '/api/v1/api-keys', headers: { 'x-lamplight-api-key': a.key }, payload: { name: 'from a key' } }), 403);
      expect(await snapshotTables(app)).toBe(before);
      const [row] = await app.sql<{ role: string }>('select role from memberships where organization_id = $1 and user_id = $2', [a.organizationId, a.member.id]);
      expect(row.role).toBe('member');
    });
  });

  describe('case 11: roles — members on admin routes and API keys on management routes → 403', () => {
    const memberRoutes: [string, InjectOptions['method'], () => string, Record<string, unknown> | undefined][] = [
      ['sessions restore', 'POST', () => `${SESSIONS}/${sessionA}/restore`, undefined],
      ['provider keys create', 'POST', () => '/api/v1/provider-keys', { name: 'x', key: 'sk-ant-api03-member-attempt-0000' }],
      ['provider keys test', 'POST', () => '/api/v1/provider-keys/test', { key: 'sk-ant-api03-member-attempt-0000' }],
      ['provider keys delete', 'DELETE', () => `/api/v1/provider-keys/${randomUUID()}`, undefined],
      ['provider keys update', 'PATCH', () => `/api/v1/provider-keys/${randomUUID()}`, { name: 'y' }],
      ['api keys create', 'POST', () => '/api/v1/api-keys', { name: 'x' }],
      ['api keys revoke', 'DELETE', () => `/api/v1/api-keys/${randomUUID()}`, undefined],
      ['members add', 'POST', () => `/api/v1/organizations/${a.organizationId}/members`, { email: 'someone@example.com' }],
      ['members change', 'PATCH', () => `/api/v1/organizations/${a.organizationId}/members/${a.admin.id}`, { role: 'member' }],
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
      expectProblem(await app.request({ method: 'DELETE', url: `/api/v1/organizations/${a.organizationId}`, headers: owner({ ...a, owner: a.admin }) }), 403);
      expect(await orgSnapshot(app, a.organizationId)).toBe(before);
    });

    const keyRoutes: [string, InjectOptions['method'], () => string, Record<string, unknown> | undefined][] = [
      ['api keys list', 'GET', () => '/api/v1/api-keys', undefined],
      ['api keys create', 'POST', () => '/api/v1/api-keys', { name: 'x' }],
      ['api keys revoke', 'DELETE', () => `/api/v1/api-keys/${randomUUID()}`, undefined],
      ['provider keys list', 'GET', () => '/api/v1/provider-keys', undefined],
      ['provider keys create', 'POST', () => '/api/v1/provider-keys', { name: 'x', key: 'sk-ant-api03-key-attempt-00000' }],
      ['provider keys delete', 'DELETE', () => `/api/v1/provider-keys/${randomUUID()}`, undefined],
      ['organizations list', 'GET', () => '/api/v1/organizations', undefined],
      ['organization get', 'GET', () => `/api/v1/organizations/${a.organizationId}`, undefined],
      ['organization update', 'PATCH', () => `/api/v1/organizations/${a.organizationId}`, { name: 'x' }],
      ['organization delete', 'DELETE', () => `/api/v1/organizations/${a.organizationId}`, undefined],
      ['members list', 'GET', () => `/api/v1/organizations/${a.organizationId}/members`, undefined],
      ['members add', 'POST', () => `/api/v1/organizations/${a.organizationId}/members`, { email: 'x@example.com' }],
      ['members change', 'PATCH', () => `/api/v1/organizations/${a.organizationId}/members/${a.member.id}`, { role: 'admin' }],
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
      const bodyExtras = [{ base_url: evil }, { api_base: evil }, { baseURL: evil }, { metadata: { user_id: 'u', base_url: evil } }];
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
              headers: { 'x-api-key': a.key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
              payload: { model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'x' }], ...extra },
            });
            expect(response.statusCode).toBeLessThan(500);
            sent++;
          }
        }
      }
      // Over a real socket too, and through the task route and the key tester.
      const real = await fetch(`${gateway.baseURL}${MESSAGES}`, {
        method: 'POST',
        headers: { 'x-api-key': a.key, 'content-type': 'application/json', 'x-forwarded-host': evilHost, forwarded: `host=${evilHost}` },
        body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'x' }], base_url: evil }),
      });
      await real.text();
      sent++;
      const task = await app.request({ method: 'POST', url: TASKS, headers: { ...owner(a), 'x-forwarded-host': evilHost, 'x-anthropic-base-url': evil }, payload: { query: 'q', session_id: 'ssrf' } });
      expect(task.statusCode).toBe(201);
      sent++;
      const tester = await app.request({ method: 'POST', url: '/api/v1/provider-keys/test', headers: { ...owner(a), 'x-forwarded-host': evilHost }, payload: { key: PROVIDER_KEY, base_url: evil } });
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
        for (const host of [undefined, 'evil.example', 'localhost:1', '127.0.0.1@evil.example', '[::1]', 'a'.repeat(300)]) {
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
        const response = await app.request({ method: 'GET', url, headers: { ...a.member.auth, ...orgHeader(b.organizationId) } });
        expect([400, 403, 404]).toContain(response.statusCode);
        expectNoneOf(response.body, idsB);
      }
      // Encoded slashes in a session id never escape the route.
      for (const id of [`${sessionB}%2F..%2F..`, `..%2F${sessionB}`, `%2e%2e%2f${sessionB}`, encodeURIComponent(`../${sessionB}`)]) {
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
        expect({ head: head.split('\r\n')[0], status, ok: [400, 401, 403, 404].includes(status) }).toEqual({ head: head.split('\r\n')[0], status, ok: true });
        expectNoneOf(text, idsB);
      }
    });
  });
});
