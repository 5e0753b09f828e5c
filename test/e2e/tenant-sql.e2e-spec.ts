import { TENANT_TABLES } from '../../src/database/tenant-sql';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * The tenant SQL rule knows every tenant table: a table of the migrated schema with an
 * organization_id column that TENANT_TABLES does not list (or lists with the wrong soft-delete
 * flag) fails here, so a new table cannot slip past the rule.
 */
describe('tenant tables', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('lists exactly the tables with an organization_id column, with their soft-delete column', async () => {
    const rows = await app.sql<{ table_name: string; soft_delete: boolean }>(
      `SELECT c.table_name, bool_or(d.column_name IS NOT NULL) AS soft_delete
         FROM information_schema.columns c
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
         LEFT JOIN information_schema.columns d
           ON d.table_schema = c.table_schema AND d.table_name = c.table_name AND d.column_name = 'deleted_at'
        WHERE c.table_schema = current_schema() AND c.column_name = 'organization_id'
          AND NOT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid WHERE p.relname = c.table_name)
        GROUP BY c.table_name ORDER BY c.table_name`,
    );
    const inSchema = Object.fromEntries(rows.map((row) => [row.table_name, { softDelete: row.soft_delete }]));
    expect(inSchema).toEqual(TENANT_TABLES);
  });
});
