import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createSessions, type SeedOrganization, seedInteractions } from '../../bench/seed';
import { type MigrationDatabase, openMigrationDatabase } from '../support/migration-database';

const ROLLUPS = {
  principals: `select organization_id, hour, api_key_id, user_id, requests, error_requests, unpriced_requests,
    input_tokens, output_tokens, cache_read_tokens, cache_write5m_tokens, cache_write1h_tokens, cost_total_nano_usd
    from usage_hourly_principals order by 1, 2, 3, 4`,
  latency: `select organization_id, hour, metric, bucket, requests from latency_hourly order by 1, 2, 3, 4`,
};

/**
 * The migration that adds the rollups by API key and member and of latency backfills them from the
 * stored calls: what it computes equals what the recorder's batch statement kept call by call.
 */
describe('the principal and latency rollups migration', () => {
  let database: MigrationDatabase;

  beforeAll(async () => {
    database = await openMigrationDatabase();
  });

  afterAll(async () => {
    await database?.close();
  });

  it('backfills exactly what the recorder wrote, and goes down and up again', async () => {
    const pool = new Pool({ connectionString: database.url, max: 2 });
    const { orm } = database;
    try {
      const orgs: SeedOrganization[] = [];
      for (let i = 0; i < 2; i++) {
        const org = { organizationId: randomUUID(), userId: randomUUID(), weight: 1, sessionIds: [] };
        await pool.query(
          `insert into organizations (id, created_at, name, slug, settings) values ($1, now(), 'm', $2, '{}')`,
          [org.organizationId, `m-${org.organizationId}`],
        );
        await pool.query(
          `insert into users (id, created_at, email, name, password_hash) values ($1, now(), $2, 'm', 'x')`,
          [org.userId, `${org.userId}@example.com`],
        );
        await createSessions(pool, org, 20, 'migration');
        orgs.push(org);
      }
      const keys = [null, randomUUID(), randomUUID()];
      let n = 0;
      await seedInteractions(pool, orgs, 3_000, {
        batchSize: 250,
        decorate: (record) => {
          n += 1;
          return {
            ...record,
            apiKeyId: keys[n % keys.length],
            userId: n % 5 === 0 ? null : record.userId,
            timeToFirstTokenMs: n % 3 === 0 ? null : record.timeToFirstTokenMs,
            cost: n % 11 === 0 ? null : record.cost,
          };
        },
      });
      const read = async () => ({
        principals: (await pool.query(ROLLUPS.principals)).rows,
        latency: (await pool.query(ROLLUPS.latency)).rows,
      });
      const kept = await read();
      expect(kept.principals.reduce((sum, r) => sum + Number(r.requests), 0)).toBe(3_000);
      expect(kept.latency.filter((r) => r.metric === 'latency').reduce((sum, r) => sum + Number(r.requests), 0)).toBe(
        3_000,
      );
      expect(kept.latency.filter((r) => r.metric === 'ttft').reduce((sum, r) => sum + Number(r.requests), 0)).toBe(
        2_000,
      );

      await orm.migrator.down({ to: 'Migration20261130050000_users_without_deleted_at' });
      const tables = await pool.query(
        `select table_name from information_schema.tables where table_name in ('usage_hourly_principals', 'latency_hourly')`,
      );
      expect(tables.rows).toEqual([]);
      await orm.migrator.up();
      expect(await read()).toEqual(kept);
    } finally {
      await pool.end();
    }
  });
});
