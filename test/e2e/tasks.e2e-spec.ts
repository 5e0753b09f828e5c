import type Anthropic from '@anthropic-ai/sdk';
import type { InjectOptions } from 'light-my-request';
import { DEFAULT_REPLY_TEXT } from '../../mock-upstream/mock-anthropic';
import {
  ask,
  createTeam,
  getAs,
  interactionRows,
  PROVIDER_KEY,
  sdk,
  sessionRow,
  sessionRows,
  SESSIONS,
  startGateway,
  TASKS,
  type Gateway,
  type Team,
} from '../support/sessions-fixtures';
import {
  createApiKey,
  registerUser,
  startTestApp,
  storeProviderKey,
  type TestUser,
  type LooseRecord,
} from '../support/test-app';
import { expectFieldErrors, expectProblem, orgHeader } from '../support/tenancy-fixtures';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('tasks', () => {
  let gateway: Gateway;
  let team: Team;
  let client: Anthropic;

  beforeAll(async () => {
    gateway = await startGateway();
    team = await createTeam(gateway, 'Taskers');
    client = sdk(gateway, { key: team.key });
  });
  afterAll(() => gateway.close());
  beforeEach(() => gateway.mock.reset());

  const as = (user: TestUser, options: InjectOptions, organizationId = team.organizationId) =>
    gateway.app.request({ ...options, headers: { ...user.auth, ...orgHeader(organizationId), ...options.headers } });
  const submit = (payload: Record<string, unknown>, user = team.owner) =>
    as(user, { method: 'POST', url: TASKS, payload });
  const interaction = async (id: string) =>
    (await gateway.app.sql<LooseRecord>(`select * from interactions where id = $1`, [id]))[0];
  /** The messages Anthropic was sent in the last call. */
  const sentMessages = () => (gateway.mock.requests.at(-1)!.json as { messages: unknown[] }).messages;

  it('answers a query in a new session through the proxy path, recorded at once, and GET finds it', async () => {
    const response = await submit({ query: 'What is 2+2?', session_id: 'task-chat' });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    const row = await interaction(body.task_id); // no waiting: the task is written before the answer
    expect(row).toBeDefined();
    const session = await sessionRow(gateway, row.session_id);
    expect(body).toEqual({
      task_id: expect.stringMatching(UUID),
      session_id: session.id,
      session_external_id: 'task-chat',
      status: 'completed',
      query: 'What is 2+2?',
      output: DEFAULT_REPLY_TEXT,
      model: 'claude-sonnet-5-5',
      stop_reason: 'end_turn',
      http_status: 200,
      error: null,
      usage: {
        input_tokens: row.input_tokens,
        output_tokens: row.output_tokens,
        cache_read_tokens: 0,
        cache_write_5m_tokens: 0,
        cache_write_1h_tokens: 0,
        total_tokens: row.input_tokens + row.output_tokens,
        cost_usd: Number(row.cost_total_nano_usd) / 1e9,
      },
      latency_ms: row.latency_ms,
      created_at: row.started_at.toISOString(),
    });
    expect(body.usage.cost_usd).toBeGreaterThan(0);
    expect(row).toMatchObject({
      organization_id: team.organizationId,
      user_id: team.owner.id,
      api_key_id: null,
      outcome: 'ok',
      stream: false,
      user_query: 'What is 2+2?',
      final_output: DEFAULT_REPLY_TEXT,
      upstream_request_id: gateway.mock.requests.at(-1)!.id,
    });
    expect(session).toMatchObject({ external_id: 'task-chat', user_id: team.owner.id, request_count: '1' });
    expect(session.device).toEqual({
      id: 'unknown',
      platform: 'unknown',
      type: 'unknown',
      name: 'lamplight-tasks',
      osVersion: 'unknown',
    });

    expect(gateway.mock.requests).toHaveLength(1);
    const upstream = gateway.mock.requests[0];
    expect(upstream).toMatchObject({ path: '/v1/messages', apiKey: PROVIDER_KEY, stream: false });
    expect(upstream.headers['anthropic-version']).toBe('2023-06-01');
    expect(upstream.json).toEqual({
      model: 'claude-sonnet-5-5',
      max_tokens: 1024,
      messages: [{ role: 'user', content: 'What is 2+2?' }],
    });
    expect(JSON.stringify(upstream.headers)).not.toContain(team.owner.token);

    const read = await getAs(gateway, team.member, team.organizationId, `${TASKS}/${body.task_id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(body);
  });

  it("sends the session's earlier completed turns as context, in order, by external id or UUID", async () => {
    const first = (await submit({ query: 'Remember 7.', session_id: 'context-chat' })).json();
    await expect(ask(client, 'context-chat', 'MOCK:{"status":400} a refused call is no context')).rejects.toThrow();
    await ask(client, 'context-chat', 'MOCK:{"text":"Noted: blue."} And blue.');
    await interactionRows(gateway, first.session_id, 3);
    gateway.mock.reset();

    const second = await submit({
      query: 'What did I say?',
      session_id: 'context-chat',
      model: 'claude-haiku-4-5',
      system: 'Be brief.',
      max_tokens: 100,
    });
    expect(second.statusCode).toBe(201);
    expect(second.json()).toMatchObject({
      session_id: first.session_id,
      model: 'claude-haiku-4-5',
      status: 'completed',
    });
    expect(gateway.mock.requests.at(-1)!.json).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 100,
      system: 'Be brief.',
      messages: [
        { role: 'user', content: 'Remember 7.' },
        { role: 'assistant', content: DEFAULT_REPLY_TEXT },
        { role: 'user', content: 'MOCK:{"text":"Noted: blue."} And blue.' },
        { role: 'assistant', content: 'Noted: blue.' },
        { role: 'user', content: 'What did I say?' },
      ],
    });

    const third = await submit({ query: 'Once more?', session_id: first.session_id.toUpperCase() });
    expect(third.json()).toMatchObject({ session_id: first.session_id, session_external_id: 'context-chat' });
    expect(sentMessages()).toHaveLength(7);
    expect(sentMessages().at(-1)).toEqual({ role: 'user', content: 'Once more?' });
    expect(await sessionRows(gateway, team.organizationId, 'context-chat')).toHaveLength(1);
    expect((await sessionRow(gateway, first.session_id)).request_count).toBe('5');
  });

  it('retries through the upstream client and records one interaction per task', async () => {
    const response = await submit({
      query: 'MOCK:{"failTimes":1,"status":529,"key":"task-retry","retryAfter":0} hi',
      session_id: 'task-retry',
    });
    expect(response.json()).toMatchObject({ status: 'completed', http_status: 200 });
    expect(gateway.mock.requests).toHaveLength(2);
    const [session] = await sessionRows(gateway, team.organizationId, 'task-retry');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await interactionRows(gateway, session.id)).toHaveLength(1);
  });

  it('records and returns a task Anthropic failed or refused, with the reason', async () => {
    const overloaded = await submit({ query: 'MOCK:{"status":529,"retryAfter":0} hi', session_id: 'task-overloaded' });
    expect(overloaded.statusCode).toBe(201);
    expect(gateway.mock.requests).toHaveLength(3);
    const failed = overloaded.json();
    expect(failed).toMatchObject({
      status: 'failed',
      http_status: 529,
      output: null,
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
    expect(await interaction(failed.task_id)).toMatchObject({
      outcome: 'upstream_error',
      http_status: 529,
      error_type: 'overloaded_error',
    });
    const read = (await getAs(gateway, team.owner, team.organizationId, `${TASKS}/${failed.task_id}`)).json();
    expect(read).toMatchObject({
      status: 'failed',
      http_status: 529,
      error: { type: 'overloaded_error', message: 'Anthropic failed: overloaded_error (HTTP 529)' },
    });

    const refused = (
      await submit({
        query: 'MOCK:{"status":400,"errorMessage":"max_tokens: too large"} hi',
        session_id: 'task-refused',
      })
    ).json();
    expect(refused).toMatchObject({
      status: 'failed',
      http_status: 400,
      error: { type: 'invalid_request_error', message: 'max_tokens: too large' },
    });
    expect(await interaction(refused.task_id)).toMatchObject({ outcome: 'error', http_status: 400 });
  });

  it('records an unreachable Anthropic as a failed task (502)', async () => {
    const app = await startTestApp(); // ANTHROPIC_BASE_URL points at a closed port
    try {
      const user = await registerUser(app, 'Offline');
      await storeProviderKey(app, user, PROVIDER_KEY);
      const response = await app.request({
        method: 'POST',
        url: TASKS,
        headers: user.auth,
        payload: { query: 'hi', session_id: 'offline' },
      });
      expect(response.statusCode).toBe(201);
      expect(response.json()).toMatchObject({
        status: 'failed',
        http_status: 502,
        error: { type: 'api_error', message: 'Anthropic could not be reached' },
      });
      const [row] = await app.sql(`select outcome, http_status from interactions where id = $1`, [
        response.json().task_id,
      ]);
      expect(row).toEqual({ outcome: 'upstream_error', http_status: 502 });
    } finally {
      await app.close();
    }
  });

  it("refuses a task once the session's budget is spent, sending nothing", async () => {
    const first = (await submit({ query: 'spend', session_id: 'task-budget' })).json();
    const budget = first.usage.total_tokens;
    expect(
      (
        await as(team.owner, {
          method: 'PATCH',
          url: `${SESSIONS}/${first.session_id}`,
          payload: { tokenBudget: budget },
        })
      ).statusCode,
    ).toBe(200);
    gateway.mock.reset();
    expectProblem(await submit({ query: 'more', session_id: 'task-budget' }), 429, 'SPEND_LIMIT_EXCEEDED');
    expect(gateway.mock.requests).toHaveLength(0);
    expect((await sessionRow(gateway, first.session_id)).request_count).toBe('1');
  });

  it('answers 409 when the organization has no provider key, creating nothing', async () => {
    const keyless = await registerUser(gateway.app, 'Keyless');
    expectProblem(
      await gateway.app.request({
        method: 'POST',
        url: TASKS,
        headers: keyless.auth,
        payload: { query: 'hi', session_id: 'nothing' },
      }),
      409,
      'NO_PROVIDER_KEY',
    );
    expect(
      await gateway.app.sql(`select id from sessions where organization_id = $1`, [keyless.organizationId]),
    ).toEqual([]);
    expect(gateway.mock.requests).toHaveLength(0);
  });

  it.each([
    [{ session_id: 's' }, ['query']],
    [{ query: 'hi' }, ['session_id']],
    [{ query: '   ', session_id: 's' }, ['query']],
    [{ query: 'hi', session_id: '' }, ['session_id']],
    [{ query: 'hi', session_id: 'line\nbreak' }, ['session_id']],
    [{ query: 'hi', session_id: 'x'.repeat(256) }, ['session_id']],
    [{ query: 'hi', session_id: 's', max_tokens: 0 }, ['max_tokens']],
    [{ query: 'hi', session_id: 's', max_tokens: 128_001 }, ['max_tokens']],
    [{ query: 'hi', session_id: 's', max_tokens: '5' }, ['max_tokens']],
    [{ query: 'hi', session_id: 's', model: 'claude sonnet' }, ['model']],
    [{ query: 'hi', session_id: 's', stream: true }, ['stream']],
    [{ query: 42, session_id: 's' }, ['query']],
  ])('refuses %j with 400', async (payload, fields) => {
    expectFieldErrors(await submit(payload), fields);
    expect(gateway.mock.requests).toHaveLength(0);
  });

  it('takes API keys with the proxy scope to submit and the read scope to read', async () => {
    const proxyOnly = await createApiKey(gateway.app, team.owner, { name: 'proxy only', scopes: ['proxy'] });
    const readWrite = await createApiKey(gateway.app, team.owner, { name: 'no proxy', scopes: ['read', 'write'] });
    const byKey = (key: string, options: InjectOptions) =>
      gateway.app.request({ ...options, headers: { 'x-lamplight-api-key': key } });

    const created = await byKey(proxyOnly.key, {
      method: 'POST',
      url: TASKS,
      payload: { query: 'by key', session_id: 'task-keys' },
    });
    expect(created.statusCode).toBe(201);
    expect(await interaction(created.json().task_id)).toMatchObject({
      api_key_id: proxyOnly.id,
      user_id: team.owner.id,
    });
    expectProblem(
      await byKey(readWrite.key, { method: 'POST', url: TASKS, payload: { query: 'no', session_id: 'task-keys' } }),
      403,
      'API_KEY_SCOPE_MISSING',
    );
    expectProblem(
      await byKey(proxyOnly.key, { method: 'GET', url: `${TASKS}/${created.json().task_id}` }),
      403,
      'API_KEY_SCOPE_MISSING',
    );
    expect((await byKey(readWrite.key, { method: 'GET', url: `${TASKS}/${created.json().task_id}` })).json()).toEqual(
      created.json(),
    );
  });

  it('reads any recorded call as a task, 400 for a malformed id and 404 for an unknown one', async () => {
    await ask(client, 'proxied-task', 'through the SDK');
    const [session] = await sessionRows(gateway, team.organizationId, 'proxied-task');
    const [row] = await interactionRows(gateway, session.id, 1);
    const read = await getAs(gateway, team.member, team.organizationId, `${TASKS}/${row.id}`);
    expect(read.json()).toMatchObject({
      task_id: row.id,
      session_id: session.id,
      session_external_id: 'proxied-task',
      status: 'completed',
      query: 'through the SDK',
      output: DEFAULT_REPLY_TEXT,
      model: 'claude-sonnet-4-6',
    });
    expectProblem(await getAs(gateway, team.owner, team.organizationId, `${TASKS}/not-a-uuid`), 400);
    expectProblem(
      await getAs(gateway, team.owner, team.organizationId, `${TASKS}/6f1c3a9e-8a4e-4f53-9a57-0d2f6f0b9c11`),
      404,
      'TASK_NOT_FOUND',
    );
  });

  it("never reads a deleted session's turns: its external id starts afresh and its tasks are gone", async () => {
    const old = (await submit({ query: 'before the delete', session_id: 'task-deleted' })).json();
    expect((await as(team.owner, { method: 'DELETE', url: `${SESSIONS}/task-deleted` })).statusCode).toBe(204);
    expectProblem(
      await getAs(gateway, team.owner, team.organizationId, `${TASKS}/${old.task_id}`),
      404,
      'TASK_NOT_FOUND',
    );

    const fresh = (await submit({ query: 'after the delete', session_id: 'task-deleted' })).json();
    expect(fresh.session_id).not.toBe(old.session_id);
    expect(sentMessages()).toEqual([{ role: 'user', content: 'after the delete' }]);

    // Its UUID names nothing visible any more: like any unknown id, it becomes a new session's external id.
    const byUuid = (await submit({ query: 'by the old uuid', session_id: old.session_id })).json();
    expect(byUuid).toMatchObject({ session_external_id: old.session_id });
    expect([old.session_id, fresh.session_id]).not.toContain(byUuid.session_id);
    expect(sentMessages()).toHaveLength(1);
    expect((await sessionRow(gateway, old.session_id)).request_count).toBe('1');
  });

  it('refuses a released session named by UUID (409), and opens a new one under its external id', async () => {
    const old = (await submit({ query: 'first', session_id: 'task-released' })).json();
    expect((await as(team.owner, { method: 'POST', url: `${SESSIONS}/task-released/release` })).statusCode).toBe(200);
    gateway.mock.reset();
    expectProblem(await submit({ query: 'again', session_id: old.session_id }), 409, 'SESSION_RELEASED');
    expect(gateway.mock.requests).toHaveLength(0);
    const next = (await submit({ query: 'again', session_id: 'task-released' })).json();
    expect(next.session_id).not.toBe(old.session_id);
    expect(sentMessages()).toEqual([{ role: 'user', content: 'again' }]);
    expect(await sessionRows(gateway, team.organizationId, 'task-released')).toHaveLength(2);
  });

  it("keeps organizations apart: another organization's session UUID is just a new external id", async () => {
    const a = (await submit({ query: 'alpha only', session_id: 'task-private' })).json();
    const other = await createTeam(gateway, 'Other');
    const b = await as(
      other.owner,
      { method: 'POST', url: TASKS, payload: { query: 'peek', session_id: a.session_id } },
      other.organizationId,
    );
    expect(b.statusCode).toBe(201);
    expect(b.json().session_id).not.toBe(a.session_id);
    expect(sentMessages()).toEqual([{ role: 'user', content: 'peek' }]);
    expect((await sessionRow(gateway, b.json().session_id)).organization_id).toBe(other.organizationId);
    expect((await sessionRow(gateway, a.session_id)).request_count).toBe('1');
    expectProblem(
      await getAs(gateway, other.owner, other.organizationId, `${TASKS}/${a.task_id}`),
      404,
      'TASK_NOT_FOUND',
    );
  });

  it('returns the answer even when the organization does not store content; the stored task has none', async () => {
    const privateTeam = await createTeam(gateway, 'Private');
    const off = await gateway.app.request({
      method: 'PATCH',
      url: `/api/v1/organizations/${privateTeam.organizationId}`,
      headers: privateTeam.owner.auth,
      payload: { settings: { storeContent: false } },
    });
    expect(off.statusCode).toBe(200);
    const created = (
      await as(
        privateTeam.owner,
        { method: 'POST', url: TASKS, payload: { query: 'secret', session_id: 'p' } },
        privateTeam.organizationId,
      )
    ).json();
    expect(created).toMatchObject({ status: 'completed', query: 'secret', output: DEFAULT_REPLY_TEXT });
    expect(await interaction(created.task_id)).toMatchObject({ user_query: null, final_output: null, content: null });
    const read = (
      await getAs(gateway, privateTeam.owner, privateTeam.organizationId, `${TASKS}/${created.task_id}`)
    ).json();
    expect(read).toMatchObject({ status: 'completed', query: null, output: null, usage: created.usage });
  });
});
