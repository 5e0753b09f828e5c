import type { ClientBase, Pool } from 'pg';
import type { CatalogFacts, ForeignKeyFacts, KeyFacts, TableFacts, TriggerFacts } from './citus-rules';

type Queryable = Pick<ClientBase | Pool, 'query'>;

/**
 * Reads what the Citus rules need from pg_catalog, for one schema: its ordinary and partitioned
 * tables (partitions are checked through their parent, whose keys and triggers they inherit), their
 * columns, primary/unique/exclusion constraints and unique indexes, foreign keys and triggers.
 */
export async function readCatalogFacts(db: Queryable, schema = 'public'): Promise<CatalogFacts> {
  const tables = await db.query<{ name: string; columns: { name: string; notNull: boolean }[] }>(
    `select c.relname as name,
       coalesce(json_agg(json_build_object('name', a.attname, 'notNull', a.attnotnull) order by a.attnum)
         filter (where a.attnum > 0), '[]') as columns
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
     where n.nspname = $1 and c.relkind in ('r', 'p') and not c.relispartition
     group by c.relname order by c.relname`,
    [schema],
  );
  // Unique indexes (those backing constraints included) with their plain key columns; the
  // constraint's kind where there is one.
  const keys = await db.query<{ table: string; name: string; kind: string; columns: string[] }>(
    `select t.relname as table, coalesce(con.conname, i.relname) as name,
       case con.contype when 'p' then 'primary key' when 'u' then 'unique' when 'x' then 'exclusion' else 'unique index' end as kind,
       coalesce((select array_agg(a.attname::text order by k.n) from unnest(ix.indkey[0:ix.indnkeyatts - 1]) with ordinality k(attnum, n)
                 join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum where k.attnum > 0), '{}') as columns
     from pg_index ix
     join pg_class i on i.oid = ix.indexrelid
     join pg_class t on t.oid = ix.indrelid
     join pg_namespace n on n.oid = t.relnamespace
     left join pg_constraint con on con.conindid = ix.indexrelid and con.conrelid = t.oid and con.contype in ('p', 'u', 'x')
     where n.nspname = $1 and t.relkind in ('r', 'p') and not t.relispartition and (ix.indisunique or con.contype = 'x')
     order by 1, 2`,
    [schema],
  );
  const foreignKeys = await db.query<ForeignKeyFacts>(
    `select con.conname as name, t.relname as table, r.relname as "referencedTable",
       (select array_agg(a.attname::text order by k.n) from unnest(con.conkey) with ordinality k(attnum, n)
          join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum) as columns,
       (select array_agg(a.attname::text order by k.n) from unnest(con.confkey) with ordinality k(attnum, n)
          join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum) as "referencedColumns"
     from pg_constraint con
     join pg_class t on t.oid = con.conrelid join pg_namespace n on n.oid = t.relnamespace
     join pg_class r on r.oid = con.confrelid
     where n.nspname = $1 and con.contype = 'f' and not t.relispartition and con.conparentid = 0
     order by 1`,
    [schema],
  );
  // tgtype bits: 1 row, 32 truncate (pg_trigger.h).
  const triggers = await db.query<TriggerFacts>(
    `select tg.tgname as name, t.relname as table, (tg.tgtype & 1) <> 0 as "rowLevel", (tg.tgtype & 32) <> 0 as "onTruncate",
       (tg.tgoldtable is not null or tg.tgnewtable is not null) as "transitionTables",
       p.proname as "functionName", coalesce(p.prosrc, '') as "functionSource"
     from pg_trigger tg
     join pg_class t on t.oid = tg.tgrelid join pg_namespace n on n.oid = t.relnamespace
     join pg_proc p on p.oid = tg.tgfoid
     where n.nspname = $1 and not tg.tgisinternal and not t.relispartition
     order by 2, 1`,
    [schema],
  );
  const keysByTable = new Map<string, KeyFacts[]>();
  for (const k of keys.rows)
    keysByTable.set(k.table, [...(keysByTable.get(k.table) ?? []), { name: k.name, kind: k.kind, columns: k.columns }]);
  const tableFacts: TableFacts[] = tables.rows.map((t) => ({
    name: t.name,
    columns: t.columns,
    keys: keysByTable.get(t.name) ?? [],
  }));
  return { tables: tableFacts, foreignKeys: foreignKeys.rows, triggers: triggers.rows };
}
