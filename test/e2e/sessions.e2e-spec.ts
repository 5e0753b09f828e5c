import type Anthropic from '@anthropic-ai/sdk';
import { request as httpRequest } from 'undici';
import { CSV_COLUMNS } from '../../src/modules/sessions/session-export';
import {
  ask,
  createTeam,
  getAs,
  insertInteraction,
  insertSessions,
  interactionRows,
  parseCsv,
  SDK_DEVICE,
  sdk,
  sessionRow,
  sessionRows,
  sessionWithCalls,
  SESSIONS,
  startGateway,
  type Gateway,
  type SessionRow,
  type Team,
} from '../support/sessions-fixtures';
import { expectFieldErrors, expectProblem } from '../support/tenancy-fixtures';
import type { LooseRecord } from '../support/test-app';

/** claude-opus-4-5, per call: 100·5000 + 20·25000 + 30·500 + 5·6250 + 7·10000 nano-USD. */
const PRICED =
  'MOCK:{"usage":{"input_tokens":100,"output_tokens":20,"cache_read_input_tokens":30,"ephemeral_5m_input_tokens":5,"ephemeral_1h_input_tokens":7}} hello';
const PRICED_CALL_NANO_USD = 1_116_250;

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

/** The session as the API should show it, from its row. */
function expectedSession(row: SessionRow, device: Record<string, string>) {
  const n = (value: string) => Number(value);
  const tokens =
    n(row.input_tokens) +
    n(row.output_tokens) +
    n(row.cache_read_tokens) +
    n(row.cache_write5m_tokens) +
    n(row.cache_write1h_tokens);
  return {
    id: row.id,
    organization: row.organization_id,
    user: row.user_id,
    device,
    createdAt: iso(row.created_at),
    releasedAt: iso(row.released_at),
    externalId: row.external_id,
    title: row.title,
    taskCount: n(row.request_count),
    tokensUsed: tokens,
    tokenBudget: row.token_budget === null ? null : n(row.token_budget),
    lastActivityAt: iso(row.last_activity_at),
    costUsd: n(row.cost_nano_usd) / 1e9,
    costNanoUsd: n(row.cost_nano_usd),
    unpricedRequests: n(row.unpriced_requests),
    inputTokens: n(row.input_tokens),
    outputTokens: n(row.output_tokens),
    cacheReadTokens: n(row.cache_read_tokens),
    cacheWrite5mTokens: n(row.cache_write5m_tokens),
    cacheWrite1hTokens: n(row.cache_write1h_tokens),
    errorRequests: n(row.error_requests),
    models: row.models,
  };
}

/** An interaction as history shows it, from its row. */
function expectedInteraction(row: LooseRecord) {
  const nano = (value: string | null) => (value === null ? null : Number(value));
  const total = nano(row.cost_total_nano_usd);
  return {
    id: row.id,
    model: row.model,
    stream: row.stream,
    outcome: row.outcome,
    httpStatus: row.http_status,
    stopReason: row.stop_reason,
    errorType: row.error_type,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    cacheReadTokens: row.cache_read_tokens,
    cacheWrite5mTokens: row.cache_write5m_tokens,
    cacheWrite1hTokens: row.cache_write1h_tokens,
    totalTokens:
      row.input_tokens +
      row.output_tokens +
      row.cache_read_tokens +
      row.cache_write5m_tokens +
      row.cache_write1h_tokens,
    cost:
      total === null
        ? null
        : {
            inputNanoUsd: nano(row.cost_input_nano_usd),
            outputNanoUsd: nano(row.cost_output_nano_usd),
            cacheReadNanoUsd: nano(row.cost_cache_read_nano_usd),
            cacheWrite5mNanoUsd: nano(row.cost_cache_write5m_nano_usd),
            cacheWrite1hNanoUsd: nano(row.cost_cache_write1h_nano_usd),
            toolsNanoUsd: nano(row.cost_tools_nano_usd),
            multipliersNanoUsd: nano(row.cost_multipliers_nano_usd),
            totalNanoUsd: total,
            breakdown: row.cost_breakdown,
          },
    costUsd: total === null ? null : total / 1e9,
    pricingVersion: row.pricing_version,
    usage: row.usage,
    latencyMs: row.latency_ms,
    timeToFirstTokenMs: row.time_to_first_token_ms,
    upstreamRequestId: row.upstream_request_id,
    agentId: row.agent_id,
    parentAgentId: row.parent_agent_id,
    userQuery: row.user_query,
    finalOutput: row.final_output,
    contentTruncated: row.content_truncated,
    contentStatus: row.content_status,
    startedAt: row.started_at.toISOString(),
    endedAt: row.ended_at.toISOString(),
  };
}

