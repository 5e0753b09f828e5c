import { type MigrationDatabase, openMigrationDatabase } from '../support/migration-database';

const COLUMNS = `select table_name || '.' || column_name as c from information_schema.columns
  where column_name in ('usage', 'cost_breakdown', 'cost_tools_nano_usd', 'cost_multipliers_nano_usd', 'cost_cache_savings_nano_usd')
    and table_name in ('interactions', 'usage_hourly', 'usage_daily') order by 1`;

describe('the exact-cost migration', () => {
  let database: MigrationDatabase;

  beforeAll(async () => {
    database = await openMigrationDatabase();
  });

  afterAll(async () => {
    await database?.close();
  });

  it('goes down and up again, and the daily rollup triggers sum the new columns', async () => {
    const { sql, orm } = database;
    const columns = async () => (await sql.query<{ c: string }>(COLUMNS)).rows.map((r) => r.c);
    expect(await columns()).toHaveLength(11);

    await orm.migrator.down({ to: 'Migration20261129120000_content_status' });
    expect(await columns()).toEqual([]);
    // The triggers written back by down() still keep usage_daily.
    const org = '00000000-0000-4000-8000-000000000001';
    const sums =
      'requests, error_requests, unpriced_requests, input_tokens, output_tokens, cache_read_tokens, cache_write5m_tokens, cache_write1h_tokens, cost_input_nano_usd, cost_output_nano_usd, cost_cache_read_nano_usd, cost_cache_write5m_nano_usd, cost_cache_write1h_nano_usd, cost_total_nano_usd';
    await sql.query(
      `insert into usage_hourly (organization_id, hour, model, ${sums}) values ($1, '2026-11-01T10:00:00Z', 'm', 1,0,0,1,1,0,0,0,1,1,0,0,0,2)`,
      [org],
    );
    expect(
      (await sql.query(`select cost_total_nano_usd::int as t from usage_daily where organization_id = $1`, [org])).rows,
    ).toEqual([{ t: 2 }]);

    await orm.migrator.up();
    expect(await columns()).toHaveLength(11);
    await sql.query(
      `update usage_hourly set cost_tools_nano_usd = 30, cost_multipliers_nano_usd = -5 where organization_id = $1`,
      [org],
    );
    expect(
      (
        await sql.query(
          `select cost_tools_nano_usd::int as tools, cost_multipliers_nano_usd::int as m from usage_daily where organization_id = $1`,
          [org],
        )
      ).rows,
    ).toEqual([{ tools: 30, m: -5 }]);
  });
});
