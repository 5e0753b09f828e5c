import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from 'pg';
import { startMockAnthropic, type MockAnthropic } from '../../mock-upstream/mock-anthropic';
import { InteractionWriter } from '../../src/modules/recording/interaction-writer.repository';
import {
  type Call,
  callRecords,
  proxyCall,
  sdk,
  setNow,
  setUpGateway,
  waitForInteractions,
} from '../support/analytics-fixtures';
import { addMember } from '../support/tenancy-fixtures';
import { type MigrationDatabase, openMigrationDatabase } from '../support/migration-database';
import { listen, registerUser, startTestApp, type TestApp, type TestUser } from '../support/test-app';

/** The schema before organization-led keys. */
const PREVIOUS = 'Migration20261129200000_exact_cost';

/** Every table whose rows must all survive, in a fixed order. */
const TABLES = [
  'users',
  'organizations',
  'memberships',
  'invitations',
  'api_keys',
  'provider_keys',
  'sessions',
  'interactions',
  'share_links',
  'usage_hourly',
  'usage_daily',
  'organization_session_counts',
  'provider_objects',
];

const CALLS: Call[] = [
  {
    session: 'migrated-alpha',
    model: 'claude-sonnet-4-6',
    usage: { input: 1200, output: 340, cacheRead: 50_000, write5m: 10_000, write1h: 2_000 },
  },
  { session: 'migrated-alpha', model: 'claude-opus-4-6', usage: { input: 800, output: 1500, write1h: 4_000 } },
  {
    session: 'migrated-beta',
    model: 'claude-haiku-4-5-20251001',
    usage: { input: 5000, output: 100, cacheRead: 100_000 },
  },
  { session: 'migrated-beta', model: 'claude-sonnet-4-6', usage: { input: 0, output: 0 }, failed: true },
];

/** The instant both runs read at: a minute after the test starts, after every call it makes. */
const READ_AT = new Date(Date.now() + 60_000).toISOString();

/** A digest of every row of every table: equal digests mean no row lost, added or changed. */
/**
 * A row as text. users.deleted_at is left out: a later migration (users_without_deleted_at) drops
 * the column, which nothing ever set, so it is not data the keys migration must keep. So are the
 * sessions' error_requests and models, which a later migration (session_filters) adds.
 */
const rowText = (table: string) =>
  table === 'users'
    ? "(to_jsonb(t) - 'deleted_at')::text"
    : table === 'sessions'
      ? "(to_jsonb(t) - 'error_requests' - 'models')::text"
      : 't::text';

async function tableDigests(sql: Client): Promise<Record<string, { rows: number; digest: string }>> {
  const out: Record<string, { rows: number; digest: string }> = {};
  for (const table of TABLES) {
    const [row] = (
      await sql.query<{ rows: number; digest: string }>(
        `select count(*)::int as rows, coalesce(md5(string_agg(${rowText(table)}, '|' order by ${rowText(table)})), '') as digest from "${table}" t`,
      )
    ).rows;
    out[table] = row;
  }
  return out;
}

/** The primary key columns of a table, in key order. */
async function primaryKey(sql: Client, table: string): Promise<string[]> {
  const result = await sql.query<{ a: string }>(
    `select a.attname as a from pg_constraint c cross join lateral unnest(c.conkey) with ordinality k(attnum, n)
       join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
     where c.conrelid = $1::regclass and c.contype = 'p' order by k.n`,
    [table],
  );
  return result.rows.map((r) => r.a);
}

