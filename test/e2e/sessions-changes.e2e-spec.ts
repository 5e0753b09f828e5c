import Anthropic from '@anthropic-ai/sdk';
import type { InjectOptions } from 'light-my-request';
import {
  ask,
  createTeam,
  getAs,
  interactionRows,
  sdk,
  sessionRow,
  sessionRows,
  sessionWithCalls,
  SESSIONS,
  startGateway,
  TASKS,
  type Gateway,
  type SessionRow,
  type Team,
} from '../support/sessions-fixtures';
import { createApiKey, type TestUser } from '../support/test-app';
import { expectFieldErrors, expectProblem, orgHeader } from '../support/tenancy-fixtures';

describe('sessions: changes', () => {
  let gateway: Gateway;
  let team: Team;
  let ownerClient: Anthropic;
  let counter = 0;

  beforeAll(async () => {
    gateway = await startGateway();
    team = await createTeam(gateway, 'Changers');
    ownerClient = sdk(gateway, { key: team.key });
  });
  afterAll(() => gateway.close());

  /** A new session created by the owner's API key (so the owner is its creator), with one recorded call. */
  const ownersSession = async (prefix = 'owned'): Promise<SessionRow> => {
    counter += 1;
    return sessionWithCalls(gateway, ownerClient, team.organizationId, `${prefix}-${counter}`, ['hello']);
  };

  const as = (user: TestUser, options: InjectOptions) =>
    gateway.app.request({
      ...options,
      headers: { ...user.auth, ...orgHeader(team.organizationId), ...options.headers },
    });
  const patch = (user: TestUser, id: string, payload: unknown) =>
    as(user, { method: 'PATCH', url: `${SESSIONS}/${id}`, payload: payload as object });
  const remove = (user: TestUser, id: string) => as(user, { method: 'DELETE', url: `${SESSIONS}/${id}` });
  const post = (user: TestUser, id: string, action: 'restore' | 'release') =>
    as(user, { method: 'POST', url: `${SESSIONS}/${id}/${action}` });

  describe('PATCH title', () => {
    let session: SessionRow;
    beforeAll(async () => {
      session = await ownersSession('titled');
    });

    it.each([
      ['trimmed', '  Hello world  ', 'Hello world'],
      ['control characters removed', 'Tab\there\u0007bell\u0000nul\u007fdel', 'Tabherebellnuldel'],
      ['C1 controls removed, then trimmed', '\u0085\n  Next line \u009f\r\n', 'Next line'],
      ['emoji kept (a family is 7 code points)', 'Plan 👩‍👩‍👧‍👦 🚀', 'Plan 👩‍👩‍👧‍👦 🚀'],
      ['combining marks kept as sent', 'Cafe\u0301 re\u0301sume\u0301', 'Cafe\u0301 re\u0301sume\u0301'],
      ['format characters kept', 'a\u200db\u200fc', 'a\u200db\u200fc'],
      ['a lone surrogate replaced', 'x\ud800y', 'x\ufffdy'],
      ['60 ASCII characters', 'a'.repeat(60), 'a'.repeat(60)],
      ['60 emoji (120 UTF-16 units)', '😀'.repeat(60), '😀'.repeat(60)],
      ['60 code points of letters and combining marks', 'e\u0301'.repeat(30), 'e\u0301'.repeat(30)],
      ['61 characters once the control characters are gone', `${'a'.repeat(60)}\u0000`, 'a'.repeat(60)],
    ])('accepts a title: %s', async (_name, title, stored) => {
      const response = await patch(team.owner, session.id, { title });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ id: session.id, title: stored });
      expect((await sessionRow(gateway, session.id)).title).toBe(stored);
      expect((await getAs(gateway, team.member, team.organizationId, `${SESSIONS}/${session.id}`)).json().title).toBe(
        stored,
      );
    });

    it.each([
      ['empty', ''],
      ['blank', '   \t  '],
      ['only control characters', '\u0000\u0001\u001f'],
      ['61 ASCII characters', 'a'.repeat(61)],
      ['61 emoji', '😀'.repeat(61)],
      ['61 code points with combining marks', `${'e\u0301'.repeat(30)}x`],
      ['null', null],
      ['a number', 42],
    ])('refuses a title: %s, with 400 and no change', async (_name, title) => {
      await patch(team.owner, session.id, { title: 'Before' });
      expectFieldErrors(await patch(team.owner, session.id, { title }), ['title']);
      expect((await sessionRow(gateway, session.id)).title).toBe('Before');
    });

    it('refuses an empty change and unknown fields', async () => {
      expectProblem(await patch(team.owner, session.id, {}), 400, 'EMPTY_UPDATE');
      expectFieldErrors(await patch(team.owner, session.id, { title: 'x', externalId: 'hijack' }), ['externalId']);
      expect((await sessionRow(gateway, session.id)).external_id).toBe(session.external_id);
    });
  });

  describe('PATCH tokenBudget', () => {
    it('sets a budget the proxy then enforces, and clears it with null', async () => {
      const session = await ownersSession('budget');
      const used = (await getAs(gateway, team.owner, team.organizationId, `${SESSIONS}/${session.id}`)).json()
        .tokensUsed;
      expect(used).toBeGreaterThan(0);
      const set = await patch(team.owner, session.external_id, { tokenBudget: used });
      expect(set.statusCode).toBe(200);
      expect(set.json()).toMatchObject({ tokenBudget: used, tokensUsed: used });
      expect((await sessionRow(gateway, session.id)).token_budget).toBe(String(used));
      gateway.mock.reset();
      await expect(ask(ownerClient, session.external_id, 'more')).rejects.toBeInstanceOf(Anthropic.RateLimitError);
      expect(gateway.mock.requests).toHaveLength(0);

      const cleared = await patch(team.owner, session.id, { tokenBudget: null });
      expect(cleared.json()).toMatchObject({ tokenBudget: null });
      expect((await sessionRow(gateway, session.id)).token_budget).toBeNull();
      await ask(ownerClient, session.external_id, 'more');
      expect(gateway.mock.requests).toHaveLength(1);

      const both = await patch(team.owner, session.id, { title: 'Budgeted', tokenBudget: 1_000_000 });
      expect(both.json()).toMatchObject({ title: 'Budgeted', tokenBudget: 1_000_000 });
    });

    it.each([[-1], [1.5], ['100'], [Number.MAX_SAFE_INTEGER + 2]])(
      'refuses tokenBudget %p with 400',
      async (tokenBudget) => {
        const session = await ownersSession('bad-budget');
        expectFieldErrors(await patch(team.owner, session.id, { tokenBudget }), ['tokenBudget']);
        expect((await sessionRow(gateway, session.id)).token_budget).toBeNull();
      },
    );
  });

  describe('who may change a session', () => {
    it("refuses a member who did not create it (403), lets its creator, an admin and the owner's write key", async () => {
      const session = await ownersSession('rights');
      const denied = await patch(team.member, session.id, { title: 'Mine now' });
      expectProblem(denied, 403, 'SESSION_NOT_OWNER');
      expectProblem(await post(team.member, session.id, 'release'), 403, 'SESSION_NOT_OWNER');
      expect(await sessionRow(gateway, session.id)).toMatchObject({ title: null, released_at: null });

      expect((await patch(team.admin, session.id, { title: 'By the admin' })).statusCode).toBe(200);
      const byKey = await gateway.app.request({
        method: 'PATCH',
        url: `${SESSIONS}/${session.id}`,
        headers: { 'x-lamplight-api-key': team.key },
        payload: { title: 'By the owner key' },
      });
      expect(byKey.statusCode).toBe(200);
      expect((await sessionRow(gateway, session.id)).title).toBe('By the owner key');

      // A read-only key cannot change anything, whoever made it.
      const readOnly = await createApiKey(gateway.app, team.owner, { name: 'read only', scopes: ['read'] });
      const refused = await gateway.app.request({
        method: 'PATCH',
        url: `${SESSIONS}/${session.id}`,
        headers: { 'x-lamplight-api-key': readOnly.key },
        payload: { title: 'Nope' },
      });
      expectProblem(refused, 403, 'API_KEY_SCOPE_MISSING');

      // The member's own session (made with their JWT through the proxy) is theirs to change.
      const memberClient = sdk(gateway, { user: team.member, organizationId: team.organizationId });
      const own = await sessionWithCalls(gateway, memberClient, team.organizationId, 'members-own', ['mine']);
      expect(own.user_id).toBe(team.member.id);
      expect((await patch(team.member, own.id, { title: 'Mine' })).json()).toMatchObject({
        title: 'Mine',
        user: team.member.id,
      });
      expect((await post(team.member, own.id, 'release')).statusCode).toBe(200);
      expect((await remove(team.member, own.id)).statusCode).toBe(204);
    });

    it('answers 404 for a session that does not exist, on every change', async () => {
      expectProblem(await patch(team.owner, 'no-such-session', { title: 'x' }), 404, 'SESSION_NOT_FOUND');
      expectProblem(await remove(team.owner, 'no-such-session'), 404, 'SESSION_NOT_FOUND');
      expectProblem(await post(team.owner, 'no-such-session', 'release'), 404, 'SESSION_NOT_FOUND');
      expectProblem(await post(team.admin, 'no-such-session', 'restore'), 404, 'SESSION_NOT_FOUND');
    });
  });

  describe('DELETE', () => {
    it('soft-deletes for the creator, idempotently, and 403s other members even afterwards', async () => {
      const session = await ownersSession('doomed');
      expectProblem(await remove(team.member, session.id), 403, 'SESSION_NOT_OWNER');
      expect((await sessionRow(gateway, session.id)).deleted_at).toBeNull();

      const first = await remove(team.owner, session.external_id);
      expect(first.statusCode).toBe(204);
      expect(first.body).toBe('');
      const deleted = await sessionRow(gateway, session.id);
      expect(deleted.deleted_at).not.toBeNull();
      expect(deleted.deleted_by_id).toBe(team.owner.id);
      expect(await interactionRows(gateway, session.id, 1)).toHaveLength(1); // the data is kept

      const again = await remove(team.owner, session.id);
      expect(again.statusCode).toBe(204);
      expect((await remove(team.owner, session.external_id)).statusCode).toBe(204);
      expect((await sessionRow(gateway, session.id)).deleted_at).toEqual(deleted.deleted_at);
      expectProblem(await remove(team.member, session.id), 403, 'SESSION_NOT_OWNER');
    });

    it("lets an admin delete anyone's session", async () => {
      const session = await ownersSession('admin-deletes');
      expect((await remove(team.admin, session.id)).statusCode).toBe(204);
      expect((await sessionRow(gateway, session.id)).deleted_by_id).toBe(team.admin.id);
    });

    it('hides a deleted session from every read path, and frees its external id for a new session', async () => {
      const session = await ownersSession('hidden');
      const [interaction] = await interactionRows(gateway, session.id, 1);
      const read = (url: string) => getAs(gateway, team.member, team.organizationId, url);
      expect((await read(`${TASKS}/${interaction.id}`)).statusCode).toBe(200);
      expect((await remove(team.owner, session.id)).statusCode).toBe(204);

      for (const id of [session.id, session.external_id]) {
        for (const suffix of ['', '/history', '/events', '/export', '/export?format=csv']) {
          expectProblem(await read(`${SESSIONS}/${id}${suffix}`), 404, 'SESSION_NOT_FOUND');
        }
        expectProblem(await patch(team.owner, id, { title: 'x' }), 404, 'SESSION_NOT_FOUND');
        expectProblem(await post(team.owner, id, 'release'), 404, 'SESSION_NOT_FOUND');
      }
      expectProblem(await read(`${TASKS}/${interaction.id}`), 404, 'TASK_NOT_FOUND');
      const listed = (await read(`${SESSIONS}?limit=500`)).json().data.map((s: { id: string }) => s.id);
      expect(listed).not.toContain(session.id);
      expect((await read(`${SESSIONS}?externalId=${session.external_id}&offset=0`)).json()).toMatchObject({
        data: [],
        totalCount: 0,
      });

      // The next call with the external id opens a new session.
      await ask(ownerClient, session.external_id, 'again');
      const rows = await sessionRows(gateway, team.organizationId, session.external_id);
      expect(rows).toHaveLength(2);
      const fresh = rows.find((row) => row.id !== session.id)!;
      expect(fresh.deleted_at).toBeNull();
      await interactionRows(gateway, fresh.id, 1);
      expect((await read(`${SESSIONS}/${session.external_id}`)).json()).toMatchObject({ id: fresh.id, taskCount: 1 });
      expect(
        (await read(`${SESSIONS}?externalId=${session.external_id}`)).json().data.map((s: { id: string }) => s.id),
      ).toEqual([fresh.id]);
      expectProblem(await read(`${SESSIONS}/${session.id}`), 404, 'SESSION_NOT_FOUND');
    });
  });

  describe('POST restore', () => {
    it('is for admins: brings a deleted session back, and returns a live one unchanged', async () => {
      const session = await ownersSession('restorable');
      expect((await remove(team.owner, session.id)).statusCode).toBe(204);
      expectProblem(await post(team.member, session.id, 'restore'), 403, 'ROLE_REQUIRED');
      const byKey = await gateway.app.request({
        method: 'POST',
        url: `${SESSIONS}/${session.id}/restore`,
        headers: { 'x-lamplight-api-key': team.key },
      });
      expectProblem(byKey, 403, 'ROLE_REQUIRED');
      expect((await sessionRow(gateway, session.id)).deleted_at).not.toBeNull();

      const restored = await post(team.admin, session.external_id, 'restore');
      expect(restored.statusCode).toBe(200);
      expect(restored.json()).toMatchObject({ id: session.id, releasedAt: null, taskCount: 1 });
      expect(await sessionRow(gateway, session.id)).toMatchObject({
        deleted_at: null,
        deleted_by_id: null,
        released_at: null,
      });
      expect(
        (await getAs(gateway, team.member, team.organizationId, `${SESSIONS}/${session.external_id}/history`)).json()
          .totalCount,
      ).toBe(1);

      const again = await post(team.owner, session.id, 'restore');
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(restored.json());

      // Calls with the external id go to it again.
      await ask(ownerClient, session.external_id, 'back');
      expect(await sessionRows(gateway, team.organizationId, session.external_id)).toHaveLength(1);
      await interactionRows(gateway, session.id, 2);
    });

    it('brings it back released when a newer open session took its external id meanwhile', async () => {
      const old = await ownersSession('taken');
      expect((await remove(team.owner, old.id)).statusCode).toBe(204);
      await ask(ownerClient, old.external_id, 'newer');
      const newer = (await sessionRows(gateway, team.organizationId, old.external_id)).find(
        (row) => row.id !== old.id,
      )!;

      const restored = await post(team.admin, old.id, 'restore');
      expect(restored.statusCode).toBe(200);
      expect(restored.json().releasedAt).not.toBeNull();
      expect(await sessionRow(gateway, old.id)).toMatchObject({ deleted_at: null, released_at: expect.any(Date) });
      expect(await sessionRow(gateway, newer.id)).toMatchObject({ deleted_at: null, released_at: null });
      expect((await getAs(gateway, team.owner, team.organizationId, `${SESSIONS}/${old.external_id}`)).json().id).toBe(
        newer.id,
      );
      expect((await getAs(gateway, team.owner, team.organizationId, `${SESSIONS}/${old.id}`)).json().id).toBe(old.id);
    });

    it('by external id, restores the most recently deleted session with it', async () => {
      const first = await ownersSession('twice');
      expect((await remove(team.owner, first.id)).statusCode).toBe(204);
      await ask(ownerClient, first.external_id, 'second life');
      const second = (await sessionRows(gateway, team.organizationId, first.external_id)).find(
        (row) => row.id !== first.id,
      )!;
      expect((await remove(team.owner, second.id)).statusCode).toBe(204);
      expect((await post(team.admin, first.external_id, 'restore')).json().id).toBe(second.id);
      expect((await sessionRow(gateway, first.id)).deleted_at).not.toBeNull();
    });
  });

  describe('POST release', () => {
    it('closes the session: the next proxied call with its external id opens a new one', async () => {
      const session = await ownersSession('released');
      const response = await post(team.owner, session.external_id, 'release');
      expect(response.statusCode).toBe(200);
      const releasedAt = (await sessionRow(gateway, session.id)).released_at;
      expect(releasedAt).not.toBeNull();
      expect(response.json()).toMatchObject({ id: session.id, releasedAt: releasedAt!.toISOString() });

      // Idempotent: releasing again changes nothing.
      expect((await post(team.owner, session.id, 'release')).json().releasedAt).toBe(releasedAt!.toISOString());

      await ask(ownerClient, session.external_id, 'a new beginning');
      const rows = await sessionRows(gateway, team.organizationId, session.external_id);
      expect(rows).toHaveLength(2);
      const next = rows.find((row) => row.id !== session.id)!;
      expect(next.released_at).toBeNull();
      const [call] = await interactionRows(gateway, next.id, 1);
      expect(call.user_query).toBe('a new beginning');
      expect((await interactionRows(gateway, session.id, 1)).map((row) => row.user_query)).toEqual(['hello']);

      const get = (id: string) => getAs(gateway, team.owner, team.organizationId, `${SESSIONS}/${id}`);
      expect((await get(session.external_id)).json()).toMatchObject({ id: next.id, releasedAt: null, taskCount: 1 });
      expect((await get(session.id)).json()).toMatchObject({ id: session.id, releasedAt: releasedAt!.toISOString() });
      const listed = (
        await getAs(gateway, team.owner, team.organizationId, `${SESSIONS}?externalId=${session.external_id}`)
      ).json();
      expect(listed.data.map((s: { id: string }) => s.id)).toEqual([next.id, session.id]);
    });
  });
});
