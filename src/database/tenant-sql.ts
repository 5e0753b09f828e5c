import type { Pool } from 'pg';

/**
 * Raw SQL on tenant tables, held to one rule: a statement names the organization it works for as
 * its first parameter (`$1`), and every tenant table it reads or changes is tied to `$1` by its
 * `organization_id` (directly, or through a table already tied to it) and, where rows are soft
 * deleted, keeps to live rows unless the caller asks for deleted ones. A statement that breaks
 * the rule is refused before it reaches the database. The ORM's tenant filter stays armed as a
 * backstop for everything that goes through the ORM.
 *
 * Statements that work across organizations on purpose (the recorder's batch writer, repricing,
 * reconciliation, maintenance) say so through `acrossOrganizations`, with a reason, so they can be
 * found and reviewed.
 */

/** Every table that holds rows of one organization, and whether its rows are soft deleted. */
export const TENANT_TABLES: Readonly<Record<string, { softDelete: boolean }>> = {
  api_keys: { softDelete: false },
  interactions: { softDelete: false },
  invitations: { softDelete: false },
  latency_hourly: { softDelete: false },
  memberships: { softDelete: false },
  organization_retention: { softDelete: false },
  organization_session_counts: { softDelete: false },
  provider_keys: { softDelete: false },
  provider_objects: { softDelete: true },
  retention_removals: { softDelete: false },
  sessions: { softDelete: true },
  share_links: { softDelete: false },
  spend_alerts: { softDelete: false },
  spend_counters: { softDelete: false },
  spend_leases: { softDelete: false },
  spend_limit_settings: { softDelete: false },
  spend_limits: { softDelete: false },
  spend_webhook_deliveries: { softDelete: false },
  usage_daily: { softDelete: false },
  usage_hourly: { softDelete: false },
  usage_hourly_principals: { softDelete: false },
};

export interface TenantSqlOptions {
  /** Soft-deleted rows are part of what the statement means (a restore, an admin's list of deleted sessions). */
  includeDeleted?: boolean;
}

export class TenantSqlRefused extends Error {
  constructor(reason: string) {
    super(`Refused tenant SQL: ${reason}`);
    this.name = 'TenantSqlRefused';
  }
}

interface TableReference {
  table: string;
  /** The name the statement uses for the table: its alias, or the table itself. */
  name: string;
  kind: 'read' | 'insert' | 'update' | 'delete';
}

const KEYWORDS = new Set([
  'where',
  'on',
  'join',
  'left',
  'right',
  'inner',
  'full',
  'cross',
  'set',
  'group',
  'order',
  'limit',
  'offset',
  'using',
  'returning',
  'union',
  'select',
  'values',
  'for',
  'having',
  'window',
  'natural',
  'lateral',
  'as',
  'and',
  'or',
  'default',
  'except',
  'intersect',
  'fetch',
]);

/** The statement without comments and string literals, lower-cased: what the rule is checked on. */
function skeleton(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
    .toLowerCase();
}

function references(text: string): TableReference[] {
  const found: TableReference[] = [];
  const pattern =
    /\b(from|join|update|into|delete\s+from)\s+(?:only\s+)?"?([a-z_][a-z0-9_]*)"?(?:\s+(?:as\s+)?"?([a-z_][a-z0-9_]*)"?)?/g;
  for (const match of text.matchAll(pattern)) {
    const [, clause, table, alias] = match;
    if (!(table in TENANT_TABLES)) continue;
    const named = alias && !KEYWORDS.has(alias) ? alias : table;
    const kind =
      clause === 'update' ? 'update' : clause === 'into' ? 'insert' : clause.startsWith('delete') ? 'delete' : 'read';
    found.push({ table, name: named, kind });
  }
  return found;
}

const escape = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `name.column` or, for a table used without a qualifier, the bare column. */
function column(name: string, table: string, columnName: string): string {
  const qualified = `\\b${escape(name)}\\."?${columnName}"?`;
  return name === table ? `(?:${qualified}|(?<![.\\w"])"?${columnName}"?)` : qualified;
}

/**
 * Throws TenantSqlRefused unless every tenant table the statement names is tied to the
 * organization in `$1` (see the module comment). Exported for the tests that prove it refuses.
 */
export function assertTenantStatement(sql: string, options: TenantSqlOptions = {}): void {
  const text = skeleton(sql);
  const refs = references(text);
  if (refs.length === 0)
    throw new TenantSqlRefused('the statement names no tenant table; use acrossOrganizations or the ORM');
  if (!/\$1(?!\d)/.test(text)) throw new TenantSqlRefused('the organization ($1) is not used');
  const tied = new Set<string>();
  const pending = refs.filter((ref) => ref.kind !== 'insert');
  for (const ref of refs.filter((r) => r.kind === 'insert')) {
    const columns = new RegExp(`into\\s+"?${ref.table}"?\\s*\\(([^)]*)\\)`).exec(text)?.[1] ?? '';
    if (!/\borganization_id\b/.test(columns))
      throw new TenantSqlRefused(`the insert into ${ref.table} sets no organization_id`);
  }
  // Tied directly to $1, then through tables already tied (j.organization_id = i.organization_id).
  let progress = true;
  while (progress) {
    progress = false;
    for (const ref of pending) {
      if (tied.has(ref.name)) continue;
      const own = column(ref.name, ref.table, 'organization_id');
      const direct = new RegExp(`${own}\\s*=\\s*\\$1(?!\\d)|\\$1(?!\\d)(?:::uuid)?\\s*=\\s*${own}`);
      const through = [...tied].some((other) => {
        const theirs = `\\b${escape(other)}\\."?organization_id"?`;
        return new RegExp(`${own}\\s*=\\s*${theirs}|${theirs}\\s*=\\s*${own}`).test(text);
      });
      if (direct.test(text) || through) {
        tied.add(ref.name);
        progress = true;
      }
    }
  }
  for (const ref of pending) {
    if (!tied.has(ref.name))
      throw new TenantSqlRefused(
        `${ref.table}${ref.name === ref.table ? '' : ` ${ref.name}`} is not tied to the organization ($1)`,
      );
    if (TENANT_TABLES[ref.table].softDelete && !options.includeDeleted && ref.kind !== 'delete') {
      const live = new RegExp(`${column(ref.name, ref.table, 'deleted_at')}\\s+is\\s+null`);
      if (!live.test(text))
        throw new TenantSqlRefused(`${ref.table} is read without its soft-delete condition (deleted_at IS NULL)`);
    }
  }
}

