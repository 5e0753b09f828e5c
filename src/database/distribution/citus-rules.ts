/**
 * The rules a distributed PostgreSQL (Citus) holds a schema to when its tenant tables are
 * distributed by `organization_id` and its global tables are reference tables, checked against
 * facts read from PostgreSQL's catalog (see citus-catalog.ts). Citus cannot be installed here, so
 * this is how the schema is kept distributable: docs/scale-out.md names the steps it proves.
 */

/** The distribution column of every tenant table. */
const DISTRIBUTION_COLUMN = 'organization_id';

/**
 * Global tables, replicated to every node: `create_reference_table`. Users belong to several
 * organizations; organizations are the tenants themselves (small, read on every request, pointed
 * at by users); retention runs are the maintenance log of the whole database.
 */
const REFERENCE_TABLES: readonly string[] = ['users', 'organizations', 'retention_runs'];

/** Tables that stay on the coordinator alone and are never distributed. */
const LOCAL_TABLES: readonly string[] = ['mikro_orm_migrations'];

export type TableKind = 'distributed' | 'reference' | 'local';

export interface ColumnFacts {
  name: string;
  notNull: boolean;
}

export interface KeyFacts {
  name: string;
  /** `primary key`, `unique`, `unique index`, `exclusion`. */
  kind: string;
  /** Plain key columns (expressions contribute none). */
  columns: string[];
}

export interface ForeignKeyFacts {
  name: string;
  table: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
}

export interface TriggerFacts {
  name: string;
  table: string;
  rowLevel: boolean;
  onTruncate: boolean;
  transitionTables: boolean;
  functionName: string;
  /** The trigger function's source (plpgsql body). */
  functionSource: string;
}

export interface TableFacts {
  name: string;
  columns: ColumnFacts[];
  keys: KeyFacts[];
}

export interface CatalogFacts {
  tables: TableFacts[];
  foreignKeys: ForeignKeyFacts[];
  triggers: TriggerFacts[];
}

export interface Finding {
  table: string;
  rule: string;
  detail: string;
}

export interface CheckResult {
  kinds: Record<string, TableKind>;
  violations: Finding[];
  /** Not refused by Citus, but behaving differently once distributed (docs/scale-out.md says how). */
  notes: Finding[];
}

/** A table with the distribution column is distributed; the named ones are reference or local. */
function classify(table: TableFacts): TableKind | null {
  if (REFERENCE_TABLES.includes(table.name)) return 'reference';
  if (LOCAL_TABLES.includes(table.name)) return 'local';
  if (table.columns.some((c) => c.name === DISTRIBUTION_COLUMN)) return 'distributed';
  return null;
}

// `on conflict … do update set` updates the row being inserted, not another table.
const MODIFYING = /\b(insert\s+into|(?<!\bdo\s+)update|delete\s+from|merge\s+into)\s+("?[a-z_][a-z0-9_]*"?)/gi;

/** Tables a function's source writes to (insert into, update, delete from, merge into). */
export function tablesWritten(source: string): string[] {
  const out = new Set<string>();
  for (const match of source.matchAll(MODIFYING)) out.add(match[2].replaceAll('"', '').toLowerCase());
  return [...out];
}

