import fc from 'fast-check';
import {
  ask,
  createTeam,
  interactionRows,
  sdk,
  sessionRows,
  SESSIONS,
  startGateway,
  type Gateway,
  type Team,
} from '../support/sessions-fixtures';
import { expectProblem, orgHeader } from '../support/tenancy-fixtures';

const CLAUDE_CODE = { 'user-agent': 'claude-cli/2.1.332 (external, cli)' };
const HAIKU = 'claude-haiku-4-5';
const SONNET = 'claude-sonnet-4-6';

interface Listed {
  id: string;
  externalId: string;
  user: string;
  organization: string;
  models: string[];
  errorRequests: number;
  costNanoUsd: number;
  tokensUsed: number;
  device: { type: string };
  deletedAt?: string;
}

/**
 * The sessions list's filters (member, model, outcome, client), orders (cost, tokens) with their
 * cursors, and the admins' list of deleted sessions; every filter reads session columns the
 * recorder keeps, and another organization's sessions, built to match the same filters, never show.
 */
describe('sessions: list filters, orders and the deleted list', () => {
  let gateway: Gateway;
  let a: Team;
  let b: Team;
  const ids: Record<string, string> = {};

  /** Calls in a session; a `MOCK:{"status":400}` text makes an upstream error (the SDK's throw is expected). */
  const calls = async (
    client: ReturnType<typeof sdk>,
    externalId: string,
    texts: string[],
    options: { model?: string } = {},
  ) => {
    for (const text of texts) await ask(client, externalId, text, options).catch(() => undefined);
  };
  const recorded = async (team: Team, externalId: string, count: number) => {
    const [row] = await sessionRows(gateway, team.organizationId, externalId);
    await interactionRows(gateway, row.id, count);
    return row.id;
  };

  beforeAll(async () => {
    gateway = await startGateway();
    a = await createTeam(gateway, 'Filters Alpha');
    b = await createTeam(gateway, 'Filters Bravo');
    const aKey = sdk(gateway, { key: a.key });
    const aCode = sdk(gateway, { key: a.key }, CLAUDE_CODE);
    const aMember = sdk(gateway, { user: a.member, organizationId: a.organizationId });
    await calls(aCode, 'code-ok', ['first', 'second answer please']);
    await calls(aMember, 'member-haiku', ['hello', 'MOCK:{"status":400} broken'], { model: HAIKU });
    await calls(aKey, 'sdk-mixed', ['one']);
    await calls(aKey, 'sdk-mixed', ['two'], { model: HAIKU });
    // Bravo: the same external ids, models, clients and errors, so every filter would match them.
    const bCode = sdk(gateway, { key: b.key }, CLAUDE_CODE);
    const bMember = sdk(gateway, { user: b.member, organizationId: b.organizationId });
    await calls(bCode, 'code-ok', ['MOCK:{"status":400} bravo'], { model: HAIKU });
    await calls(bMember, 'member-haiku', ['bravo hello'], { model: HAIKU });
    ids.codeOk = await recorded(a, 'code-ok', 2);
    ids.memberHaiku = await recorded(a, 'member-haiku', 2);
    ids.sdkMixed = await recorded(a, 'sdk-mixed', 2);
    ids.bCode = await recorded(b, 'code-ok', 1);
    ids.bMember = await recorded(b, 'member-haiku', 1);
  });
  afterAll(() => gateway.close());

  const list = async (query: string, headers: Record<string, string> = a.owner.auth) => {
    const response = await gateway.app.request({ method: 'GET', url: `${SESSIONS}?${query}`, headers });
    expect({ status: response.statusCode, body: response.body }).toMatchObject({ status: 200 });
    return response.json<{ data: Listed[]; nextCursor?: string; totalCount?: number }>();
  };
  const idsOf = async (query: string, headers?: Record<string, string>) =>
    (await list(query, headers)).data.map((s) => s.id).sort();
  const bravoIds = () => [ids.bCode, ids.bMember];

  it('keeps error_requests and models on the session as the recorder writes the calls', async () => {
    const rows = await gateway.app.sql<{ id: string; error_requests: string; models: string[]; errors: string }>(
      `select s.id, s.error_requests, s.models,
         (select count(*) from interactions i where i.session_id = s.id and i.outcome in ('error', 'upstream_error')) as errors
       from sessions s where s.id = any($1::uuid[]) order by s.id`,
      [Object.values(ids)],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(ids.memberHaiku)).toMatchObject({ error_requests: '1', models: [HAIKU], errors: '1' });
    expect(byId.get(ids.sdkMixed)).toMatchObject({ error_requests: '0', models: [HAIKU, SONNET].sort() });
    expect(byId.get(ids.codeOk)).toMatchObject({ error_requests: '0', models: [SONNET] });
    for (const row of rows) expect(row.error_requests).toBe(row.errors);
  });

  it('filters by member, model, outcome and client, alone and together, and counts what matches', async () => {
    expect(await idsOf(`user=${a.member.id}`)).toEqual([ids.memberHaiku]);
    expect(await idsOf(`user=${a.member.id.toUpperCase()}`)).toEqual([ids.memberHaiku]);
    expect(await idsOf(`model=${HAIKU}`)).toEqual([ids.memberHaiku, ids.sdkMixed].sort());
    expect(await idsOf(`model=${SONNET}`)).toEqual([ids.codeOk, ids.sdkMixed].sort());
    expect(await idsOf('outcome=errors')).toEqual([ids.memberHaiku]);
    expect(await idsOf('outcome=ok')).toEqual([ids.codeOk, ids.sdkMixed].sort());
    expect(await idsOf('agent=claude-code')).toEqual([ids.codeOk]);
    expect(await idsOf('agent=sdk-js')).toEqual([ids.memberHaiku, ids.sdkMixed].sort());
    expect(await idsOf(`model=${HAIKU}&outcome=ok&agent=sdk-js`)).toEqual([ids.sdkMixed]);
    expect(await idsOf('model=claude-none')).toEqual([]);
    const counted = await list(`model=${HAIKU}&offset=0`);
    expect(counted.totalCount).toBe(2);
    // Page by page (the first page is found among the newest sessions, the last through the models index).
    const first = await list(`model=${HAIKU}&limit=1`);
    expect(first.data).toHaveLength(1);
    const second = await list(`model=${HAIKU}&limit=1&before=${first.nextCursor}`);
    expect(second.nextCursor).toBeUndefined();
    expect([...first.data, ...second.data].map((s) => s.id)).toEqual(
      (await list(`model=${HAIKU}`)).data.map((s) => s.id),
    );
    expect((await list(`model=${HAIKU}&sort=tokens&limit=1&offset=1`)).data).toHaveLength(1);
  });

  it("never shows another organization's sessions, whatever the filter, caller or order", async () => {
    const queries = [
      '',
      `user=${b.member.id}`,
      `model=${HAIKU}`,
      'outcome=errors',
      'agent=claude-code',
      'sort=cost',
      'sort=tokens&offset=0',
      'deleted=true',
    ];
    for (const query of queries) {
      for (const headers of [a.owner.auth, { ...a.admin.auth, ...orgHeader(a.organizationId) }]) {
        const body = await list(query, headers);
        for (const session of body.data) expect(session.organization).toBe(a.organizationId);
        for (const id of bravoIds()) expect(body.data.map((s) => s.id)).not.toContain(id);
      }
    }
    // A member of Bravo filtering by Alpha's member finds nothing.
    expect(await idsOf(`user=${a.member.id}`, b.owner.auth)).toEqual([]);
    expect(await idsOf(`model=${HAIKU}`, b.owner.auth)).toEqual([ids.bCode, ids.bMember].sort());
  });

  it('orders by cost and by tokens, highest first, and pages by cursor without gaps or repeats', async () => {
    for (const sort of ['cost', 'tokens'] as const) {
      const whole = (await list(`sort=${sort}`)).data;
      const value = (s: Listed) => (sort === 'cost' ? s.costNanoUsd : s.tokensUsed);
      for (let i = 1; i < whole.length; i++) expect(value(whole[i - 1])).toBeGreaterThanOrEqual(value(whole[i]));
      const paged: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await list(`sort=${sort}&limit=1${cursor ? `&before=${cursor}` : ''}`);
        paged.push(...page.data.map((s) => s.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(paged).toEqual(whole.map((s) => s.id));
      expect(paged).toHaveLength(3);
    }
    const costCursor = (await list('sort=cost&limit=1')).nextCursor as string;
    expectProblem(
      await gateway.app.request({
        method: 'GET',
        url: `${SESSIONS}?sort=tokens&before=${costCursor}`,
        headers: a.owner.auth,
      }),
      400,
      'INVALID_CURSOR',
    );
    expectProblem(
      await gateway.app.request({ method: 'GET', url: `${SESSIONS}?before=${costCursor}`, headers: a.owner.auth }),
      400,
      'INVALID_CURSOR',
    );
  });

  it('lists deleted sessions for admins and owners only, and a restored one leaves that list', async () => {
    const memberHeaders = { ...a.member.auth, ...orgHeader(a.organizationId) };
    const adminHeaders = { ...a.admin.auth, ...orgHeader(a.organizationId) };
    const deleted = await gateway.app.request({
      method: 'DELETE',
      url: `${SESSIONS}/${ids.sdkMixed}`,
      headers: a.owner.auth,
    });
    expect(deleted.statusCode).toBe(204);
    expectProblem(
      await gateway.app.request({ method: 'GET', url: `${SESSIONS}?deleted=true`, headers: memberHeaders }),
      403,
      'DELETED_SESSIONS_ADMINS_ONLY',
    );
    expectProblem(
      await gateway.app.request({
        method: 'GET',
        url: `${SESSIONS}?deleted=true`,
        headers: { 'x-lamplight-api-key': a.key },
      }),
      403,
      'DELETED_SESSIONS_ADMINS_ONLY',
    );
    const forAdmin = await list('deleted=true', adminHeaders);
    expect(forAdmin.data.map((s) => s.id)).toEqual([ids.sdkMixed]);
    expect(Date.parse(forAdmin.data[0].deletedAt ?? '')).not.toBeNaN();
    expect(await idsOf('deleted=true&model=claude-haiku-4-5')).toEqual([ids.sdkMixed]);
    expect((await list('deleted=true&offset=0')).totalCount).toBe(1);
    expect(await idsOf('')).not.toContain(ids.sdkMixed);
    expect(await idsOf('deleted=true', b.owner.auth)).toEqual([]);

    const restored = await gateway.app.request({
      method: 'POST',
      url: `${SESSIONS}/${ids.sdkMixed}/restore`,
      headers: adminHeaders,
    });
    expect(restored.statusCode).toBe(200);
    expect(await idsOf('deleted=true')).toEqual([]);
    expect(await idsOf('')).toContain(ids.sdkMixed);
  });

  it('answers hostile query parameters with 400 and a problem in words, or with correct results; never 500', async () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom('\ud800', 'a\udfffb', '\u0000', 'x\u0000y', '9'.repeat(400), '-1', '1e309', 'true\u0000'),
      fc.integer().map(String),
      fc.constant('z'.repeat(100_000)),
    );
    /** Percent-encoded as UTF-8; a lone surrogate becomes the bytes a careless client sends for it (invalid UTF-8). */
    const encode = (value: string) =>
      [...value]
        .map((c) => {
          const unit = c.charCodeAt(0);
          if (c.length === 1 && unit >= 0xd800 && unit <= 0xdfff)
            return `%${(0xe0 | (unit >> 12)).toString(16)}%${(0x80 | ((unit >> 6) & 0x3f)).toString(16)}%${(0x80 | (unit & 0x3f)).toString(16)}`;
          return encodeURIComponent(c);
        })
        .join('');
    const name = fc.constantFrom('user', 'model', 'outcome', 'agent', 'sort', 'deleted', 'before', 'limit', 'q');
    const seen = { answered: 0, refused: 0 };
    const params = fc.uniqueArray(fc.tuple(name, hostile), { maxLength: 3, selector: ([key]) => key });
    await fc.assert(
      fc.asyncProperty(params, async (pairs) => {
        const query = pairs.map(([key, value]) => `${key}=${encode(value)}`).join('&');
        const response = await gateway.app.request({
          method: 'GET',
          url: `${SESSIONS}?${query}`,
          headers: a.owner.auth,
        });
        if (response.statusCode === 200) {
          seen.answered += 1;
          const body = response.json<{ data: Listed[] }>();
          for (const session of body.data) expect(session.organization).toBe(a.organizationId);
          const model = pairs.find(([key]) => key === 'model')?.[1];
          if (model !== undefined) for (const session of body.data) expect(session.models).toContain(model);
          const agent = pairs.find(([key]) => key === 'agent')?.[1];
          if (agent !== undefined) for (const session of body.data) expect(session.device.type).toBe(agent);
        } else {
          seen.refused += 1;
          const problem = expectProblem(response, response.statusCode);
          expect([400, 414, 431]).toContain(response.statusCode);
          expect(problem.detail.length).toBeGreaterThan(5);
        }
      }),
      { numRuns: 150 },
    );
    // Both paths ran: some hostile values are valid filters that match nothing, most are refused.
    expect(seen.answered).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  });
});
