import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { runCitusCheck } from '../../src/cli/check-citus';
import { createFreshDatabase, type FreshDatabase } from '../../src/database/fresh-database';
import { createOrmOptions } from '../../src/database/orm-options';
import type { Finding } from '../../src/database/distribution/citus-rules';
import { testDatabaseUrl } from '../support/test-app';

const rules = (findings: Finding[], table: string) =>
  findings
    .filter((f) => f.table === table)
    .map((f) => f.rule)
    .sort();

describe('the Citus distributability check', () => {
  let database: FreshDatabase;
  let sql: Client;

  beforeAll(async () => {
    database = await createFreshDatabase({
      serverUrl: testDatabaseUrl(),
      embeddedDir: `${__dirname}/../../.data/pg-test`,
      prefix: 'lamplight_citus_check',
    });
    sql = new Client({ connectionString: database.url });
    await sql.connect();
  });

  afterAll(async () => {
    await sql?.end();
    await database?.drop();
  });

  it('passes on the migrated schema, every table classified', async () => {
    const lines: string[] = [];
    const result = await runCitusCheck(testDatabaseUrl(), (line) => lines.push(line));
    expect(result.violations).toEqual([]);
    expect(lines.at(-1)).toBe('the schema is distributable');
    expect(result.kinds).toMatchObject({
      users: 'reference',
      organizations: 'reference',
      sessions: 'distributed',
      interactions: 'distributed',
      usage_hourly: 'distributed',
      api_keys: 'distributed',
      mikro_orm_migrations: 'local',
    });
  });

  it('fails on the schema before organization-led keys', async () => {
    const orm = await MikroORM.init({
      ...createOrmOptions(database.url),
      allowGlobalContext: true,
      logger: () => undefined,
    });
    try {
      await orm.migrator.down({ to: 'Migration20261129200000_exact_cost' });
      const { violations } = await runCitusCheck(database.url, () => undefined);
      expect(rules(violations, 'sessions')).toEqual(
        expect.arrayContaining([
          'key without the distribution column',
          'statement-level trigger',
          'transition tables',
          'truncate trigger',
        ]),
      );
      expect(rules(violations, 'interactions')).toEqual([
        'foreign key across shards',
        'key without the distribution column',
      ]);
      expect(violations.find((v) => v.detail.includes('api_keys_digest_unique'))).toBeDefined();
      await orm.migrator.up();
      expect((await runCitusCheck(database.url, () => undefined)).violations).toEqual([]);
    } finally {
      await orm.close(true);
    }
  });

  it('fails on deliberately broken tables, naming each broken rule', async () => {
    // A foreign key to sessions (id) alone needs a unique index on id alone: both break the rules.
    await sql.query(`create unique index sessions_id_only on sessions (id)`);
    await sql.query(
      `create table broken_events (id uuid primary key, organization_id uuid, email text unique, session_id uuid references sessions (id))`,
    );
    await sql.query(`create table broken_global (id uuid primary key, name text)`);
    await sql.query(`alter table users add column favourite_event uuid references broken_events (id)`);
    await sql.query(
      `create function broken_count() returns trigger language plpgsql as $$ begin update users set name = name; return null; end $$`,
    );
    await sql.query(
      `create trigger broken_count after insert on broken_events for each statement execute function broken_count()`,
    );
    const { violations } = await runCitusCheck(database.url, () => undefined);
    expect(rules(violations, 'broken_events')).toEqual([
      'foreign key across shards',
      'key without the distribution column',
      'key without the distribution column',
      'nullable distribution column',
      'statement-level trigger',
      'trigger writes outside the shard',
    ]);
    expect(rules(violations, 'broken_global')).toEqual(['unclassified table']);
    expect(rules(violations, 'users')).toEqual(['reference table pointing at a distributed table']);
    expect(rules(violations, 'sessions')).toEqual(['key without the distribution column']);
  });
});