export function checkCitusRules(facts: CatalogFacts): CheckResult {
  const kinds: Record<string, TableKind> = {};
  const violations: Finding[] = [];
  const notes: Finding[] = [];
  for (const table of facts.tables) {
    const kind = classify(table);
    if (!kind) {
      violations.push({
        table: table.name,
        rule: 'unclassified table',
        detail: `has no ${DISTRIBUTION_COLUMN} and is not a reference or local table: add the column, or list it in REFERENCE_TABLES with a reason`,
      });
      continue;
    }
    kinds[table.name] = kind;
    if (kind !== 'distributed') continue;
    const column = table.columns.find((c) => c.name === DISTRIBUTION_COLUMN);
    if (column && !column.notNull) {
      violations.push({
        table: table.name,
        rule: 'nullable distribution column',
        detail: `${DISTRIBUTION_COLUMN} must be NOT NULL: a row without it belongs to no shard`,
      });
    }
    if (!table.keys.some((k) => k.kind === 'primary key')) {
      violations.push({
        table: table.name,
        rule: 'no primary key',
        detail: `a distributed table needs a primary key leading with ${DISTRIBUTION_COLUMN}`,
      });
    }
    for (const key of table.keys) {
      if (!key.columns.includes(DISTRIBUTION_COLUMN)) {
        violations.push({
          table: table.name,
          rule: 'key without the distribution column',
          detail: `${key.kind} ${key.name} (${key.columns.join(', ') || 'an expression'}) does not include ${DISTRIBUTION_COLUMN}: Citus enforces uniqueness only within a shard`,
        });
      } else if (key.kind === 'primary key' && key.columns[0] !== DISTRIBUTION_COLUMN) {
        violations.push({
          table: table.name,
          rule: 'key not led by the distribution column',
          detail: `primary key ${key.name} (${key.columns.join(', ')}) must lead with ${DISTRIBUTION_COLUMN}`,
        });
      }
    }
  }

  for (const fk of facts.foreignKeys) {
    const from = kinds[fk.table];
    const to = kinds[fk.referencedTable];
    if (!from || !to) continue;
    const label = `${fk.name}: ${fk.table} (${fk.columns.join(', ')}) → ${fk.referencedTable} (${fk.referencedColumns.join(', ')})`;
    if (from === 'distributed' && to === 'distributed') {
      const joined = fk.columns.some(
        (c, i) => c === DISTRIBUTION_COLUMN && fk.referencedColumns[i] === DISTRIBUTION_COLUMN,
      );
      if (!joined) {
        violations.push({
          table: fk.table,
          rule: 'foreign key across shards',
          detail: `${label} must map ${DISTRIBUTION_COLUMN} to ${DISTRIBUTION_COLUMN}`,
        });
      }
    } else if (from === 'reference' && to === 'distributed') {
      violations.push({
        table: fk.table,
        rule: 'reference table pointing at a distributed table',
        detail: `${label}: Citus refuses foreign keys from reference to distributed tables`,
      });
    } else if (to === 'local' || from === 'local') {
      violations.push({
        table: fk.table,
        rule: 'foreign key with a local table',
        detail: `${label}: a coordinator-only table cannot take part in foreign keys with Citus tables`,
      });
    }
  }

  for (const trigger of facts.triggers) {
    const kind = kinds[trigger.table];
    if (!kind || kind === 'local') continue;
    const label = `trigger ${trigger.name} on ${trigger.table} (${trigger.functionName})`;
    if (kind === 'distributed') {
      if (!trigger.rowLevel) {
        violations.push({
          table: trigger.table,
          rule: 'statement-level trigger',
          detail: `${label}: a distributed table's triggers run on each shard; only row-level triggers see whole rows of one organization`,
        });
      }
      if (trigger.onTruncate)
        violations.push({
          table: trigger.table,
          rule: 'truncate trigger',
          detail: `${label}: TRUNCATE triggers are not run on a distributed table's shards`,
        });
      if (trigger.transitionTables)
        violations.push({
          table: trigger.table,
          rule: 'transition tables',
          detail: `${label}: a statement's transition tables hold one shard's rows, not the statement's`,
        });
    }
    for (const written of tablesWritten(trigger.functionSource)) {
      const target = kinds[written];
      if (!target || written === trigger.table) continue;
      if (kind === 'distributed' && target !== 'distributed') {
        violations.push({
          table: trigger.table,
          rule: 'trigger writes outside the shard',
          detail: `${label} writes ${target} table ${written}: a shard's trigger may write only co-located rows`,
        });
      } else if (kind === 'distributed' && !trigger.functionSource.includes(DISTRIBUTION_COLUMN)) {
        violations.push({
          table: trigger.table,
          rule: 'trigger writes outside the shard',
          detail: `${label} writes ${written} without naming ${DISTRIBUTION_COLUMN}: it must address rows of its own organization`,
        });
      } else if (kind === 'reference' && target === 'distributed') {
        violations.push({
          table: trigger.table,
          rule: 'reference trigger writes a distributed table',
          detail: `${label} writes ${written}: a reference table's trigger runs on every node`,
        });
      }
    }
    if (/\bpg_notify\s*\(|\bnotify\s+/i.test(trigger.functionSource) && kind === 'distributed') {
      notes.push({
        table: trigger.table,
        rule: 'notification from a shard',
        detail: `${label} notifies from the node holding the row's shard, where no instance listens (changes made through Lamplight are also announced on the coordinator; see docs/scale-out.md)`,
      });
    }
  }
  return { kinds, violations, notes };
}
