/**
 * Claude Code's turns as Lamplight records them: the person's own text as the user query (never
 * the <system-reminder> blocks Claude Code injects, which can name local paths and hosts), slash
 * commands as typed, and the agent tree of a session with each agent's calls, tokens and cost.
 * The calls are shaped as Claude Code sends them and made with the official SDK.
 */
import Anthropic from '@anthropic-ai/sdk';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import {
  createApiKey,
  eventually,
  listen,
  registerUser,
  startTestApp,
  storeProviderKey,
  type TestApp,
  type TestUser,
} from '../support/test-app';

const PROVIDER_KEY = 'sk-ant-api03-lamplight-claude-code-turns-key-0123456789';
const SESSION = '6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
const REMINDER = `<system-reminder>
As you answer the user's questions, you can use the following context:
# claudeMd
Contents of /home/dev/acme/CLAUDE.md (project instructions, checked into the codebase):
Deploy through build-01.internal.acme.example only.
# currentDate
Today's date is 2026-11-29.
</system-reminder>
`;

describe('Claude Code turns', () => {
  let mock: MockAnthropic;
  let app: TestApp;
  let owner: TestUser;
  let client: Anthropic;

  const call = (
    agent: { id?: string; parent?: string },
    content: Anthropic.MessageParam['content'],
    inputTokens: number,
  ) =>
    client.messages.create(
      {
        model: 'claude-sonnet-4-6',
        max_tokens: 64,
        system: `MOCK:${JSON.stringify({ usage: { input_tokens: inputTokens, output_tokens: 10 } })}`,
        messages: [{ role: 'user', content }],
        metadata: { user_id: `user_abc123_account_00000000-0000-0000-0000-000000000001_session_${SESSION}` },
      },
      {
        headers: {
          'user-agent': 'claude-cli/2.1.332 (external, cli)',
          'x-claude-code-session-id': SESSION,
          ...(agent.id ? { 'x-claude-code-agent-id': agent.id } : {}),
          ...(agent.parent ? { 'x-claude-code-parent-agent-id': agent.parent } : {}),
        },
      },
    );

  beforeAll(async () => {
    mock = await startMockAnthropic();
    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url });
    const baseURL = await listen(app);
    owner = await registerUser(app, 'Claude Code Owner');
    const key = (await createApiKey(app, owner)).key;
    await storeProviderKey(app, owner, PROVIDER_KEY);
    client = new Anthropic({ baseURL: `${baseURL}/spotlight/anthropic`, apiKey: key, maxRetries: 0 });

    await call(
      {},
      [
        { type: 'text', text: REMINDER },
        { type: 'text', text: 'Fix the failing billing test' },
      ],
      100,
    );
    await call(
      {},
      [
        {
          type: 'text',
          text: '<command-name>/context</command-name>\n<command-message>context</command-message>\n<command-args></command-args>',
        },
      ],
      50,
    );
    await call(
      { id: 'agent-explore', parent: undefined },
      [{ type: 'text', text: `${REMINDER}Search the repository for billing tests` }],
      200,
    );
    await call(
      { id: 'agent-read', parent: 'agent-explore' },
      [{ type: 'text', text: 'Read tests/billing.spec.ts' }],
      300,
    );
    await call({ id: 'agent-read', parent: 'agent-explore' }, 'Read src/billing.ts', 400);
  });
  afterAll(async () => {
    await app.close();
    await mock.close();
  });

  const history = async () =>
    eventually(async () => {
      const response = await app.request({
        method: 'GET',
        url: `/api/v1/sessions/${SESSION}/history`,
        headers: owner.auth,
      });
      return response.statusCode === 200 && response.json().data.length === 5 ? response.json().data : undefined;
    });

  it('records what the person typed as the user query; the injected blocks stay only in the stored content', async () => {
    const calls = await history();
    expect(calls.map((c: { userQuery: string }) => c.userQuery)).toEqual([
      'Fix the failing billing test',
      '/context',
      'Search the repository for billing tests',
      'Read tests/billing.spec.ts',
      'Read src/billing.ts',
    ]);
    const [row] = await app.sql<{ content: { request: { content: { text: string }[] }[] } }>(
      `select content from interactions where id = $1`,
      [calls[0].id],
    );
    expect(JSON.stringify(row)).toContain('build-01.internal.acme.example');

    const events = await app.request({
      method: 'GET',
      url: `/api/v1/sessions/${SESSION}/events?limit=10`,
      headers: owner.auth,
    });
    expect(events.statusCode).toBe(200);
    expect(events.body).not.toContain('system-reminder');
    expect(events.body).not.toContain('build-01.internal');
    expect(events.json().turns[0].events[0]).toMatchObject({
      type: 'LLM_PROMPT',
      message: 'Fix the failing billing test',
    });
  });

  it('never shows the injected blocks on a public share, even with content', async () => {
    const shared = await app.request({
      method: 'POST',
      url: `/spotlight/analytics/sessions/${SESSION}/share`,
      headers: { ...owner.auth, host: 'lamplight.example' },
      payload: { include_content: true },
    });
    expect(shared.statusCode).toBe(201);
    const token = shared.json().share_token as string;
    const view = await app.request({ method: 'GET', url: `/spotlight/analytics/sessions/shared/${token}` });
    expect(view.statusCode).toBe(200);
    expect(view.body).toContain('Fix the failing billing test');
    expect(view.body).not.toContain('build-01.internal');
    expect(view.body).not.toContain('system-reminder');
    const page = await app.request({ method: 'GET', url: `/shared/${token}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('build-01.internal');
  });

  it("reads the session's agent tree with each agent's calls, tokens and cost, which add up to the session", async () => {
    const calls = await history();
    const response = await app.request({ method: 'GET', url: `/api/v1/sessions/${SESSION}`, headers: owner.auth });
    expect(response.statusCode).toBe(200);
    const session = response.json();
    expect(session.device.type).toBe('claude-code');
    expect(
      session.agents.map((a: { agentId: string | null; parentAgentId: string | null; calls: number }) => [
        a.agentId,
        a.parentAgentId,
        a.calls,
      ]),
    ).toEqual([
      [null, null, 2],
      ['agent-explore', null, 1],
      ['agent-read', 'agent-explore', 2],
    ]);
    for (const agent of session.agents) {
      const own = calls.filter((c: { agentId: string | null }) => c.agentId === agent.agentId);
      expect(agent.inputTokens).toBe(own.reduce((sum: number, c: { inputTokens: number }) => sum + c.inputTokens, 0));
      expect(agent.costNanoUsd).toBe(
        own.reduce((sum: number, c: { cost: { totalNanoUsd: number } }) => sum + c.cost.totalNanoUsd, 0),
      );
      expect(agent.firstCallAt <= agent.lastCallAt).toBe(true);
    }
    expect(session.agents.map((a: { inputTokens: number }) => a.inputTokens)).toEqual([150, 200, 700]);
    expect(session.agents.reduce((sum: number, a: { costNanoUsd: number }) => sum + a.costNanoUsd, 0)).toBe(
      session.costNanoUsd,
    );
    expect(calls.map((c: { parentAgentId: string | null }) => c.parentAgentId)).toEqual([
      null,
      null,
      null,
      'agent-explore',
      'agent-explore',
    ]);
  });

  it("shows the agent tree with each agent's cost on a public share (JSON and page)", async () => {
    const shared = await app.request({
      method: 'POST',
      url: `/spotlight/analytics/sessions/${SESSION}/share`,
      headers: { ...owner.auth, host: 'lamplight.example' },
      payload: {},
    });
    expect(shared.statusCode).toBeLessThan(300);
    const token = shared.json().share_token as string;
    const detail = (
      await app.request({ method: 'GET', url: `/api/v1/sessions/${SESSION}`, headers: owner.auth })
    ).json();
    const view = (await app.request({ method: 'GET', url: `/spotlight/analytics/sessions/shared/${token}` })).json();
    expect(view.agents).toEqual(
      detail.agents.map(
        (a: {
          agentId: string | null;
          parentAgentId: string | null;
          calls: number;
          inputTokens: number;
          outputTokens: number;
          costUsd: number;
        }) => ({
          agent_id: a.agentId,
          parent_agent_id: a.parentAgentId,
          calls: a.calls,
          input_tokens: a.inputTokens,
          output_tokens: a.outputTokens,
          cost_usd: a.costUsd,
        }),
      ),
    );
    const page = (await app.request({ method: 'GET', url: `/shared/${token}` })).body;
    expect(page).toContain('<h2>Agents</h2>');
    // The subagent sits under the agent that started it, one step further in.
    const explore =
      /<tr data-agent="agent-explore"><td class="text" data-label="Agent" style="padding-left:(\d+)px">/.exec(page);
    const read = /<tr data-agent="agent-read"><td class="text" data-label="Agent" style="padding-left:(\d+)px">/.exec(
      page,
    );
    expect(Number(read![1])).toBeGreaterThan(Number(explore![1]));
    expect(page.indexOf('data-agent="agent-explore"')).toBeLessThan(page.indexOf('data-agent="agent-read"'));
  });
});
