import type Anthropic from '@anthropic-ai/sdk';
import { createHash } from 'node:crypto';
import type { Response as InjectResponse } from 'light-my-request';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { ShareTokens } from '../../src/modules/sharing/share-tokens.service';
import {
  type Call,
  proxyCall,
  sdk,
  setNow,
  setUpGateway,
  sumCalls,
  waitForInteractions,
} from '../support/analytics-fixtures';
import { addMember } from '../support/tenancy-fixtures';
import {
  createApiKey,
  expectProblem,
  listen,
  registerUser,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../support/test-app';

const TOKEN = /^shr_[A-Za-z0-9_-]{32}$/;
const HOST = 'lamplight.test:8443';

const CALLS: { call: Call; query: string; reply: string }[] = [
  {
    call: {
      session: 'shared-session',
      model: 'claude-sonnet-4-6',
      usage: { input: 1200, output: 340, cacheRead: 5000, write5m: 300 },
    },
    query: 'Why does the <retry> loop spin?',
    reply: 'Because the backoff resets on every attempt.',
  },
  {
    call: { session: 'shared-session', model: 'claude-opus-4-6', usage: { input: 90, output: 45, write1h: 60 } },
    query: 'Fix it, please.',
    reply: 'Done: the backoff now doubles & caps at 30 s.',
  },
  {
    call: { session: 'shared-session', model: 'claude-haiku-4-5-20251001', usage: { input: 7, output: 3 } },
    query: 'Thanks!',
    reply: 'You are welcome.',
  },
];

interface LinkRow {
  id: string;
  organization_id: string;
  session_id: string;
  token_digest: string;
  token_ciphertext: string | null;
  include_content: boolean;
  expires_at: Date | null;
  created_by_id: string;
  created_at: Date;
  revoked_at: Date | null;
}

describe('session sharing', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  let owner: TestUser;
  let client: Anthropic;
  let sessionUuid: string;

  const share = (
    user: { auth: Record<string, string> },
    method: 'POST' | 'GET' | 'DELETE',
    session: string,
    payload?: object,
    headers: Record<string, string> = {},
  ) =>
    app.request({
      method,
      url: `/spotlight/analytics/sessions/${encodeURIComponent(session)}/share`,
      headers: { ...user.auth, host: HOST, ...headers },
      ...(payload ? { payload } : {}),
    });
  const publicView = (token: string, query = '') =>
    app.request({ method: 'GET', url: `/spotlight/analytics/sessions/shared/${token}${query}` });
  const linksOf = (sessionId: string) =>
    app.sql<LinkRow>(`select * from share_links where session_id = $1 order by created_at, id`, [sessionId]);
  const digestOf = (token: string) => createHash('sha256').update(token).digest('hex');
  const linkRow = async (token: string) =>
    (await app.sql<LinkRow>(`select * from share_links where token_digest = $1`, [digestOf(token)]))[0];

  beforeAll(async () => {
    mock = await startMockAnthropic();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    const baseURL = await listen(app);
    let key: string;
    ({ owner, key } = await setUpGateway(app, 'Sharing Owner'));
    client = sdk(baseURL, key);
    for (const { call, query, reply } of CALLS) await proxyCall(client, call, query, { reply });
    await proxyCall(client, { session: 'second-session', model: 'claude-sonnet-4-6', usage: { input: 1, output: 1 } });
    await waitForInteractions(app, owner.organizationId, CALLS.length + 1);
    [{ id: sessionUuid }] = await app.sql<{ id: string }>(
      `select id from sessions where organization_id = $1 and external_id = 'shared-session'`,
      [owner.organizationId],
    );
  });

  afterAll(async () => {
    await app.close();
    await mock.close();
  });

  it('goes through the whole lifecycle: share, share again, status, view, remove', async () => {
    expect((await share(owner, 'GET', sessionUuid)).json()).toEqual({ is_shared: false });

    const created = await share(owner, 'POST', sessionUuid);
    expect(created.statusCode).toBe(201);
    const link = created.json();
    expect(Object.keys(link).sort()).toEqual([
      'created_at',
      'expires_at',
      'include_content',
      'share_token',
      'share_url',
    ]);
    expect(link.share_token).toMatch(TOKEN);
    expect(link.share_url).toBe(`http://${HOST}/shared/${link.share_token}`);
    expect(link).toMatchObject({ expires_at: null, include_content: false });
    const [row] = await linksOf(sessionUuid);
    expect(row).toMatchObject({
      organization_id: owner.organizationId,
      token_digest: digestOf(link.share_token),
      include_content: false,
      expires_at: null,
      created_by_id: owner.id,
      revoked_at: null,
    });
    expect(row.created_at.toISOString()).toBe(link.created_at);
    expect(Buffer.from(link.share_token.slice(4), 'base64url')).toHaveLength(24);

    // Sharing again returns the live link unchanged, by UUID or external id.
    const again = await share(owner, 'POST', 'shared-session', { include_content: true });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(link);
    expect(await linksOf(sessionUuid)).toHaveLength(1);

    const status = await share(owner, 'GET', 'shared-session');
    expect(status.statusCode).toBe(200);
    expect(status.json()).toEqual({
      is_shared: true,
      share_token: link.share_token,
      share_url: link.share_url,
      shared_at: link.created_at,
      expires_at: null,
      include_content: false,
    });

    const view = await publicView(link.share_token);
    expect(view.statusCode).toBe(200);
    const expected = sumCalls(CALLS.map((c) => c.call));
    const interactions = await app.sql<{
      started_at: Date;
      model: string;
      input_tokens: number;
      output_tokens: number;
    }>(
      `select started_at, model, input_tokens, output_tokens from interactions where session_id = $1 order by started_at, id`,
      [sessionUuid],
    );
    const [session] = await app.sql<{ created_at: Date; last_activity_at: Date }>(
      `select created_at, last_activity_at from sessions where id = $1`,
      [sessionUuid],
    );
    expect(view.json()).toEqual({
      session: {
        session_id: 'shared-session',
        start_time: session.created_at.toISOString(),
        end_time: session.last_activity_at.toISOString(),
        total_requests: expected.requests,
        total_input_tokens: expected.input,
        total_output_tokens: expected.output,
      },
      interactions: CALLS.map((c, i) => ({
        timestamp: interactions[i].started_at.toISOString(),
        model: c.call.model,
        input_tokens: c.call.usage.input,
        output_tokens: c.call.usage.output,
      })),
      // Cache insights (figures checked by hand in cache-insights.e2e-spec.ts): the session's cache tokens.
      cache: expect.objectContaining({
        input_tokens: expected.input + expected.cacheRead + expected.write5m + expected.write1h,
        cache_read_tokens: expected.cacheRead,
        write_mix: expect.objectContaining({ five_minute_tokens: expected.write5m, one_hour_tokens: expected.write1h }),
      }),
      // No call named an agent: one, the calls without an id, with the session's totals.
      agents: [
        {
          agent_id: null,
          parent_agent_id: null,
          calls: expected.requests,
          input_tokens: expected.input,
          output_tokens: expected.output,
          cost_usd: expect.any(Number),
        },
      ],
    });
    await expectNoInternalIds(view);

    const removed = await share(owner, 'DELETE', 'shared-session');
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toEqual({ message: 'Sharing removed successfully', session_uuid: sessionUuid });
    expect((await linksOf(sessionUuid))[0].revoked_at).not.toBeNull();
    expectProblem(await publicView(link.share_token), 404, 'SHARE_LINK_NOT_FOUND');
    expect((await share(owner, 'GET', sessionUuid)).json()).toEqual({ is_shared: false });
    // Removing again is harmless.
    expect((await share(owner, 'DELETE', sessionUuid)).json()).toEqual({
      message: 'Sharing removed successfully',
      session_uuid: sessionUuid,
    });
  });

  it('shares the user queries and final outputs only when the link includes content', async () => {
    const created = await share(owner, 'POST', sessionUuid, { include_content: true, expires_in_seconds: 3600 });
    expect(created.statusCode).toBe(201);
    const link = created.json();
    expect(link.include_content).toBe(true);
    expect(Date.parse(link.expires_at) - Date.parse(link.created_at)).toBe(3_600_000);
    const row = await linkRow(link.share_token);
    expect(row).toMatchObject({ session_id: sessionUuid, include_content: true, revoked_at: null });
    expect(row.expires_at!.toISOString()).toBe(link.expires_at);

    const view = (await publicView(link.share_token)).json();
    expect(view.interactions.map((i: object) => Object.keys(i).sort())).toEqual(
      CALLS.map(() => ['final_output', 'input_tokens', 'model', 'output_tokens', 'timestamp', 'user_query']),
    );
    expect(
      view.interactions.map((i: { user_query: string; final_output: string }) => [i.user_query, i.final_output]),
    ).toEqual(CALLS.map((c) => [c.query, c.reply]));
    // Paging the public view.
    const page = (await publicView(link.share_token, '?limit=1&offset=1')).json();
    expect(page.interactions).toEqual([view.interactions[1]]);
    expect(page.session).toEqual(view.session);
    expectProblem(await publicView(link.share_token, '?limit=0'), 400, 'VALIDATION_FAILED');
    await share(owner, 'DELETE', sessionUuid);
  });

  it('stops resolving an expired link', async () => {
    const link = (await share(owner, 'POST', sessionUuid, { expires_in_seconds: 60 })).json();
    expect((await publicView(link.share_token)).statusCode).toBe(200);
    const restore = setNow(app, new Date(Date.parse(link.expires_at) + 1));
    try {
      expectProblem(await publicView(link.share_token), 404, 'SHARE_LINK_NOT_FOUND');
      expect((await share(owner, 'GET', sessionUuid)).json()).toEqual({ is_shared: false });
      // Sharing again makes a new link; the expired one stays expired.
      const fresh = await share(owner, 'POST', sessionUuid);
      expect(fresh.statusCode).toBe(201);
      expect(fresh.json().share_token).not.toBe(link.share_token);
      expectProblem(await publicView(link.share_token), 404, 'SHARE_LINK_NOT_FOUND');
    } finally {
      restore();
    }
    await share(owner, 'DELETE', sessionUuid);
    // An expiry in the past as stored in the database, on the real clock.
    const other = (await share(owner, 'POST', sessionUuid, { expires_in_seconds: 600 })).json();
    expect((await publicView(other.share_token)).statusCode).toBe(200);
    await app.sql(`update share_links set expires_at = now() - interval '1 second' where token_digest = $1`, [
      digestOf(other.share_token),
    ]);
    expectProblem(await publicView(other.share_token), 404, 'SHARE_LINK_NOT_FOUND');
    expect((await app.request({ method: 'GET', url: `/shared/${other.share_token}` })).statusCode).toBe(404);
    await share(owner, 'DELETE', sessionUuid);
    expect((await linkRow(other.share_token)).revoked_at).not.toBeNull();
  });

  it('answers the same 404 for unknown and malformed tokens', async () => {
    for (const token of [`shr_${'A'.repeat(32)}`, 'shr_short', 'not-a-token', `shr_${'A'.repeat(31)}%2F`]) {
      const problem = expectProblem(await publicView(token), 404, 'SHARE_LINK_NOT_FOUND');
      expect(problem.detail).toBe('Share token not found or expired');
    }
  });

  it('refuses invalid options', async () => {
    for (const payload of [
      { expires_in_seconds: 10 },
      { expires_in_seconds: 400_000_000 },
      { expires_in_seconds: '3600' },
      { expires_in_seconds: 1.5 },
      { include_content: 'yes' },
      { session_id: 'x' },
    ]) {
      expectProblem(await share(owner, 'POST', sessionUuid, payload), 400, 'VALIDATION_FAILED');
    }
    expect(
      await app.sql(`select 1 from share_links where session_id = $1 and revoked_at is null`, [sessionUuid]),
    ).toHaveLength(0);
  });

  it('makes one link when shared concurrently', async () => {
    const responses = await Promise.all(Array.from({ length: 8 }, () => share(owner, 'POST', 'second-session')));
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(responses.map((r) => r.json().share_token)).size).toBe(1);
    const [{ id }] = await app.sql<{ id: string }>(
      `select id from sessions where organization_id = $1 and external_id = 'second-session'`,
      [owner.organizationId],
    );
    expect(await app.sql(`select 1 from share_links where session_id = $1 and revoked_at is null`, [id])).toHaveLength(
      1,
    );
    await share(owner, 'DELETE', id);
  });

  it('takes its tokens from the injectable token source', async () => {
    const tokens = app.app.get(ShareTokens, { strict: false });
    const fixed = `shr_${'Z'.repeat(32)}`;
    const spy = jest.spyOn(tokens, 'generate').mockReturnValue(fixed);
    try {
      const link = (await share(owner, 'POST', sessionUuid)).json();
      expect(link.share_token).toBe(fixed);
      expect(await linkRow(fixed)).toMatchObject({ session_id: sessionUuid, revoked_at: null });
      expect((await publicView(fixed)).statusCode).toBe(200);
    } finally {
      spy.mockRestore();
      await share(owner, 'DELETE', sessionUuid);
    }
    const a = new ShareTokens().generate();
    const b = new ShareTokens().generate();
    expect(a).toMatch(TOKEN);
    expect(a).not.toBe(b);
  });

  it('hides the links of a deleted session', async () => {
    await proxyCall(client, { session: 'doomed-session', model: 'claude-sonnet-4-6', usage: { input: 5, output: 5 } });
    await waitForInteractions(app, owner.organizationId, CALLS.length + 2);
    const link = (await share(owner, 'POST', 'doomed-session')).json();
    expect((await publicView(link.share_token)).statusCode).toBe(200);
    await app.sql(
      `update sessions set deleted_at = now() where organization_id = $1 and external_id = 'doomed-session'`,
      [owner.organizationId],
    );
    expectProblem(await publicView(link.share_token), 404, 'SHARE_LINK_NOT_FOUND');
    const page = await app.request({ method: 'GET', url: `/shared/${link.share_token}` });
    expect(page.statusCode).toBe(404);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    for (const method of ['POST', 'GET', 'DELETE'] as const)
      expectProblem(await share(owner, method, 'doomed-session'), 404, 'SESSION_NOT_FOUND');
  });

  it('stores a digest of each token, never the token; those who may share see it again, and lookups go by the digest', async () => {
    const link = (await share(owner, 'POST', sessionUuid)).json();
    const [{ text }] = await app.sql<{ text: string }>(`select string_agg(t::text, ' ') as text from share_links t`);
    expect(text).not.toContain(link.share_token);
    expect(text).not.toContain(link.share_token.slice(4));
    const row = await linkRow(link.share_token);
    expect(row.token_digest).toMatch(/^[0-9a-f]{64}$/);
    expect(row.token_ciphertext).toMatch(/^v1:/);
    expect((await share(owner, 'GET', sessionUuid)).json()).toMatchObject({
      is_shared: true,
      share_token: link.share_token,
    });
    expect((await share(owner, 'POST', sessionUuid)).json()).toEqual(link);
    expect((await publicView(link.share_token)).statusCode).toBe(200);
    // A ciphertext that does not open (altered, or copied from another row) shows no token.
    await app.sql(
      `update share_links set token_ciphertext = 'v1:' || encode(decode(substr(token_ciphertext, 4), 'base64') || '\\x00'::bytea, 'base64') where id = $1`,
      [row.id],
    );
    expect((await share(owner, 'GET', sessionUuid)).json()).toEqual({
      is_shared: true,
      shared_at: link.created_at,
      expires_at: null,
      include_content: false,
    });
    // A link whose token cannot be shown is replaced when shared again; the old token stops.
    const replaced = await share(owner, 'POST', sessionUuid);
    expect(replaced.statusCode).toBe(201);
    expect(replaced.json().share_token).not.toBe(link.share_token);
    expectProblem(await publicView(link.share_token), 404, 'SHARE_LINK_NOT_FOUND');
    await share(owner, 'DELETE', sessionUuid);
  });

  it('leaves old links revoked when a deleted session is restored; sharing again makes a new token', async () => {
    await proxyCall(client, {
      session: 'restored-session',
      model: 'claude-sonnet-4-6',
      usage: { input: 5, output: 5 },
    });
    await waitForInteractions(app, owner.organizationId, CALLS.length + 3);
    const link = (await share(owner, 'POST', 'restored-session', { include_content: true })).json();
    expect((await publicView(link.share_token)).statusCode).toBe(200);
    const sessionPath = '/api/v1/sessions/restored-session';
    expect((await app.request({ method: 'DELETE', url: sessionPath, headers: owner.auth })).statusCode).toBe(204);
    expectProblem(await publicView(link.share_token), 404, 'SHARE_LINK_NOT_FOUND');
    const restored = await app.request({ method: 'POST', url: `${sessionPath}/restore`, headers: owner.auth });
    expect(restored.statusCode).toBe(200);
    expectProblem(await publicView(link.share_token), 404, 'SHARE_LINK_NOT_FOUND');
    expect((await app.request({ method: 'GET', url: `/shared/${link.share_token}` })).statusCode).toBe(404);
    expect((await share(owner, 'GET', 'restored-session')).json()).toEqual({ is_shared: false });
    const again = await share(owner, 'POST', 'restored-session');
    expect(again.statusCode).toBe(201);
    expect(again.json().share_token).not.toBe(link.share_token);
    expect((await publicView(again.json().share_token)).statusCode).toBe(200);
    expectProblem(await publicView(link.share_token), 404, 'SHARE_LINK_NOT_FOUND');
  });

  it('follows the organization setting: no new links when off, and existing ones hidden', async () => {
    const link = (await share(owner, 'POST', sessionUuid)).json();
    const setSharing = async (sharingEnabled: boolean) => {
      const response = await app.request({
        method: 'PATCH',
        url: `/api/v1/organizations/${owner.organizationId}`,
        headers: owner.auth,
        payload: { settings: { sharingEnabled } },
      });
      expect(response.statusCode).toBe(200);
    };
    await setSharing(false);
    try {
      expectProblem(await share(owner, 'POST', 'second-session'), 403, 'SHARING_DISABLED');
      expectProblem(await publicView(link.share_token), 404, 'SHARE_LINK_NOT_FOUND');
      expect((await app.request({ method: 'GET', url: `/shared/${link.share_token}` })).statusCode).toBe(404);
      expect((await share(owner, 'GET', sessionUuid)).json()).toEqual({ is_shared: false });
    } finally {
      await setSharing(true);
    }
    expect((await publicView(link.share_token)).statusCode).toBe(200);
    await share(owner, 'DELETE', sessionUuid);
  });

  it("lets only a session's creator and admins share it, members only while the organization allows", async () => {
    const member = await registerUser(app, 'Sharing Member');
    const admin = await registerUser(app, 'Sharing Admin');
    await addMember(app, owner, owner.organizationId, member, 'member');
    await addMember(app, owner, owner.organizationId, admin, 'admin');
    const inOrg = { 'x-organization-id': owner.organizationId };
    const [{ id: membersSession }] = await app.sql<{ id: string }>(
      `update sessions set user_id = $1 where organization_id = $2 and external_id = 'second-session' returning id`,
      [member.id, owner.organizationId],
    );

    // Another member's session: neither shared nor unshared by a plain member, and its token stays hidden.
    expectProblem(
      await share(member, 'POST', sessionUuid, { include_content: true }, inOrg),
      403,
      'SHARING_NOT_ALLOWED',
    );
    expect((await linksOf(sessionUuid)).filter((row) => row.revoked_at === null)).toHaveLength(0);
    const ownersLink = (await share(owner, 'POST', sessionUuid)).json();
    expectProblem(await share(member, 'DELETE', sessionUuid, undefined, inOrg), 403, 'SHARING_NOT_ALLOWED');
    expect((await publicView(ownersLink.share_token)).statusCode).toBe(200);
    const seenByMember = (await share(member, 'GET', sessionUuid, undefined, inOrg)).json();
    expect(seenByMember).toMatchObject({ is_shared: true });
    expect(JSON.stringify(seenByMember)).not.toContain(ownersLink.share_token);

    // Their own session: shared and unshared by them; an admin may unshare it too.
    const own = await share(member, 'POST', membersSession, undefined, inOrg);
    expect(own.statusCode).toBe(201);
    expect((await linkRow(own.json().share_token)).created_by_id).toBe(member.id);
    expect((await share(admin, 'DELETE', membersSession, undefined, inOrg)).statusCode).toBe(200);
    expect((await publicView(own.json().share_token)).statusCode).toBe(404);

    // The organization forbids member sharing: members stop, admins and owners go on.
    const settings = (value: boolean) =>
      app.request({
        method: 'PATCH',
        url: `/api/v1/organizations/${owner.organizationId}`,
        headers: owner.auth,
        payload: { settings: { memberSharingEnabled: value } },
      });
    const off = await settings(false);
    expect(off.statusCode).toBe(200);
    expect(off.json().settings.memberSharingEnabled).toBe(false);
    expectProblem(await share(member, 'POST', membersSession, undefined, inOrg), 403, 'SHARING_NOT_ALLOWED');
    const byAdmin = await share(admin, 'POST', membersSession, undefined, inOrg);
    expect(byAdmin.statusCode).toBe(201);
    expectProblem(await share(member, 'DELETE', membersSession, undefined, inOrg), 403, 'SHARING_NOT_ALLOWED');
    expect((await share(owner, 'DELETE', membersSession)).statusCode).toBe(200);
    expect((await settings(true)).statusCode).toBe(200);
    await share(owner, 'DELETE', sessionUuid);
  });

  it('holds API keys to their scopes: read to see, write to change', async () => {
    const first = (await share(owner, 'POST', sessionUuid)).json();
    const reader = {
      auth: { 'x-lamplight-api-key': (await createApiKey(app, owner, { name: 'reader', scopes: ['read'] })).key },
    };
    const writer = {
      auth: {
        'x-lamplight-api-key': (await createApiKey(app, owner, { name: 'writer', scopes: ['read', 'write'] })).key,
      },
    };
    expect((await share(reader, 'GET', sessionUuid)).json()).toMatchObject({
      is_shared: true,
      share_token: first.share_token,
    });
    expectProblem(await share(reader, 'POST', sessionUuid), 403, 'API_KEY_SCOPE_MISSING');
    expectProblem(await share(reader, 'DELETE', sessionUuid), 403, 'API_KEY_SCOPE_MISSING');
    expect((await share(writer, 'DELETE', sessionUuid)).statusCode).toBe(200);
    expect((await share(writer, 'POST', sessionUuid)).statusCode).toBe(201);
    expectProblem(await share({ auth: {} }, 'POST', sessionUuid), 401);
    await share(owner, 'DELETE', sessionUuid);
  });

  it('keeps organizations apart', async () => {
    const link = (await share(owner, 'POST', sessionUuid)).json();
    const stranger = await registerUser(app, 'Stranger');
    for (const method of ['POST', 'GET', 'DELETE'] as const) {
      expectProblem(await share(stranger, method, sessionUuid), 404, 'SESSION_NOT_FOUND');
      expectProblem(await share(stranger, method, 'shared-session'), 404, 'SESSION_NOT_FOUND');
      expectProblem(
        await share(stranger, method, sessionUuid, undefined, { 'x-organization-id': owner.organizationId }),
        403,
        'NOT_A_MEMBER',
      );
    }
    // The stranger's attempts changed nothing.
    expect((await linksOf(sessionUuid)).filter((l) => l.revoked_at === null).map((l) => l.token_digest)).toEqual([
      digestOf(link.share_token),
    ]);
    expect((await publicView(link.share_token)).statusCode).toBe(200);
    await share(owner, 'DELETE', sessionUuid);
  });

  async function expectNoInternalIds(response: InjectResponse): Promise<void> {
    const ids = [
      owner.organizationId,
      owner.id,
      sessionUuid,
      ...(
        await app.sql<{ id: string }>(`select id from api_keys where organization_id = $1`, [owner.organizationId])
      ).map((r) => r.id),
      ...(await app.sql<{ id: string }>(`select id from interactions where session_id = $1`, [sessionUuid])).map(
        (r) => r.id,
      ),
      ...(await app.sql<{ id: string }>(`select id from share_links where session_id = $1`, [sessionUuid])).map(
        (r) => r.id,
      ),
    ];
    for (const id of ids) expect(response.body).not.toContain(id);
    expect(response.body).not.toMatch(/organization|user_id|api_key|session_uuid|interaction_id/);
  }
});