describe('sessions: reading', () => {
  let gateway: Gateway;
  let team: Team;
  let client: Anthropic;

  beforeAll(async () => {
    gateway = await startGateway();
    team = await createTeam(gateway, 'Readers');
    client = sdk(gateway, { key: team.key });
  });
  afterAll(() => gateway.close());

  const get = (url: string) => getAs(gateway, team.owner, team.organizationId, url);

  describe('GET /api/v1/sessions', () => {
    it("lists sessions made through the proxy, newest first, in the list envelope with each session's facts", async () => {
      const listers = await createTeam(gateway, 'Listers');
      const listerClient = sdk(gateway, { key: listers.key });
      await ask(listerClient, 'list-a', PRICED, { model: 'claude-opus-4-5' });
      await ask(listerClient, 'list-a', PRICED, { model: 'claude-opus-4-5' });
      const [a] = await sessionRows(gateway, listers.organizationId, 'list-a');
      await interactionRows(gateway, a.id, 2);
      // A client that says nothing about itself: no SDK headers at all.
      const bare = await httpRequest(`${gateway.baseURL}/spotlight/anthropic/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': listers.key, 'x-lamplight-session-id': 'list-b' },
        body: JSON.stringify({
          model: 'claude-sonnet-4-6',
          max_tokens: 16,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
      expect(bare.statusCode).toBe(200);
      await bare.body.dump();
      const [b] = await sessionRows(gateway, listers.organizationId, 'list-b');
      await interactionRows(gateway, b.id, 1);

      const response = await getAs(gateway, listers.owner, listers.organizationId, SESSIONS);
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(Object.keys(body).sort()).toEqual(['data', 'object']);
      expect(body.object).toBe('list');
      const rowA = await sessionRow(gateway, a.id);
      const rowB = await sessionRow(gateway, b.id);
      expect(body.data).toEqual([
        expectedSession(rowB, {
          id: 'unknown',
          platform: 'unknown',
          type: 'unknown',
          name: expect.any(String),
          osVersion: 'unknown',
        }),
        expectedSession(rowA, SDK_DEVICE),
      ]);
      // The running totals, checked against the calls themselves rather than against the row.
      expect(body.data[1]).toMatchObject({
        externalId: 'list-a',
        user: listers.owner.id,
        organization: listers.organizationId,
        taskCount: 2,
        tokensUsed: 2 * (100 + 20 + 30 + 5 + 7),
        costNanoUsd: 2 * PRICED_CALL_NANO_USD,
        costUsd: 0.0022325,
        inputTokens: 200,
        outputTokens: 40,
        cacheReadTokens: 60,
        cacheWrite5mTokens: 10,
        cacheWrite1hTokens: 14,
        title: null,
        tokenBudget: null,
        releasedAt: null,
      });

      // The same through an API key (read scope), and the single session by either id.
      const byKey = await gateway.app.request({
        method: 'GET',
        url: SESSIONS,
        headers: { 'x-lamplight-api-key': listers.key },
      });
      expect(byKey.json()).toEqual(body);
      for (const id of [a.id, 'list-a', a.id.toUpperCase()]) {
        const one = await getAs(gateway, listers.member, listers.organizationId, `${SESSIONS}/${id}`);
        expect(one.statusCode).toBe(200);
        // The single session adds its agents: here one, the calls that named none, with the session's totals.
        expect(one.json()).toEqual({
          ...body.data[1],
          agents: [
            {
              agentId: null,
              parentAgentId: null,
              calls: 2,
              inputTokens: 200,
              outputTokens: 40,
              cacheReadTokens: 60,
              cacheWrite5mTokens: 10,
              cacheWrite1hTokens: 14,
              costNanoUsd: 2 * PRICED_CALL_NANO_USD,
              costUsd: 0.0022325,
              unpricedRequests: 0,
              firstCallAt: expect.any(String),
              lastCallAt: expect.any(String),
            },
          ],
        });
      }
    });

    it('pages 1,000 sessions that share one creation time, by cursor and by offset, each exactly once', async () => {
      const pager = await createTeam(gateway, 'Pager');
      const shared = '2026-03-04T05:06:07.123456Z';
      await insertSessions(gateway, {
        organizationId: pager.organizationId,
        userId: pager.owner.id,
        count: 1000,
        createdAt: shared,
        prefix: 'same',
      });
      await insertSessions(gateway, {
        organizationId: pager.organizationId,
        userId: pager.owner.id,
        count: 3,
        createdAt: '2026-03-04T05:06:07.123457Z',
        prefix: 'newer',
      });
      await insertSessions(gateway, {
        organizationId: pager.organizationId,
        userId: pager.owner.id,
        count: 3,
        createdAt: '2026-03-04T05:06:07.123455Z',
        prefix: 'older',
      });
      const expected = (
        await gateway.app.sql<{ id: string }>(
          `select id from sessions where organization_id = $1 order by created_at desc, id desc`,
          [pager.organizationId],
        )
      ).map((row) => row.id);
      expect(expected).toHaveLength(1006);
      const list = (query: string) => getAs(gateway, pager.owner, pager.organizationId, `${SESSIONS}?${query}`);

      const byCursor: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const response = await list(`limit=100${cursor ? `&before=${encodeURIComponent(cursor)}` : ''}`);
        expect(response.statusCode).toBe(200);
        const body = response.json();
        expect(body.totalCount).toBeUndefined();
        byCursor.push(...body.data.map((s: { id: string }) => s.id));
        cursor = body.nextCursor;
        pages += 1;
        if (cursor === undefined) expect(body).not.toHaveProperty('nextCursor');
      } while (cursor !== undefined && pages < 20);
      expect(pages).toBe(11);
      expect(byCursor).toEqual(expected);

      const byOffset: string[] = [];
      for (let offset = 0; offset < 1006; offset += 100) {
        const body = (await list(`limit=100&offset=${offset}`)).json();
        expect(body.totalCount).toBe(1006);
        byOffset.push(...body.data.map((s: { id: string }) => s.id));
      }
      expect(byOffset).toEqual(expected);
      expect(new Set(byOffset).size).toBe(1006);

      // The largest page, then the rest; the default page is 100.
      const big = (await list('limit=500')).json();
      expect(big.data).toHaveLength(500);
      const rest = (await list(`limit=500&before=${encodeURIComponent(big.nextCursor)}`)).json();
      const last = (await list(`limit=500&before=${encodeURIComponent(rest.nextCursor)}`)).json();
      expect([...big.data, ...rest.data, ...last.data].map((s: { id: string }) => s.id)).toEqual(expected);
      expect(last).not.toHaveProperty('nextCursor');
      expect((await list('')).json().data).toHaveLength(100);

      // A plain RFC 3339 `before` is strictly-before on the creation time.
      const beforeShared = (await list(`before=${encodeURIComponent(shared)}`)).json();
      expect(beforeShared.data.map((s: { externalId: string }) => s.externalId).sort()).toEqual([
        'older-0001',
        'older-0002',
        'older-0003',
      ]);
      expect(beforeShared).not.toHaveProperty('nextCursor');
      const beforeNewer = (
        await list(`limit=500&before=${encodeURIComponent('2026-03-04T06:06:07.123457+01:00')}`)
      ).json();
      expect(beforeNewer.data.map((s: { id: string }) => s.id)).toEqual(expected.slice(3, 503));
    });

    it('filters by external id, by text in the title or external id, and by creation range', async () => {
      const filters = await createTeam(gateway, 'Filters');
      const insert = (prefix: string, createdAt: string, title?: string) =>
        insertSessions(gateway, {
          organizationId: filters.organizationId,
          userId: filters.owner.id,
          count: 1,
          createdAt,
          prefix,
          title,
        });
      const [alpha] = await insert('alpha', '2026-01-01T00:00:00Z', 'Refactor BILLING');
      const [beta] = await insert('beta', '2026-02-01T00:00:00Z', '100% done_now');
      const [gamma] = await insert('gamma-billing', '2026-03-01T00:00:00Z');
      const ids = async (query: string) => {
        const response = await getAs(gateway, filters.owner, filters.organizationId, `${SESSIONS}?${query}`);
        expect(response.statusCode).toBe(200);
        return response.json().data.map((s: { id: string }) => s.id);
      };
      expect(await ids('externalId=alpha-0001')).toEqual([alpha]);
      expect(await ids('externalId=alpha')).toEqual([]);
      expect(await ids('q=billing')).toEqual([gamma, alpha]);
      expect(await ids(`q=${encodeURIComponent('%')}`)).toEqual([beta]);
      expect(await ids(`q=${encodeURIComponent('e_n')}`)).toEqual([beta]);
      expect(await ids(`q=${encodeURIComponent('_')}`)).toEqual([beta]);
      expect(await ids('createdAfter=2026-02-01T00:00:00Z')).toEqual([gamma, beta]);
      expect(await ids('createdBefore=2026-02-01T00:00:00Z')).toEqual([alpha]);
      expect(await ids('createdAfter=2026-01-15T00:00:00Z&createdBefore=2026-02-15T00:00:00Z')).toEqual([beta]);
      const counted = await getAs(
        gateway,
        filters.owner,
        filters.organizationId,
        `${SESSIONS}?q=billing&offset=1&limit=1`,
      );
      expect(counted.json()).toMatchObject({ totalCount: 2, data: [{ id: alpha }] });
      expect(counted.json()).not.toHaveProperty('nextCursor');
    });

    it.each([
      ['limit=0', ['limit']],
      ['limit=501', ['limit']],
      ['limit=abc', ['limit']],
      ['limit=1.5', ['limit']],
      ['offset=-1', ['offset']],
      ['createdAfter=yesterday', ['createdAfter']],
      ['createdBefore=2026-02-30T00:00:00Z', ['createdBefore']],
      ['externalId=', ['externalId']],
      ['q=%00', ['q']],
      ['organizationId=x', ['organizationId']],
    ])('refuses %s with 400 naming the field', async (query, fields) => {
      expectFieldErrors(await get(`${SESSIONS}?${query}`), fields);
    });

    it.each([
      ['before=not-a-cursor', 'INVALID_CURSOR'],
      [`before=${Buffer.from('v1|2026-01-01T00:00:00.000000Z|not-a-uuid').toString('base64url')}`, 'INVALID_CURSOR'],
      [
        `before=${Buffer.from('v1|2026-02-30T00:00:00.000000Z|6f1c3a9e-8a4e-4f53-9a57-0d2f6f0b9c11').toString('base64url')}`,
        'INVALID_CURSOR',
      ],
      ['before=2026-01-01T00:00:00Z&offset=0', 'CURSOR_WITH_OFFSET'],
    ])('refuses %s with 400 %s', async (query, code) => {
      expectProblem(await get(`${SESSIONS}?${query}`), 400, code);
    });
  });

  describe('GET /api/v1/sessions/{sessionId}', () => {
    it('fills every device field, "unknown" where the client said nothing, and shows releasedAt', async () => {
      const [id] = await insertSessions(gateway, {
        organizationId: team.organizationId,
        userId: team.owner.id,
        count: 1,
        createdAt: '2026-01-01T00:00:00Z',
        prefix: 'device',
      });
      await gateway.app.sql(
        `update sessions set device = '{"platform":"Windows","name":"","id":42}'::jsonb, released_at = now() where id = $1`,
        [id],
      );
      const response = await get(`${SESSIONS}/device-0001`);
      expect(response.statusCode).toBe(200);
      const row = await sessionRow(gateway, id);
      expect(response.json()).toEqual({
        ...expectedSession(row, {
          id: 'unknown',
          platform: 'Windows',
          type: 'unknown',
          name: 'unknown',
          osVersion: 'unknown',
        }),
        agents: [],
      });
      expect(response.json().releasedAt).toBe(row.released_at!.toISOString());
    });

    it('finds an external id with a slash, and answers 404 for an unknown id of either form', async () => {
      await ask(client, 'team/alpha', 'hi');
      const [row] = await sessionRows(gateway, team.organizationId, 'team/alpha');
      expect((await get(`${SESSIONS}/${encodeURIComponent('team/alpha')}`)).json()).toMatchObject({
        id: row.id,
        externalId: 'team/alpha',
      });
      expectProblem(await get(`${SESSIONS}/no-such-session`), 404, 'SESSION_NOT_FOUND');
      expectProblem(await get(`${SESSIONS}/6f1c3a9e-8a4e-4f53-9a57-0d2f6f0b9c11`), 404, 'SESSION_NOT_FOUND');
      expectProblem(await get(`${SESSIONS}/${'x'.repeat(300)}`), 404, 'SESSION_NOT_FOUND');
      expectProblem(await get(`${SESSIONS}/bad%00id`), 404, 'SESSION_NOT_FOUND');
    });

    it('answers 401 without credentials', async () => {
      expectProblem(await gateway.app.request({ method: 'GET', url: SESSIONS }), 401);
      expectProblem(await gateway.app.request({ method: 'GET', url: `${SESSIONS}/anything/history` }), 401);
    });
  });

  describe('GET /api/v1/sessions/{sessionId}/history', () => {
    it('returns every interaction, oldest first, with its execution details', async () => {
      await ask(client, 'history-session', PRICED, { model: 'claude-opus-4-5' });
      await ask(client, 'history-session', 'agent at work', { headers: { 'x-claude-code-agent-id': 'agent-7' } });
      await expect(ask(client, 'history-session', 'MOCK:{"status":400,"errorMessage":"no"} refused')).rejects.toThrow();
      await ask(client, 'history-session', 'unpriced', { model: 'claude-from-the-future' });
      const [session] = await sessionRows(gateway, team.organizationId, 'history-session');
      const rows = await interactionRows(gateway, session.id, 4);

      const response = await get(`${SESSIONS}/history-session/history`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        object: 'list',
        sessionId: session.id,
        externalId: 'history-session',
        totalCount: 4,
        data: rows.map(expectedInteraction),
      });
      const [priced, agent, refused, unpriced] = response.json().data;
      expect(priced).toMatchObject({
        outcome: 'ok',
        httpStatus: 200,
        stopReason: 'end_turn',
        totalTokens: 162,
        cost: { totalNanoUsd: PRICED_CALL_NANO_USD, outputNanoUsd: 500_000 },
        userQuery: PRICED,
      });
      expect(priced.timeToFirstTokenMs).not.toBeNull();
      expect(priced.upstreamRequestId).toMatch(/^req_/);
      expect(agent.agentId).toBe('agent-7');
      expect(refused).toMatchObject({
        outcome: 'error',
        httpStatus: 400,
        errorType: 'invalid_request_error',
        finalOutput: null,
      });
      expect(unpriced).toMatchObject({ cost: null, costUsd: null });

      const paged = (await get(`${SESSIONS}/${session.id}/history?limit=2&offset=1`)).json();
      expect(paged.data.map((i: { id: string }) => i.id)).toEqual([rows[1].id, rows[2].id]);
      expect(paged.totalCount).toBe(4);
      expectFieldErrors(await get(`${SESSIONS}/${session.id}/history?limit=0`), ['limit']);
      expectFieldErrors(await get(`${SESSIONS}/${session.id}/history?limit=1001`), ['limit']);
      expectFieldErrors(await get(`${SESSIONS}/${session.id}/history?offset=-1`), ['offset']);
      expectProblem(await get(`${SESSIONS}/nobody/history`), 404, 'SESSION_NOT_FOUND');
    });
  });

  describe('GET /api/v1/sessions/{sessionId}/events', () => {
    let session: SessionRow;
    let rows: LooseRecord[];

    beforeAll(async () => {
      const id = 'events-session';
      const tools = [
        {
          name: 'get_weather',
          description: 'Weather',
          input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } },
        },
      ];
      const call = (system: string, messages: Anthropic.MessageParam[], headers: Record<string, string> = {}) =>
        client.messages.create(
          { model: 'claude-sonnet-4-6', max_tokens: 64, system, tools, messages },
          { headers: { 'x-lamplight-session-id': id, ...headers } },
        );
      await call('MOCK:{"text":"2 + 2 equals 4."}', [{ role: 'user', content: 'What is 2+2?' }]);
      const toolTurn = await call(
        'MOCK:{"text":"Let me check.","toolUse":{"name":"get_weather","input":{"city":"Paris"},"id":"toolu_01A"}}',
        [
          { role: 'user', content: 'What is 2+2?' },
          { role: 'assistant', content: '2 + 2 equals 4.' },
          { role: 'user', content: 'Weather in Paris?' },
        ],
      );
      await call(
        'MOCK:{"text":"It is 18°C and sunny in Paris."}',
        [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: toolTurn.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A', content: '18°C and sunny' }] },
        ],
        { 'x-claude-code-agent-id': 'weather-agent' },
      );
      await expect(call('MOCK:{"status":400}', [{ role: 'user', content: 'Break, please' }])).rejects.toThrow();
      // A stream that breaks after some text: what it sent is partial and never shown as output.
      const broken = await httpRequest(`${gateway.baseURL}/spotlight/anthropic/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': team.key, 'x-lamplight-session-id': id },
        body: JSON.stringify({
          model: 'claude-sonnet-4-6',
          max_tokens: 64,
          stream: true,
          system: 'MOCK:{"errorEventAfterFrames":4,"text":"partial words here now"}',
          messages: [{ role: 'user', content: 'Stream, then fail' }],
        }),
      });
      await broken.body.text();
      [session] = await sessionRows(gateway, team.organizationId, id);
      rows = await interactionRows(gateway, session.id, 5);
    });

    it('groups the conversation by turn with prompts, outputs, tool calls, tool results and errors', async () => {
      const response = await get(`${SESSIONS}/events-session/events`);
      expect(response.statusCode).toBe(200);
      const at = (i: number, field: 'started_at' | 'ended_at') => (rows[i][field] as Date).toISOString();
      const event = (i: number, type: string, message: string, field: 'started_at' | 'ended_at') => ({
        workflow_id: rows[i].id,
        type,
        message,
        timestamp: at(i, field),
      });
      const metadata = (i: number, agents: string[] = []) => ({
        tokens_used:
          rows[i].input_tokens +
          rows[i].output_tokens +
          rows[i].cache_read_tokens +
          rows[i].cache_write5m_tokens +
          rows[i].cache_write1h_tokens,
        execution_time_ms: rows[i].latency_ms,
        agents_involved: agents,
        parent_agent_id: null,
        cost_usd: rows[i].cost_total_nano_usd === null ? null : Number(rows[i].cost_total_nano_usd) / 1e9,
        cost_breakdown: rows[i].cost_breakdown,
      });
      expect(rows[4].final_output).toBeTruthy(); // the broken stream's partial text is in the row…
      expect(rows[4].content.response).toEqual([expect.objectContaining({ type: 'text' })]);
      expect(response.json()).toEqual({
        session_id: 'events-session',
        count: 5,
        turns: [
          {
            turn: 1,
            task_id: rows[0].id,
            user_query: 'What is 2+2?',
            final_output: '2 + 2 equals 4.',
            timestamp: at(0, 'started_at'),
            events: [
              event(0, 'LLM_PROMPT', 'What is 2+2?', 'started_at'),
              event(0, 'LLM_OUTPUT', '2 + 2 equals 4.', 'ended_at'),
            ],
            metadata: metadata(0),
          },
          {
            turn: 2,
            task_id: rows[1].id,
            user_query: 'Weather in Paris?',
            final_output: 'Let me check.',
            timestamp: at(1, 'started_at'),
            events: [
              event(1, 'LLM_PROMPT', 'Weather in Paris?', 'started_at'),
              event(1, 'LLM_OUTPUT', 'Let me check.', 'ended_at'),
              event(1, 'TOOL_USE', 'get_weather {"city":"Paris"}', 'ended_at'),
            ],
            metadata: metadata(1),
          },
          {
            turn: 3,
            task_id: rows[2].id,
            user_query: null,
            final_output: 'It is 18°C and sunny in Paris.',
            timestamp: at(2, 'started_at'),
            events: [
              event(2, 'TOOL_RESULT', '18°C and sunny', 'started_at'),
              event(2, 'LLM_OUTPUT', 'It is 18°C and sunny in Paris.', 'ended_at'),
            ],
            metadata: metadata(2, ['weather-agent']),
          },
          {
            turn: 4,
            task_id: rows[3].id,
            user_query: 'Break, please',
            final_output: null,
            timestamp: at(3, 'started_at'),
            events: [
              event(3, 'LLM_PROMPT', 'Break, please', 'started_at'),
              event(3, 'ERROR', 'Anthropic refused the request: invalid_request_error (HTTP 400)', 'ended_at'),
            ],
            metadata: metadata(3),
          },
          {
            turn: 5,
            task_id: rows[4].id,
            user_query: 'Stream, then fail',
            final_output: null, // …but a call that did not complete has no final output
            timestamp: at(4, 'started_at'),
            events: [
              event(4, 'LLM_PROMPT', 'Stream, then fail', 'started_at'),
              event(4, 'ERROR', 'Anthropic failed: overloaded_error (HTTP 200)', 'ended_at'),
            ],
            metadata: metadata(4),
          },
        ],
      });
    });

    it('pages turns with global turn numbers, echoes the id it was given, and checks limit and offset', async () => {
      const page = (await get(`${SESSIONS}/${session.id}/events?limit=2&offset=2`)).json();
      expect(page.session_id).toBe(session.id);
      expect(page.count).toBe(2);
      expect(page.turns.map((t: { turn: number; task_id: string }) => [t.turn, t.task_id])).toEqual([
        [3, rows[2].id],
        [4, rows[3].id],
      ]);
      expect((await get(`${SESSIONS}/${session.id}/events?offset=5`)).json()).toEqual({
        session_id: session.id,
        count: 0,
        turns: [],
      });
      expectFieldErrors(await get(`${SESSIONS}/${session.id}/events?limit=0`), ['limit']);
      expectFieldErrors(await get(`${SESSIONS}/${session.id}/events?limit=101`), ['limit']);
      expectFieldErrors(await get(`${SESSIONS}/${session.id}/events?offset=-1`), ['offset']);
      expectProblem(await get(`${SESSIONS}/nobody/events`), 404, 'SESSION_NOT_FOUND');
    });

    it('returns 10 turns by default, at most 100, and falls back to the first LLM_OUTPUT for final_output', async () => {
      const [id] = await insertSessions(gateway, {
        organizationId: team.organizationId,
        userId: team.owner.id,
        count: 1,
        createdAt: '2026-01-01T00:00:00Z',
        prefix: 'many',
      });
      const target = await sessionRow(gateway, id);
      await insertInteraction(gateway, target, {
        startedAt: '2026-01-01T00:00:01Z',
        userQuery: 'q',
        finalOutput: null,
        content: {
          request: [{ role: 'user', content: 'q' }],
          response: [
            { type: 'text', text: 'from the blocks' },
            { type: 'text', text: 'second' },
          ],
        },
      });
      await insertInteraction(gateway, target, {
        startedAt: '2026-01-01T00:00:02Z',
        userQuery: 'stored only',
        finalOutput: 'answer only',
      });
      for (let n = 3; n <= 105; n++) {
        await insertInteraction(gateway, target, {
          startedAt: `2026-01-01T00:${String(Math.floor(n / 60)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}Z`,
          userQuery: `q${n}`,
        });
      }
      const first = (await get(`${SESSIONS}/many-0001/events`)).json();
      expect(first.count).toBe(10);
      expect(first.turns.map((t: { turn: number }) => t.turn)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(first.turns[0]).toMatchObject({
        final_output: 'from the blocks',
        events: [
          { type: 'LLM_PROMPT', message: 'q' },
          { type: 'LLM_OUTPUT', message: 'from the blocks' },
          { type: 'LLM_OUTPUT', message: 'second' },
        ],
      });
      expect(first.turns[1]).toMatchObject({
        final_output: 'answer only',
        events: [
          { type: 'LLM_PROMPT', message: 'stored only' },
          { type: 'LLM_OUTPUT', message: 'answer only' },
        ],
      });
      const most = (await get(`${SESSIONS}/many-0001/events?limit=100&offset=5`)).json();
      expect(most.count).toBe(100);
      expect(most.turns[0].turn).toBe(6);
      expect(most.turns[99]).toMatchObject({ turn: 105, user_query: 'q105' });
    });
  });

  describe('GET /api/v1/sessions/{sessionId}/export', () => {
    const tricky = 'comma, "quotes"\nand a new line';
    const formula = '=HYPERLINK("http://evil.example")';
    let session: SessionRow;
    let rows: LooseRecord[];

    beforeAll(async () => {
      session = await sessionWithCalls(gateway, client, team.organizationId, 'export-session', [
        'plain',
        tricky,
        formula,
      ]);
      rows = await interactionRows(gateway, session.id, 3);
    });

    it('streams JSON Lines: every interaction with its details and content', async () => {
      const response = await get(`${SESSIONS}/export-session/export?format=jsonl`);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
      expect(response.headers['content-disposition']).toBe(`attachment; filename="session-${session.id}.jsonl"`);
      expect(response.body.endsWith('\n')).toBe(true);
      const lines = response.body
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines).toEqual(
        rows.map((row) => ({ ...expectedInteraction(row), sessionId: session.id, content: row.content })),
      );
      expect(lines[1].userQuery).toBe(tricky);
      // jsonl is the default format
      expect((await get(`${SESSIONS}/${session.id}/export`)).body).toBe(response.body);
    });

    it('streams CSV, properly quoted, with spreadsheet formulas defused', async () => {
      const response = await get(`${SESSIONS}/export-session/export?format=csv`);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(response.headers['content-disposition']).toBe(`attachment; filename="session-${session.id}.csv"`);
      const [header, ...records] = parseCsv(response.body);
      expect(header).toEqual([...CSV_COLUMNS]);
      expect(records).toHaveLength(3);
      const column = (record: string[], name: (typeof CSV_COLUMNS)[number]) => record[CSV_COLUMNS.indexOf(name)];
      records.forEach((record, i) => {
        const expected = expectedInteraction(rows[i]);
        expect(column(record, 'id')).toBe(expected.id);
        expect(column(record, 'inputTokens')).toBe(String(expected.inputTokens));
        expect(column(record, 'costUsd')).toBe(String(expected.costUsd));
        expect(column(record, 'startedAt')).toBe(expected.startedAt);
        expect(column(record, 'stream')).toBe('false');
        expect(column(record, 'timeToFirstTokenMs')).toBe(String(expected.timeToFirstTokenMs));
        expect(column(record, 'stopReason')).toBe('end_turn');
        expect(column(record, 'agentId')).toBe('');
      });
      expect(column(records[1], 'userQuery')).toBe(tricky);
      expect(column(records[2], 'userQuery')).toBe(`'${formula}`);
      expect(response.body).toContain('"comma, ""quotes""\nand a new line"');
    });

    it('exports a session of many interactions sharing one start time, each exactly once', async () => {
      const [id] = await insertSessions(gateway, {
        organizationId: team.organizationId,
        userId: team.owner.id,
        count: 1,
        createdAt: '2026-01-01T00:00:00Z',
        prefix: 'bulk',
      });
      const target = await sessionRow(gateway, id);
      const ids: string[] = [];
      for (let n = 0; n < 250; n++)
        ids.push(
          await insertInteraction(gateway, target, { startedAt: '2026-05-06T07:08:09.123456Z', userQuery: `q${n}` }),
        );
      ids.push(
        await insertInteraction(gateway, target, { startedAt: '2026-05-06T07:08:09.123457Z', userQuery: 'last' }),
      );
      const jsonl = (await get(`${SESSIONS}/bulk-0001/export?format=jsonl`)).body
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(jsonl).toHaveLength(251);
      expect(
        jsonl
          .map((i: { id: string }) => i.id)
          .slice(0, 250)
          .sort(),
      ).toEqual(ids.slice(0, 250).sort());
      expect(jsonl[250]).toMatchObject({ id: ids[250], userQuery: 'last' });
      const csv = parseCsv((await get(`${SESSIONS}/bulk-0001/export?format=csv`)).body);
      expect(csv).toHaveLength(252);
      expect(new Set(csv.slice(1).map((record) => record[0])).size).toBe(251);
    });

    it('refuses an unknown format and an unknown session', async () => {
      expectFieldErrors(await get(`${SESSIONS}/export-session/export?format=xml`), ['format']);
      expectProblem(await get(`${SESSIONS}/nobody/export`), 404, 'SESSION_NOT_FOUND');
    });
  });
});
