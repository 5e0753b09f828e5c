/**
 * Soft delete is structural: every entity with `deletedAt` takes it from one of the soft-deletable
 * bases, so the default `softDelete` filter hides its deleted rows from every ORM query, and every
 * unique index on its table is partial (`where deleted_at is null`), in the schema the migrations
 * actually build.
 */
import { MikroORM } from '@mikro-orm/postgresql';
import { SOFT_DELETE_FILTER, SoftDeletableEntity, SoftDeletableOrgScopedEntity } from '../../src/database/base.entity';
import { startTestApp, type TestApp } from '../support/test-app';

describe('soft delete', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('every entity with deletedAt extends a soft-deletable base and has the default filter; no other has it', () => {
    const entities = [...app.app.get(MikroORM).getMetadata().getAll().values()].filter(
      (meta) => !meta.abstract && !meta.embeddable,
    );
    const soft = entities.filter((meta) => 'deletedAt' in meta.properties);
    expect(soft.map((meta) => meta.className).sort()).toEqual(['Organization', 'Session']);
    for (const meta of soft) {
      expect({
        entity: meta.className,
        base:
          meta.class.prototype instanceof SoftDeletableEntity ||
          meta.class.prototype instanceof SoftDeletableOrgScopedEntity,
      }).toEqual({
        entity: meta.className,
        base: true,
      });
      expect(meta.filters[SOFT_DELETE_FILTER]).toMatchObject({ default: true, cond: { deletedAt: null } });
    }
    for (const meta of entities.filter((m) => !soft.includes(m)))
      expect({ entity: meta.className, filter: meta.filters[SOFT_DELETE_FILTER] }).toEqual({
        entity: meta.className,
        filter: undefined,
      });
  });

  it('every unique index on a table with deleted_at is partial on deleted_at is null', async () => {
    const indexes = await app.sql<{ table_name: string; index_name: string; definition: string }>(
      `select t.relname as table_name, i.relname as index_name, pg_get_indexdef(x.indexrelid) as definition
       from pg_index x
       join pg_class i on i.oid = x.indexrelid
       join pg_class t on t.oid = x.indrelid
       join pg_namespace n on n.oid = t.relnamespace
       where n.nspname = current_schema() and x.indisunique and not x.indisprimary
         and exists (select 1 from information_schema.columns c
                     where c.table_schema = current_schema() and c.table_name = t.relname and c.column_name = 'deleted_at')
       order by 1, 2`,
    );
    expect(indexes.map((index) => index.table_name)).toEqual(expect.arrayContaining(['organizations', 'sessions']));
    for (const index of indexes) {
      expect({ index: index.index_name, partial: /WHERE .*\bdeleted_at IS NULL/i.test(index.definition) }).toEqual({
        index: index.index_name,
        partial: true,
      });
    }
    const withDeletedAt = await app.sql<{ table_name: string }>(
      `select table_name from information_schema.columns where table_schema = current_schema() and column_name = 'deleted_at' order by 1`,
    );
    // The entities' tables, and provider_objects: outside the ORM, its repository states `deleted_at is
    // null` in each statement, and its key is Anthropic's object id, which never comes back.
    expect(withDeletedAt.map((row) => row.table_name)).toEqual(['organizations', 'provider_objects', 'sessions']);
  });
});
