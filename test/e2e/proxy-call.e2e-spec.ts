/**
 * One path for every proxied call: the credentials the access guard read decide the Anthropic key
 * on every route (Messages, count_tokens, models) alike, whatever headers carry them; and the
 * record of a call, from the proxy route or a task, is stamped by the clock.
 */
import fc from 'fast-check';
import type { InjectOptions } from 'light-my-request';
import { setNow } from '../support/analytics-fixtures';
import {
  createTeam,
  flushRecorder,
  PROVIDER_KEY,
  startGateway,
  TASKS,
  type Gateway,
  type Team,
} from '../support/sessions-fixtures';

const SEED = 20261130;
const MESSAGE = { model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };

/** Where each credential goes: the platform key always somewhere; an Anthropic key and a subscription token maybe. */
type Slot = 'x-lamplight-api-key' | 'x-shinzo-api-key' | 'authorization' | 'x-api-key';
const PLATFORM_SLOTS: Slot[] = ['x-lamplight-api-key', 'x-shinzo-api-key', 'authorization', 'x-api-key'];
/** Anthropic keys and subscription tokens the proxy looks for: x-api-key, or a bearer token. */
const CLIENT_SLOTS: Slot[] = ['authorization', 'x-api-key'];

const keyText = fc.stringMatching(/^[A-Za-z0-9_-]{8,40}$/);
const bearer = fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ');

describe('one path for a proxied call', () => {
  let gateway: Gateway;
  let team: Team;

  beforeAll(async () => {
    gateway = await startGateway();
    team = await createTeam(gateway, 'Call Path');
  });
  afterAll(() => gateway.close());
  beforeEach(() => gateway.mock.reset());

  const ROUTES: { name: string; options: InjectOptions }[] = [
    { name: 'messages', options: { method: 'POST', url: '/spotlight/anthropic/v1/messages', payload: MESSAGE } },
    {
      name: 'count_tokens',
      options: { method: 'POST', url: '/spotlight/anthropic/v1/messages/count_tokens', payload: MESSAGE },
    },
    { name: 'models', options: { method: 'GET', url: '/spotlight/anthropic/v1/models' } },
  ];

  it('uses the Anthropic key the client sent, else the stored one, and refuses a subscription token, on every route, wherever the credentials are', async () => {
    const arrangement = fc
      .record({
        route: fc.constantFrom(...ROUTES),
        platformSlot: fc.constantFrom(...PLATFORM_SLOTS),
        platformBearer: bearer,
        clientSlot: fc.option(fc.constantFrom(...CLIENT_SLOTS), { nil: undefined }),
        clientKey: keyText.map((text) => `sk-ant-api03-${text}`),
        clientBearer: bearer,
        tokenSlot: fc.option(fc.constantFrom(...CLIENT_SLOTS), { nil: undefined }),
        token: keyText.map((text) => `sk-ant-oat01-${text}`),
      })
      .filter(
        ({ platformSlot, clientSlot, tokenSlot }) =>
          new Set([platformSlot, clientSlot, tokenSlot].filter(Boolean)).size ===
          [platformSlot, clientSlot, tokenSlot].filter(Boolean).length,
      );

    await fc.assert(
      fc.asyncProperty(arrangement, async (a) => {
        gateway.mock.reset();
        const headers: Record<string, string> = { 'anthropic-version': '2023-06-01' };
        headers[a.platformSlot] = a.platformSlot === 'authorization' ? `${a.platformBearer}${team.key}` : team.key;
        if (a.clientSlot)
          headers[a.clientSlot] = a.clientSlot === 'authorization' ? `${a.clientBearer}${a.clientKey}` : a.clientKey;
        if (a.tokenSlot) headers[a.tokenSlot] = a.tokenSlot === 'authorization' ? `Bearer ${a.token}` : a.token;

        const response = await gateway.app.request({ ...a.route.options, headers });
        if (a.tokenSlot) {
          expect(response.statusCode).toBe(403);
          expect(response.json()).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
          expect(gateway.mock.requests).toHaveLength(0);
          return;
        }
        expect(response.statusCode).toBe(200);
        expect(gateway.mock.requests).toHaveLength(1);
        const sent = gateway.mock.requests[0].headers;
        expect(sent['x-api-key']).toBe(a.clientSlot ? a.clientKey : PROVIDER_KEY);
        // Nothing else of the client's credentials goes upstream, least of all the platform key.
        expect(sent.authorization).toBeUndefined();
        expect(sent['x-lamplight-api-key']).toBeUndefined();
        expect(sent['x-shinzo-api-key']).toBeUndefined();
        expect(JSON.stringify(sent)).not.toContain(team.key);
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('stamps the record of a proxied call and of a task with the clock', async () => {
    // A fixed instant in the current month (interactions are partitioned by month).
    const instant = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const restore = setNow(gateway.app, instant);
    try {
      const proxied = await gateway.app.request({
        method: 'POST',
        url: '/spotlight/anthropic/v1/messages',
        headers: { 'x-api-key': team.key, 'anthropic-version': '2023-06-01', 'x-lamplight-session-id': 'clocked' },
        payload: MESSAGE,
      });
      expect(proxied.statusCode).toBe(200);
      const task = await gateway.app.request({
        method: 'POST',
        url: TASKS,
        headers: { ...team.owner.auth, ...team.orgHeaders },
        payload: { query: 'What time is it?', session_id: 'clocked-task' },
      });
      expect(task.statusCode).toBe(201);
      await flushRecorder(gateway);
      const rows = await gateway.app.sql<{ external_id: string; started_at: Date; ended_at: Date }>(
        `select s.external_id, i.started_at, i.ended_at from interactions i join sessions s on s.id = i.session_id
         where i.organization_id = $1 and s.external_id in ('clocked', 'clocked-task') order by s.external_id`,
        [team.organizationId],
      );
      expect(rows.map((row) => [row.external_id, row.started_at.toISOString(), row.ended_at.toISOString()])).toEqual([
        ['clocked', instant.toISOString(), instant.toISOString()],
        ['clocked-task', instant.toISOString(), instant.toISOString()],
      ]);
      expect(task.json<{ created_at: string }>().created_at).toBe(instant.toISOString());
    } finally {
      restore();
    }
  });
});