describe('session sharing behind a public base URL, and its rate limit', () => {
  let mock: MockAnthropic;
  let app: TestApp;

  beforeAll(async () => {
    mock = await startMockAnthropic();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url, PUBLIC_BASE_URL: 'https://share.lamplight.example/' });
  });

  afterAll(async () => {
    await app.close();
    await mock.close();
  });

  it('builds share_url from PUBLIC_BASE_URL and limits public lookups per client address', async () => {
    const baseURL = await listen(app);
    const { owner, key } = await setUpGateway(app, 'Limited Owner');
    await proxyCall(sdk(baseURL, key), {
      session: 'limited',
      model: 'claude-sonnet-4-6',
      usage: { input: 3, output: 4 },
    });
    await waitForInteractions(app, owner.organizationId, 1);
    const created = await app.request({
      method: 'POST',
      url: '/spotlight/analytics/sessions/limited/share',
      headers: { ...owner.auth, host: 'internal:3000' },
    });
    const link = created.json();
    expect(link.share_url).toBe(`https://share.lamplight.example/shared/${link.share_token}`);

    // 120 lookups a minute per address, the JSON view and the page together.
    const from = (remoteAddress: string, url: string) => app.request({ method: 'GET', url, remoteAddress });
    for (let i = 0; i < 120; i += 1) {
      const url =
        i % 2 === 0 ? `/spotlight/analytics/sessions/shared/${link.share_token}` : `/shared/${link.share_token}`;
      const response = await from('203.0.113.7', i === 119 ? `/shared/shr_${'Q'.repeat(32)}` : url);
      expect(response.statusCode).toBe(i === 119 ? 404 : 200);
    }
    const limited = await from('203.0.113.7', `/spotlight/analytics/sessions/shared/${link.share_token}`);
    const problem = expectProblem(limited, 429, 'TOO_MANY_REQUESTS');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(problem.detail).toMatch(/Too many/);
    const page = await from('203.0.113.7', `/shared/${link.share_token}`);
    expect(page.statusCode).toBe(429);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('Too many requests');
    // Another address is not affected; an IPv6 client is limited as its /64.
    expect((await from('203.0.113.8', `/spotlight/analytics/sessions/shared/${link.share_token}`)).statusCode).toBe(
      200,
    );
    for (let i = 0; i < 120; i += 1)
      await from(`2001:db8:1:2::${(i + 1).toString(16)}`, `/shared/shr_${'Q'.repeat(32)}`);
    expect(
      (await from('2001:db8:1:2:ffff::1', `/spotlight/analytics/sessions/shared/${link.share_token}`)).statusCode,
    ).toBe(429);
    // Authenticated share routes are not limited by it.
    expect(
      (
        await app.request({
          method: 'GET',
          url: '/spotlight/analytics/sessions/limited/share',
          headers: owner.auth,
          remoteAddress: '203.0.113.7',
        })
      ).statusCode,
    ).toBe(200);
  });
});
