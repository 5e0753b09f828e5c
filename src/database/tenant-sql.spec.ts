import { assertTenantStatement, TenantSql, TenantSqlRefused, type SqlExecutor } from './tenant-sql';

describe('assertTenantStatement', () => {
  it.each([
    ['a read tied to $1', 'SELECT id FROM sessions s WHERE s.organization_id = $1 AND s.deleted_at IS NULL'],
    [
      'an unaliased read',
      'SELECT details FROM provider_objects WHERE organization_id = $1 AND kind = $2 AND deleted_at IS NULL',
    ],
    ['a cast on $1', 'SELECT 1 FROM interactions i WHERE i.organization_id = $1::uuid AND i.session_id = $2'],
    [
      'a table tied through another',
      `SELECT 1 FROM interactions i WHERE i.organization_id = $1 AND EXISTS (
         SELECT 1 FROM interactions j WHERE j.organization_id = i.organization_id AND j.session_id = i.session_id)`,
    ],
    ['an insert that sets the organization', 'INSERT INTO provider_objects (organization_id, kind) VALUES ($1, $2)'],
    ['an update tied to $1', 'UPDATE api_keys SET last_used_at = $2 WHERE organization_id = $1 AND id = $3'],
    ['a quoted table', 'update "api_keys" set "suspended_at" = null where "organization_id" = $1'],
  ])('accepts %s', (_, sql) => {
    expect(() => assertTenantStatement(sql)).not.toThrow();
  });

  it.each([
    ['a read without its organization', 'SELECT id FROM sessions s WHERE s.deleted_at IS NULL AND s.external_id = $1'],
    [
      'a condition on another parameter',
      'SELECT id FROM sessions s WHERE s.organization_id = $2 AND s.deleted_at IS NULL',
    ],
    ['a soft-deleted table read without deleted_at', 'SELECT id FROM sessions s WHERE s.organization_id = $1'],
    [
      'a joined table left untied',
      'SELECT 1 FROM sessions s JOIN interactions i ON i.session_id = s.id WHERE s.organization_id = $1 AND s.deleted_at IS NULL',
    ],
    ['an insert without organization_id', 'INSERT INTO provider_objects (kind, object_id) VALUES ($1, $2)'],
    ['an update of every organization', 'UPDATE api_keys SET last_used_at = $1'],
    ['a delete of every organization', 'DELETE FROM share_links WHERE session_id = $1'],
    [
      'the condition only inside a comment',
      'SELECT 1 FROM usage_hourly u -- u.organization_id = $1\n WHERE u.hour > $1',
    ],
    ['the condition only inside a string', "SELECT 'u.organization_id = $1' FROM usage_hourly u WHERE u.model = $1"],
    ['a statement on no tenant table', 'SELECT 1 FROM organizations WHERE id = $1'],
    ['$10 mistaken for $1', 'SELECT 1 FROM usage_daily u WHERE u.organization_id = $10'],
  ])('refuses %s', (_, sql) => {
    expect(() => assertTenantStatement(sql)).toThrow(TenantSqlRefused);
  });

  it('lets a caller read soft-deleted rows when it says so', () => {
    const sql = 'SELECT id FROM sessions s WHERE s.organization_id = $1 AND s.deleted_at IS NOT NULL';
    expect(() => assertTenantStatement(sql)).toThrow(TenantSqlRefused);
    expect(() => assertTenantStatement(sql, { includeDeleted: true })).not.toThrow();
  });
});

describe('TenantSql', () => {
  const recorded: { text: string; values: readonly unknown[] }[] = [];
  const executor: SqlExecutor = <R>(text: string, values: readonly unknown[]) => {
    recorded.push({ text, values });
    return Promise.resolve({ rows: [] as R[], rowCount: 0 });
  };

  beforeEach(() => (recorded.length = 0));

  it('runs a statement with the organization as $1 and the parameters after it', async () => {
    const sql = new TenantSql(executor);
    await sql.rows('org-1', 'SELECT 1 FROM usage_hourly u WHERE u.organization_id = $1 AND u.model = $2', ['m']);
    expect(recorded).toHaveLength(1);
    expect(recorded[0].text).toContain('u.model = $2');
    expect(recorded[0].values).toEqual(['org-1', 'm']);
  });

  it('never sends a refused statement to the database', async () => {
    const sql = new TenantSql(executor);
    await expect(sql.rows('org-1', 'SELECT * FROM interactions WHERE session_id = $2', ['s'])).rejects.toThrow(
      TenantSqlRefused,
    );
    expect(recorded).toEqual([]);
  });

  it('refuses a statement without an organization', async () => {
    const sql = new TenantSql(executor);
    await expect(sql.rows('', 'SELECT 1 FROM usage_hourly u WHERE u.organization_id = $1')).rejects.toThrow(
      TenantSqlRefused,
    );
    expect(recorded).toEqual([]);
  });

  it('runs statements across organizations only with a reason', async () => {
    const sql = new TenantSql(executor);
    await expect(sql.acrossOrganizations(' ', 'DELETE FROM share_links')).rejects.toThrow(TenantSqlRefused);
    await sql.acrossOrganizations('maintenance', 'SELECT count(*) FROM interactions');
    expect(recorded).toHaveLength(1);
  });
});