/** Runs a statement; `$n` placeholders, the values in order. */
export type SqlExecutor = <R>(text: string, values: readonly unknown[]) => Promise<{ rows: R[]; rowCount: number }>;

/** The statement's `$n` placeholders as `?` with the values in the order they appear (MikroORM's raw SQL). */
function positional(text: string, values: readonly unknown[]): { text: string; values: unknown[] } {
  const ordered: unknown[] = [];
  const converted = text.replace(/\$(\d+)/g, (_, n: string) => {
    ordered.push(values[Number(n) - 1]);
    return '?';
  });
  return { text: converted, values: ordered };
}

/** Over the plain pool the hot paths use (outside the ORM's unit of work), or one of its clients in a transaction. */
function poolExecutor(pool: Pick<Pool, 'query'>): SqlExecutor {
  return async <R>(text: string, values: readonly unknown[]) => {
    const result = await pool.query(text, values as unknown[]);
    return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
  };
}

/** What the ORM's entity manager offers for raw SQL (`?` placeholders). */
interface OrmRawSql {
  execute<T>(sql: string, params?: unknown[], method?: 'all' | 'get' | 'run'): Promise<T>;
}

/** Over the ORM's connection of the current request (and its transaction, when one is open). */
function ormExecutor(em: OrmRawSql): SqlExecutor {
  return async <R>(text: string, values: readonly unknown[]) => {
    const statement = positional(text, values);
    if (/^\s*(select|with)\b/i.test(text) || /\breturning\b/i.test(text)) {
      const rows = await em.execute<R[]>(statement.text, statement.values, 'all');
      return { rows, rowCount: rows.length };
    }
    const result = await em.execute<{ affectedRows: number; rows?: R[] }>(statement.text, statement.values, 'run');
    return { rows: result.rows ?? [], rowCount: result.affectedRows };
  };
}

/**
 * Tenant SQL for one repository: `rows`, `one` and `run` take the organization first and check the
 * statement against the rule before running it; checked statements are remembered, so the hot
 * path pays for the check once per distinct statement.
 */
export class TenantSql {
  private readonly checked = new Set<string>();

  constructor(private readonly executor: SqlExecutor) {}

  static overPool(pool: Pick<Pool, 'query'>): TenantSql {
    return new TenantSql(poolExecutor(pool));
  }

  static overOrm(em: OrmRawSql): TenantSql {
    return new TenantSql(ormExecutor(em));
  }

  async rows<R>(
    organizationId: string,
    sql: string,
    params: readonly unknown[] = [],
    options: TenantSqlOptions = {},
  ): Promise<R[]> {
    return (await this.execute<R>(organizationId, sql, params, options)).rows;
  }

  async one<R>(
    organizationId: string,
    sql: string,
    params: readonly unknown[] = [],
    options: TenantSqlOptions = {},
  ): Promise<R | undefined> {
    return (await this.execute<R>(organizationId, sql, params, options)).rows[0];
  }

  /** The rows and how many the statement touched, as the pool answers. */
  query<R>(
    organizationId: string,
    sql: string,
    params: readonly unknown[] = [],
    options: TenantSqlOptions = {},
  ): Promise<{ rows: R[]; rowCount: number }> {
    return this.execute<R>(organizationId, sql, params, options);
  }

  /** How many rows the statement changed. */
  async run(
    organizationId: string,
    sql: string,
    params: readonly unknown[] = [],
    options: TenantSqlOptions = {},
  ): Promise<number> {
    return (await this.execute(organizationId, sql, params, options)).rowCount;
  }

  /**
   * A statement that works across organizations on purpose (a batch of every organization's
   * calls, a maintenance pass); `reason` says why, for the reader.
   */
  async acrossOrganizations<R>(
    reason: string,
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<{ rows: R[]; rowCount: number }> {
    if (!reason.trim()) throw new TenantSqlRefused('a statement across organizations must say why');
    return this.executor<R>(sql, params);
  }

  private execute<R>(organizationId: string, sql: string, params: readonly unknown[], options: TenantSqlOptions) {
    const key = options.includeDeleted ? `deleted:${sql}` : sql;
    if (!this.checked.has(key)) {
      assertTenantStatement(sql, options);
      this.checked.add(key);
    }
    if (typeof organizationId !== 'string' || organizationId.length === 0)
      throw new TenantSqlRefused('no organization given');
    return this.executor<R>(sql, [organizationId, ...params]);
  }
}
