import fc from 'fast-check';
import { createFreshDatabase, type FreshDatabase } from '../../src/database/fresh-database';
import { runMaintenance } from '../../src/cli/maintenance';
import { InteractionWriter } from '../../src/modules/recording/interaction-writer.repository';
import { RetentionRepository } from '../../src/modules/retention/retention.repository';
import { RetentionService } from '../../src/modules/retention/retention.service';
import { type Call, callRecords } from '../support/analytics-fixtures';
import { addMember } from '../support/tenancy-fixtures';
import { registerUser, startTestApp, testDatabaseUrl, type TestApp, type TestUser } from '../support/test-app';

const DAY_MS = 24 * 60 * 60 * 1000;
const METRICS_TOKEN = 'metrics-token-for-retention-tests-0123456';
const monthName = (t: Date) => `interactions_p${t.getUTCFullYear()}_${String(t.getUTCMonth() + 1).padStart(2, '0')}`;
const call = (session: string, at: Date): Call => ({
  session,
  model: 'claude-sonnet-4-6',
  usage: { input: 100, output: 10 },
  at: at.toISOString(),
});

describe('partitions and retention', () => {
  let database: FreshDatabase;
  let app: TestApp;
  let owner: TestUser;
  let admin: TestUser;
  let member: TestUser;
  let outsider: TestUser;
  let retention: RetentionService;
  let repository: RetentionRepository;
  const now = new Date();

  const write = async (user: TestUser, calls: Call[]) => {
    const records = await callRecords(app, user, calls);
    const writer = app.app.get(InteractionWriter, { strict: false });
    expect(await writer.write(records)).toBe(records.length);
    return records;
  };
  const put = (user: TestUser, organizationId: string, payload: unknown) =>
    app.request({
      method: 'PUT',
      url: `/api/v1/organizations/${organizationId}/retention`,
      headers: user.auth,
      payload: payload as Record<string, unknown>,
    });
  const months = async () =>
    (
      await app.sql<{ name: string }>(
        `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'interactions'::regclass order by 1`,
      )
    ).map((r) => r.name);

  beforeAll(async () => {
    // A database of its own: a pass drops whole months of every organization's interactions.
    database = await createFreshDatabase({
      serverUrl: testDatabaseUrl(),
      embeddedDir: `${__dirname}/../../.data/pg-test`,
      prefix: 'lamplight_retention',
    });
    app = await startTestApp({ METRICS_TOKEN }, database.url);
    retention = app.app.get(RetentionService, { strict: false });
    repository = app.app.get(RetentionRepository, { strict: false });
    owner = await registerUser(app, 'Retention Owner');
    admin = await registerUser(app, 'Retention Admin');
    member = await registerUser(app, 'Retention Member');
    outsider = await registerUser(app, 'Retention Outsider');
    await addMember(app, owner, owner.organizationId, admin, 'admin');
    await addMember(app, owner, owner.organizationId, member, 'member');
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('has the month before, this month and three ahead at start, beside the default partition', async () => {
    const names = await months();
    for (let offset = -1; offset <= 3; offset++) {
      expect(names).toContain(monthName(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1))));
    }
    expect(names).toContain('interactions_default');
  });

  it('keeps a row of a month with no partition in the default one, and moves it when that month is made', async () => {
    const at = new Date(Date.UTC(2020, 2, 15));
    const [record] = await write(outsider, [call('old-month', at)]);
    const where = async () =>
      (
        await app.sql<{ p: string }>(`select tableoid::regclass::text as p from interactions where id = $1`, [
          record.id,
        ])
      )[0]?.p;
    expect(await where()).toBe('interactions_default');
    expect(await repository.ensureMonth(at)).toBe('interactions_p2020_03');
    expect(await where()).toBe('interactions_p2020_03');
    expect(await repository.ensureMonth(at)).toBeNull();
    // A replayed record meets its first copy in its month: written once.
    const writer = app.app.get(InteractionWriter, { strict: false });
    expect(await writer.write([record])).toBe(0);
  });

  it('reads only the months a time range covers', async () => {
    const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
    const [row] = await app.sql<Record<string, unknown>>(
      `explain (format json) select count(*) from interactions where organization_id = '${owner.organizationId}' and started_at >= '${from.toISOString()}' and started_at < '${to.toISOString()}'`,
    );
    const plan = JSON.stringify(row['QUERY PLAN']);
    const scanned = [...new Set([...plan.matchAll(/"Relation Name":"(interactions_[a-z0-9_]+)"/g)].map((m) => m[1]))];
    expect(scanned).toEqual([monthName(now)]);
  });

  it('lets admins set retention, members read it, and nobody else see it', async () => {
    const org = owner.organizationId;
    const got = await app.request({
      method: 'GET',
      url: `/api/v1/organizations/${org}/retention`,
      headers: member.auth,
    });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual({
      contentDays: null,
      interactionsDays: null,
      updatedAt: null,
      deletionGraceDays: 30,
      removals: [],
    });
    expect((await put(member, org, { contentDays: 5 })).statusCode).toBe(403);
    expect(
      (await app.request({ method: 'GET', url: `/api/v1/organizations/${org}/export`, headers: admin.auth }))
        .statusCode,
    ).toBe(403);
    expect((await put(outsider, org, { contentDays: 5 })).statusCode).toBe(404);
    expect(
      (await app.request({ method: 'GET', url: `/api/v1/organizations/${org}/retention`, headers: outsider.auth }))
        .statusCode,
    ).toBe(404);
    const set = await put(admin, org, { contentDays: 30 });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ contentDays: 30, interactionsDays: null });
    const both = await put(owner, org, { interactionsDays: 90 });
    expect(both.json()).toMatchObject({ contentDays: 30, interactionsDays: 90 });
  });

  it('refuses any malformed setting whole, changing nothing', async () => {
    const org = owner.organizationId;
    const before = (
      await app.request({ method: 'GET', url: `/api/v1/organizations/${org}/retention`, headers: owner.auth })
    ).json<{ contentDays: number; interactionsDays: number }>();
    const value = fc.oneof(
      fc.integer({ min: -1e9, max: 0 }),
      fc.integer({ min: 36501, max: 1e12 }),
      // Not NaN or ±Infinity: JSON writes them as null, which is a valid setting (kept for ever).
      fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }),
      fc.string({ maxLength: 8 }),
      fc.boolean(),
      fc.constant({}),
      fc.constant([30]),
      fc.constantFrom('30', '1e3', 'NaN', '-0'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('contentDays', 'interactionsDays'),
        value,
        fc.option(fc.integer({ min: 1, max: 365 }), { nil: undefined }),
        async (field, bad, good) => {
          const other = field === 'contentDays' ? 'interactionsDays' : 'contentDays';
          const response = await put(owner, org, { [field]: bad, ...(good === undefined ? {} : { [other]: good }) });
          expect(response.statusCode).toBe(400);
          expect(response.headers['content-type']).toContain('application/problem+json');
          const after = (
            await app.request({ method: 'GET', url: `/api/v1/organizations/${org}/retention`, headers: owner.auth })
          ).json<typeof before>();
          expect([after.contentDays, after.interactionsDays]).toEqual([before.contentDays, before.interactionsDays]);
        },
      ),
      { numRuns: 60 },
    );
    expect((await put(owner, org, { contentDays: 30, surprise: true })).statusCode).toBe(400);
  });

  it('removes content and calls past their age in batches, keeping rollups, totals and other organizations', async () => {
    const org = owner.organizationId;
    const [oldest, middle, recent] = await write(owner, [
      call('kept-session', new Date(now.getTime() - 100 * DAY_MS)),
      call('kept-session', new Date(now.getTime() - 60 * DAY_MS)),
      call('kept-session', new Date(now.getTime() - 10 * DAY_MS)),
    ]);
    const [untouched] = await write(outsider, [call('outsider-session', new Date(now.getTime() - 100 * DAY_MS))]);
    const sums = async () =>
      app.sql(
        `select (select sum(requests)::int from usage_hourly where organization_id = $1) as hourly,
        (select sum(requests)::int from usage_daily where organization_id = $1) as daily,
        (select sum(request_count)::int from sessions where organization_id = $1) as sessions,
        (select sum(cost_nano_usd)::text from sessions where organization_id = $1) as cost`,
        [org],
      );
    const before = await sums();

    const run = await retention.runPass(now);
    expect(run).toMatchObject({ interactionsRemoved: 1, contentRemoved: 1, partitionsDropped: [] });

    const rows = await app.sql<{
      id: string;
      user_query: string | null;
      final_output: string | null;
      content_status: string;
      input_tokens: number;
      cost_total_nano_usd: string;
    }>(
      `select id, user_query, final_output, content_status, input_tokens, cost_total_nano_usd::text from interactions where organization_id = $1 order by started_at`,
      [org],
    );
    expect(rows.map((r) => r.id)).toEqual([middle.id, recent.id]);
    expect(rows[0]).toMatchObject({
      user_query: null,
      final_output: null,
      content_status: 'not_stored',
      input_tokens: 100,
    });
    expect(rows[0].cost_total_nano_usd).not.toBeNull();
    expect(rows[1]).toMatchObject({ user_query: 'question', final_output: 'answer' });
    expect(oldest.id).toBeDefined();
    expect(await sums()).toEqual(before);
    expect(await app.sql(`select id from interactions where id = $1`, [untouched.id])).toHaveLength(1);

    const shown = (
      await app.request({ method: 'GET', url: `/api/v1/organizations/${org}/retention`, headers: member.auth })
    ).json<{ removals: { kind: string; rows: number }[] }>();
    expect(shown.removals.map((r) => [r.kind, r.rows]).sort()).toEqual([
      ['content', 1],
      ['interactions', 1],
    ]);
    const outsiderView = (
      await app.request({
        method: 'GET',
        url: `/api/v1/organizations/${outsider.organizationId}/retention`,
        headers: outsider.auth,
      })
    ).json<{ removals: unknown[] }>();
    expect(outsiderView.removals).toEqual([]);

    const metrics = (
      await app.request({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).body;
    expect(metrics).toMatch(/^lamplight_retention_last_run_removed_rows\{kind="content"\} 1$/m);
    expect(metrics).toMatch(/^lamplight_retention_last_run_removed_rows\{kind="interactions"\} 1$/m);
    expect(Number(/^lamplight_retention_last_run_timestamp_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(
      now.getTime() / 1000 - 60,
    );
  });

  it('drops whole months once every organization keeps less, recording what each lost', async () => {
    const longAgo = new Date(Date.UTC(now.getUTCFullYear() - 2, now.getUTCMonth(), 10));
    const name = await repository.ensureMonth(longAgo);
    expect(name).toBe(monthName(longAgo));
    await write(owner, [call('ancient', longAgo), call('ancient', new Date(longAgo.getTime() + DAY_MS))]);
    await write(outsider, [call('ancient', longAgo)]);
    // The outsider keeps calls for ever: the month stays, and only the owner's rows go, in batches.
    let run = await retention.runPass(now);
    expect(run?.partitionsDropped).toEqual([]);
    expect(await months()).toContain(name);

    const everyOrganization = await app.sql<{ id: string }>(`select id from organizations where deleted_at is null`);
    for (const o of everyOrganization) await repository.saveSettings(o.id, null, 400, now);
    await write(outsider, [call('ancient', new Date(longAgo.getTime() + 2 * DAY_MS))]);
    run = await retention.runPass(now);
    expect(run?.partitionsDropped).toContain(name);
    expect(run?.partitionsDropped).toContain('interactions_p2020_03');
    expect(await months()).not.toContain(name);
    const [lost] = await app.sql<{ rows: number }>(
      `select rows::int from retention_removals where organization_id = $1 and older_than = $2`,
      [outsider.organizationId, new Date(Date.UTC(longAgo.getUTCFullYear(), longAgo.getUTCMonth() + 1, 1))],
    );
    expect(lost.rows).toBe(2);
    // Through the maintenance command too: nothing left to do, and it says so.
    const again = await runMaintenance(database.url, [], now);
    expect(again).toMatchObject({ partitionsDropped: [], interactionsRemoved: 0, contentRemoved: 0 });
  });

  it('removes a deleted organization for good only after the grace period, its owner exporting it first', async () => {
    const leaving = await registerUser(app, 'Leaving Owner');
    const [written] = await write(leaving, [call('leaving-session', new Date(now.getTime() - DAY_MS))]);
    const exportUrl = `/api/v1/organizations/${leaving.organizationId}/export`;
    expect((await app.request({ method: 'GET', url: exportUrl, headers: owner.auth })).statusCode).toBe(404);
    const exported = await app.request({ method: 'GET', url: exportUrl, headers: leaving.auth });
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toContain('application/x-ndjson');
    const lines = exported.body
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as { type: string; interaction?: { id: string; user_query: string; organization_id: string } },
      );
    expect(lines.map((l) => l.type)).toEqual(['organization', 'session', 'interaction']);
    expect(lines[2].interaction).toMatchObject({
      id: written.id,
      user_query: 'question',
      organization_id: leaving.organizationId,
    });
    expect(exported.body).not.toContain('password');
    expect(
      (
        await app.request({
          method: 'DELETE',
          url: `/api/v1/organizations/${leaving.organizationId}`,
          headers: leaving.auth,
        })
      ).statusCode,
    ).toBe(204);
    const left = async () =>
      app.sql(
        `select (select count(*)::int from organizations where id = $1) as orgs, (select count(*)::int from interactions where organization_id = $1) as calls,
        (select count(*)::int from sessions where organization_id = $1) as sessions`,
        [leaving.organizationId],
      );
    await retention.runPass(new Date(now.getTime() + 29 * DAY_MS));
    expect(await left()).toEqual([{ orgs: 1, calls: 1, sessions: 1 }]);
    const run = await retention.runPass(new Date(now.getTime() + 31 * DAY_MS));
    expect(run?.organizationsPurged).toBe(1);
    expect(await left()).toEqual([{ orgs: 0, calls: 0, sessions: 0 }]);
    const [user] = await app.sql<{ default_organization_id: string | null }>(
      `select default_organization_id from users where id = $1`,
      [leaving.id],
    );
    expect(user.default_organization_id).toBeNull();
  });
});