describe('the migration to organization-led keys', () => {
  let database: MigrationDatabase;
  let mock: MockAnthropic;
  let sql: Client;
  let orm: MikroORM;

  beforeAll(async () => {
    database = await openMigrationDatabase('lamplight_citus_keys');
    ({ sql, orm } = database);
    mock = await startMockAnthropic();
  });

  afterAll(async () => {
    await mock?.close();
    await database?.close();
  });

  /** What a user sees through the API, on every route that reads the migrated tables. */
  async function answers(app: TestApp, owner: TestUser, member: TestUser, shareToken: string): Promise<unknown[]> {
    // Both runs read at one instant, so the answers' "as of" times agree.
    setNow(app, READ_AT);
    const get = async (user: TestUser | null, url: string) => {
      const response = await app.request({ method: 'GET', url, headers: user?.auth ?? {} });
      return { url, status: response.statusCode, body: response.json<unknown>() };
    };
    const sessions = (await get(owner, '/api/v1/sessions')).body as { data: { id: string }[] };
    const out: unknown[] = [sessions];
    for (const s of sessions.data) {
      out.push(await get(owner, `/api/v1/sessions/${s.id}`), await get(owner, `/api/v1/sessions/${s.id}/history`));
      out.push(
        await get(owner, `/spotlight/analytics/sessions/${s.id}`),
        await get(owner, `/spotlight/analytics/sessions/${s.id}/share`),
      );
    }
    const org = owner.organizationId;
    out.push(
      await get(owner, '/spotlight/analytics/tokens'),
      await get(owner, '/spotlight/analytics/usage-summary'),
      await get(owner, '/spotlight/analytics/sessions'),
      await get(owner, '/api/v1/api-keys'),
      await get(owner, '/api/v1/provider-keys'),
      await get(owner, `/api/v1/organizations/${org}`),
      await get(owner, `/api/v1/organizations/${org}/members`),
      await get(owner, `/api/v1/organizations/${org}/invitations`),
      await get(member, '/api/v1/sessions'),
      await get(null, `/spotlight/analytics/sessions/shared/${shareToken}`),
    );
    return out;
  }

  it('keeps every row and every API answer, and goes back down and up again', async () => {
    // The gateway writes the data (the recorder's idempotent insert names the new key, so it runs
    // on the new schema); migrating down then leaves that data in the previous schema, which is
    // what the migration up meets, as on a database upgraded in place.
    await orm.migrator.up();
    let app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url }, database.url);
    let owner: TestUser;
    let member: TestUser;
    let shareToken: string;
    let previousAnswers: unknown[];
    try {
      const baseURL = await listen(app);
      const gateway = await setUpGateway(app, 'Migrated Owner');
      owner = gateway.owner;
      for (const call of CALLS) await proxyCall(sdk(baseURL, gateway.key), call);
      await waitForInteractions(app, owner.organizationId, CALLS.length);
      member = await registerUser(app, 'Migrated Member');
      await addMember(app, owner, owner.organizationId, member);
      const invited = await app.request({
        method: 'POST',
        url: `/api/v1/organizations/${owner.organizationId}/members`,
        headers: owner.auth,
        payload: { email: 'pending@example.com' },
      });
      expect(invited.statusCode).toBe(201);
      const [session] = await app.sql<{ id: string }>(
        `select id from sessions where organization_id = $1 and external_id = 'migrated-alpha'`,
        [owner.organizationId],
      );
      const shared = await app.request({
        method: 'POST',
        url: `/spotlight/analytics/sessions/${session.id}/share`,
        headers: owner.auth,
        payload: {},
      });
      expect(shared.statusCode).toBe(201);
      shareToken = shared.json<{ share_token: string }>().share_token;
      // A second organization, so cross-organization rows are in the tables too.
      const other = await setUpGateway(app, 'Other Owner');
      await proxyCall(sdk(baseURL, other.key), {
        session: 'migrated-alpha',
        model: 'claude-sonnet-4-6',
        usage: { input: 9, output: 9 },
      });
      await waitForInteractions(app, other.owner.organizationId, 1);
      // The answers before the round trip, read on the latest schema: today's code reads columns
      // that later migrations add (sessions.error_requests, models), so it cannot run on the previous one.
      previousAnswers = await answers(app, owner, member, shareToken);
    } finally {
      await app.close();
    }

    // Down to the previous schema: rows written there are the data the migration meets.
    await orm.migrator.down({ to: PREVIOUS });
    expect(await primaryKey(sql, 'sessions')).toEqual(['id']);
    const before = await tableDigests(sql);
    expect(before.interactions.rows).toBe(CALLS.length + 1);
    expect(before.share_links.rows).toBe(1);
    expect(before.invitations.rows).toBe(2);

    await orm.migrator.up();
    for (const table of ['api_keys', 'provider_keys', 'sessions', 'share_links', 'invitations', 'memberships']) {
      expect(await primaryKey(sql, table)).toEqual(['organization_id', 'id']);
    }
    // Partitioned by month (the next migration): the partition key is part of the key.
    expect(await primaryKey(sql, 'interactions')).toEqual(['organization_id', 'id', 'started_at']);
    expect(await tableDigests(sql)).toEqual(before);

    app = await startTestApp({ ANTHROPIC_BASE_URL: mock.url }, database.url);
    try {
      expect(await answers(app, owner, member, shareToken)).toEqual(previousAnswers);

      // The row-level triggers keep the counts and daily rollups as the statement-level ones did.
      const baseURL = await listen(app);
      const key = await app.request({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: owner.auth,
        payload: { name: 'after migration' },
      });
      const client = sdk(baseURL, key.json<{ key: string }>().key);
      await proxyCall(client, {
        session: 'migrated-gamma',
        model: 'claude-sonnet-4-6',
        usage: { input: 11, output: 22 },
      });
      await proxyCall(client, {
        session: 'migrated-gamma',
        model: 'claude-sonnet-4-6',
        usage: { input: 1, output: 2 },
      });
      await waitForInteractions(app, owner.organizationId, CALLS.length + 2);
      const mismatched = await app.sql(
        `select h.organization_id, h.day, h.model from (
           select organization_id, date_trunc('day', hour, 'UTC') as day, model, sum(requests) as requests, sum(input_tokens) as input_tokens, sum(cost_total_nano_usd) as cost
           from usage_hourly group by 1, 2, 3) h
         full join usage_daily d using (organization_id, day, model)
         where h.requests is distinct from d.requests or h.input_tokens is distinct from d.input_tokens or h.cost is distinct from d.cost_total_nano_usd`,
      );
      expect(mismatched).toEqual([]);
      const live = async () =>
        (
          await app.sql<{ n: number }>(
            `select live_sessions::int as n from organization_session_counts where organization_id = $1`,
            [owner.organizationId],
          )
        )[0].n;
      expect(await live()).toBe(3);
      const [gamma] = await app.sql<{ id: string }>(
        `select id from sessions where organization_id = $1 and external_id = 'migrated-gamma'`,
        [owner.organizationId],
      );
      expect(
        (await app.request({ method: 'DELETE', url: `/api/v1/sessions/${gamma.id}`, headers: owner.auth })).statusCode,
      ).toBe(204);
      expect(await live()).toBe(2);
      // A replayed batch is still written once: the insert's conflict target is the new key.
      const writer = app.app.get(InteractionWriter, { strict: false });
      const records = await callRecords(app, owner, [
        { session: 'migrated-delta', model: 'claude-sonnet-4-6', usage: { input: 5, output: 5 } },
      ]);
      expect(await writer.write(records)).toBe(1);
      expect(await writer.write(records)).toBe(0);
      const [row] = await app.sql<{ n: number }>(
        `select count(*)::int as n from interactions where organization_id = $1`,
        [owner.organizationId],
      );
      expect(row.n).toBe(CALLS.length + 3);
    } finally {
      await app.close();
    }

    // And back: down keeps every row too.
    const after = await tableDigests(sql);
    await orm.migrator.down({ to: PREVIOUS });
    expect(await primaryKey(sql, 'interactions')).toEqual(['id']);
    expect(await tableDigests(sql)).toEqual(after);
    await orm.migrator.up();
  });
});
