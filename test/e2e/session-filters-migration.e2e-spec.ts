import { type MigrationDatabase, openMigrationDatabase } from '../support/migration-database';

const ORG = '00000000-0000-4000-8000-0000000000a1';
const USER = '00000000-0000-4000-8000-0000000000b1';
const WITH_ERRORS = '00000000-0000-4000-8000-0000000000c1';
const WITHOUT_CALLS = '00000000-0000-4000-8000-0000000000c2';

/** The session-filters migration backfills error_requests and models from the interactions already stored. */
describe('the session-filters migration', () => {
  let database: MigrationDatabase;

  beforeAll(async () => {
    database = await openMigrationDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  it('goes down and up again, and the new columns hold what the stored calls say', async () => {
    const { sql, orm } = database;
    await orm.migrator.down({ to: 'Migration20261130050000_users_without_deleted_at' });
    await sql.query(
      `insert into organizations (id, name, slug, settings, created_at) values ($1, 'O', 'o-mig', '{}', now())`,
      [ORG],
    );
    await sql.query(
      `insert into users (id, email, name, password_hash, created_at) values ($1, 'mig@example.com', 'M', 'x', now())`,
      [USER],
    );
    await sql.query(
      `insert into sessions (id, organization_id, user_id, external_id, device, created_at, last_activity_at)
       values ($1, $3, $4, 'with-errors', '{"type":"claude-code"}', now(), now()),
              ($2, $3, $4, 'no-calls', '{}', now(), now())`,
      [WITH_ERRORS, WITHOUT_CALLS, ORG, USER],
    );
    const calls: Array<[string, string]> = [
      ['claude-sonnet-4-6', 'ok'],
      ['claude-haiku-4-5', 'upstream_error'],
      ['claude-haiku-4-5', 'error'],
      ['claude-sonnet-4-6', 'cancelled'],
    ];
    for (const [model, outcome] of calls) {
      await sql.query(
        `insert into interactions (id, organization_id, session_id, model, stream, http_status, outcome, input_tokens,
           output_tokens, cache_read_tokens, cache_write5m_tokens, cache_write1h_tokens, pricing_version, latency_ms,
           content_truncated, started_at, ended_at)
         values (gen_random_uuid(), $1, $2, $3, false, 200, $4::interaction_outcome, 1, 1, 0, 0, 0, 'test', 1, false, now(), now())`,
        [ORG, WITH_ERRORS, model, outcome],
      );
    }
    await orm.migrator.up();
    const rows = (
      await sql.query<{ id: string; error_requests: string; models: string[] }>(
        `select id, error_requests, models from sessions where organization_id = $1 order by id`,
        [ORG],
      )
    ).rows;
    expect(rows).toEqual([
      { id: WITH_ERRORS, error_requests: '2', models: ['claude-haiku-4-5', 'claude-sonnet-4-6'] },
      { id: WITHOUT_CALLS, error_requests: '0', models: [] },
    ]);
    const indexes = (
      await sql.query<{ indexdef: string }>(
        `select indexdef from pg_indexes where tablename = 'sessions' and indexname like 'sessions_organization_%' order by indexname`,
      )
    ).rows.map((r) => r.indexdef);
    expect(indexes.length).toBeGreaterThanOrEqual(7);
    for (const definition of indexes) expect(definition).toMatch(/\(organization_id,/);
  });
});
