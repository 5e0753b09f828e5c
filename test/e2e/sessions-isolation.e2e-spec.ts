import type { InjectOptions } from 'light-my-request';
import {
  createTeam,
  interactionRows,
  sdk,
  sessionRow,
  sessionWithCalls,
  SESSIONS,
  startGateway,
  TASKS,
  type Gateway,
  type SessionRow,
  type Team,
} from '../support/sessions-fixtures';
import { expectProblem, orgHeader } from '../support/tenancy-fixtures';

/** Two organizations using the same external ids: neither ever sees, changes or infers the other's sessions. */
describe('sessions: isolation between organizations', () => {
  let gateway: Gateway;
  let a: Team;
  let b: Team;
  let aSession: SessionRow;
  let bSession: SessionRow;
  let aTaskId: string;

  beforeAll(async () => {
    gateway = await startGateway();
    a = await createTeam(gateway, 'Alpha');
    b = await createTeam(gateway, 'Bravo');
    aSession = await sessionWithCalls(gateway, sdk(gateway, { key: a.key }), a.organizationId, 'shared-ext', [
      'alpha secret',
    ]);
    bSession = await sessionWithCalls(gateway, sdk(gateway, { key: b.key }), b.organizationId, 'shared-ext', [
      'bravo question',
    ]);
    aTaskId = (await interactionRows(gateway, aSession.id, 1))[0].id;
  });
  afterAll(() => gateway.close());

  /** B's three ways in: its owner's JWT, its admin acting in B, its platform key. */
  const bCallers = (): Record<string, string>[] => [
    b.owner.auth,
    { ...b.admin.auth, ...orgHeader(b.organizationId) },
    { 'x-lamplight-api-key': b.key },
  ];
  const asB = (headers: Record<string, string>, options: InjectOptions) =>
    gateway.app.request({ ...options, headers: { ...headers, ...options.headers } });

  it("lists only the organization's own sessions", async () => {
    for (const headers of bCallers()) {
      const body = (await asB(headers, { method: 'GET', url: `${SESSIONS}?limit=500&offset=0` })).json();
      expect(body.data.map((s: { id: string }) => s.id)).toEqual([bSession.id]);
      expect(body.totalCount).toBe(1);
      expect(JSON.stringify(body)).not.toContain(aSession.id);
      expect(JSON.stringify(body)).not.toContain(a.organizationId);
    }
    const aList = (await gateway.app.request({ method: 'GET', url: SESSIONS, headers: a.owner.auth })).json();
    expect(aList.data.map((s: { id: string }) => s.id)).toEqual([aSession.id]);
  });

  it("resolves a shared external id to the caller's own session, and another organization's UUID to 404 on every route", async () => {
    for (const headers of bCallers()) {
      const own = await asB(headers, { method: 'GET', url: `${SESSIONS}/shared-ext` });
      expect(own.json()).toMatchObject({ id: bSession.id, organization: b.organizationId });
      const events = (await asB(headers, { method: 'GET', url: `${SESSIONS}/shared-ext/events` })).json();
      expect(events.turns.map((t: { user_query: string }) => t.user_query)).toEqual(['bravo question']);
      const exported = (await asB(headers, { method: 'GET', url: `${SESSIONS}/shared-ext/export` })).body;
      expect(exported).toContain('bravo question');
      expect(exported).not.toContain('alpha secret');

      for (const suffix of ['', '/history', '/events', '/export', '/export?format=csv']) {
        expectProblem(
          await asB(headers, { method: 'GET', url: `${SESSIONS}/${aSession.id}${suffix}` }),
          404,
          'SESSION_NOT_FOUND',
        );
      }
      expectProblem(await asB(headers, { method: 'GET', url: `${TASKS}/${aTaskId}` }), 404, 'TASK_NOT_FOUND');
    }
    const writers = [b.owner.auth, { 'x-lamplight-api-key': b.key }];
    for (const headers of writers) {
      expectProblem(
        await asB(headers, { method: 'PATCH', url: `${SESSIONS}/${aSession.id}`, payload: { title: 'pwned' } }),
        404,
        'SESSION_NOT_FOUND',
      );
      expectProblem(
        await asB(headers, { method: 'DELETE', url: `${SESSIONS}/${aSession.id}` }),
        404,
        'SESSION_NOT_FOUND',
      );
      expectProblem(
        await asB(headers, { method: 'POST', url: `${SESSIONS}/${aSession.id}/release` }),
        404,
        'SESSION_NOT_FOUND',
      );
    }
    expectProblem(
      await asB(b.owner.auth, { method: 'POST', url: `${SESSIONS}/${aSession.id}/restore` }),
      404,
      'SESSION_NOT_FOUND',
    );
    expect(await sessionRow(gateway, aSession.id)).toMatchObject({ title: null, deleted_at: null, released_at: null });
  });

  it("cannot restore another organization's deleted session", async () => {
    const doomed = await sessionWithCalls(gateway, sdk(gateway, { key: a.key }), a.organizationId, 'alpha-doomed', [
      'x',
    ]);
    const deleted = await gateway.app.request({
      method: 'DELETE',
      url: `${SESSIONS}/${doomed.id}`,
      headers: a.owner.auth,
    });
    expect(deleted.statusCode).toBe(204);
    expectProblem(
      await asB(b.owner.auth, { method: 'POST', url: `${SESSIONS}/${doomed.id}/restore` }),
      404,
      'SESSION_NOT_FOUND',
    );
    expectProblem(
      await asB(b.owner.auth, { method: 'POST', url: `${SESSIONS}/alpha-doomed/restore` }),
      404,
      'SESSION_NOT_FOUND',
    );
    expect((await sessionRow(gateway, doomed.id)).deleted_at).not.toBeNull();
  });

  it("refuses B's credentials naming A's organization with 403", async () => {
    const named = orgHeader(a.organizationId);
    expectProblem(await asB({ ...b.owner.auth, ...named }, { method: 'GET', url: SESSIONS }), 403, 'NOT_A_MEMBER');
    expectProblem(
      await asB({ 'x-lamplight-api-key': b.key, ...named }, { method: 'GET', url: `${SESSIONS}/shared-ext` }),
      403,
      'ORGANIZATION_MISMATCH',
    );
    expectProblem(
      await asB(
        { ...b.owner.auth, ...named },
        { method: 'POST', url: TASKS, payload: { query: 'hi', session_id: 'shared-ext' } },
      ),
      403,
      'NOT_A_MEMBER',
    );
  });

  it('a user in both organizations sees each one by X-Organization-Id, never both at once', async () => {
    const both = b.member;
    const joined = await gateway.app.request({
      method: 'POST',
      url: `/api/v1/organizations/${a.organizationId}/members`,
      headers: a.owner.auth,
      payload: { email: both.email },
    });
    expect(joined.statusCode).toBe(201);
    const accepted = await gateway.app.request({
      method: 'POST',
      url: `/api/v1/invitations/${joined.json().id}/accept`,
      headers: both.auth,
    });
    expect(accepted.statusCode).toBe(200);
    const list = async (organizationId: string) =>
      (await asB({ ...both.auth, ...orgHeader(organizationId) }, { method: 'GET', url: SESSIONS }))
        .json()
        .data.map((s: { id: string }) => s.id);
    expect(await list(b.organizationId)).toEqual([bSession.id]);
    expect(await list(a.organizationId)).toEqual(expect.arrayContaining([aSession.id]));
    expect(await list(a.organizationId)).not.toContain(bSession.id);
  });
});
