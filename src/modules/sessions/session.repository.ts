import { EntityRepository } from '@mikro-orm/postgresql';
import { SOFT_DELETE_FILTER, tenantFilter as tenant } from '../../database/base.entity';
import { TenantSql } from '../../database/tenant-sql';
import type { PageStart, SortedCursor } from './session-cursor';
import type { Session, SessionDevice } from './session.entity';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** External ids are 1 to 255 characters without NUL (PostgreSQL text cannot hold one): anything else names no session. */
const possibleId = (value: string) => value.length > 0 && value.length <= 255 && !value.includes('\u0000');

/** What the sessions list can be narrowed by; the organization is always explicit (raw SQL). */
export interface SessionListFilter {
  organizationId: string;
  externalId?: string;
  /** Case-insensitive text in the title or the external id. */
  q?: string;
  /** Inclusive. */
  createdAfter?: string;
  /** Exclusive. */
  createdBefore?: string;
  /** The creator's user id. */
  userId?: string;
  /** A model the session called (the `models` column the recorder keeps). */
  model?: string;
  /** `errors`: at least one failed call; `ok`: none (the `error_requests` column). */
  outcome?: 'errors' | 'ok';
  /** The client kind the proxy recorded as the device type, e.g. claude-code. */
  agent?: string;
  /** The deleted sessions instead of the live ones. */
  deleted?: boolean;
}

/** Whether a filter narrows the list beyond the organization's live sessions. */
function narrows(filter: SessionListFilter): boolean {
  const { organizationId: _organization, ...rest } = filter;
  return Object.values(rest).some((value) => value !== undefined && value !== false);
}

/** What a session response is made of: an entity, or a row of the list. */
export type SessionSummary = Pick<
  Session,
  | 'id'
  | 'externalId'
  | 'title'
  | 'device'
  | 'tokenBudget'
  | 'createdAt'
  | 'lastActivityAt'
  | 'releasedAt'
  | 'requestCount'
  | 'inputTokens'
  | 'outputTokens'
  | 'cacheReadTokens'
  | 'cacheWrite5mTokens'
  | 'cacheWrite1hTokens'
  | 'costNanoUsd'
  | 'unpricedRequests'
  | 'errorRequests'
  | 'models'
> & { organization: { id: string }; user: { id: string }; deletedAt?: Date | null };

/** A session of the list, with its creation time to the microsecond and its sort value for the next cursor. */
export type SessionListItem = SessionSummary & { createdAtKey: string; sortValue: string };

interface SessionListRow {
  id: string;
  organization_id: string;
  user_id: string;
  external_id: string;
  title: string | null;
  device: SessionDevice;
  token_budget: string | null;
  created_at: Date | string;
  created_at_key: string;
  last_activity_at: Date | string;
  released_at: Date | string | null;
  request_count: string;
  input_tokens: string;
  output_tokens: string;
  cache_read_tokens: string;
  cache_write5m_tokens: string;
  cache_write1h_tokens: string;
  cost_nano_usd: string;
  unpriced_requests: string;
  error_requests: string;
  models: string[];
  deleted_at: Date | string | null;
  sort_value: string;
}

const LIST_COLUMNS = `s.id, s.organization_id, s.user_id, s.external_id, s.title, s.device, s.token_budget, s.created_at,
  to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_key,
  s.last_activity_at, s.released_at, s.request_count, s.input_tokens, s.output_tokens, s.cache_read_tokens,
  s.cache_write5m_tokens, s.cache_write1h_tokens, s.cost_nano_usd, s.unpriced_requests, s.error_requests, s.models,
  s.deleted_at`;

/** How the sorted page orders sessions; each maps to fixed SQL (never to caller text), ending on the id so pages never overlap. */
export type SessionSortKey = 'createdAt' | 'cost' | 'tokens';

const SORT_SQL: Record<SessionSortKey, string> = {
  createdAt: 's.created_at',
  cost: 's.cost_nano_usd',
  tokens: '(s.input_tokens + s.output_tokens + s.cache_read_tokens + s.cache_write5m_tokens + s.cache_write1h_tokens)',
};

/**
 * The same orders as expressions no index serves, so the planner filters by the models index
 * (GIN) and sorts what it finds instead of walking an ordered index past every other session.
 */
const UNINDEXED_SORT_SQL: Record<SessionSortKey, string> = {
  createdAt: "(s.created_at + interval '0 seconds')",
  cost: '(s.cost_nano_usd + 0)',
  tokens: `(${SORT_SQL.tokens} + 0)`,
};

/** How many sessions, in the list's order, the model filter looks through before it asks the models index. */
const MODEL_WINDOW = 20_000;

/** LIKE wildcards in user text are matched literally. */
function likePattern(text: string): string {
  return `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/**
 * Sessions. Every method names the organization first: ORM queries state it and arm the tenant
 * filter for it (the soft-delete filter keeps to live rows unless lifted); raw SQL goes through
 * TenantSql, which refuses a statement without both conditions.
 */
export class SessionRepository extends EntityRepository<Session> {
  private readonly sql = TenantSql.overOrm(this.getEntityManager());

  /**
   * A session by its UUID or by its external id (either id is accepted). An external id names the
   * organization's open session with it, or else the most recent one (a released session keeps its
   * external id, and a later call may have opened a new session under it).
   */
  async findByIdOrExternalId(organizationId: string, idOrExternalId: string): Promise<Session | null> {
    if (!possibleId(idOrExternalId)) return null;
    if (UUID.test(idOrExternalId)) {
      const byId = await this.findOne(
        { organization: organizationId, id: idOrExternalId.toLowerCase() },
        { filters: tenant(organizationId) },
      );
      if (byId) return byId;
    }
    const [latest] = await this.find(
      { organization: organizationId, externalId: idOrExternalId },
      {
        filters: tenant(organizationId),
        orderBy: { releasedAt: 'asc nulls first', createdAt: 'desc', id: 'desc' },
        limit: 1,
      },
    );
    return latest ?? null;
  }

  /**
   * Like findByIdOrExternalId, deleted sessions included (still only this organization's): the
   * live one an external id names comes first, else the most recently deleted.
   */
  async findIncludingDeleted(organizationId: string, idOrExternalId: string): Promise<Session | null> {
    if (!possibleId(idOrExternalId)) return null;
    const filters = { ...tenant(organizationId), [SOFT_DELETE_FILTER]: false };
    if (UUID.test(idOrExternalId)) {
      const byId = await this.findOne({ organization: organizationId, id: idOrExternalId.toLowerCase() }, { filters });
      if (byId) return byId;
    }
    const [latest] = await this.find(
      { organization: organizationId, externalId: idOrExternalId },
      {
        filters,
        orderBy: { deletedAt: 'desc nulls first', releasedAt: 'asc nulls first', createdAt: 'desc', id: 'desc' },
        limit: 1,
      },
    );
    return latest ?? null;
  }

  /** A deleted session by UUID, or the most recently deleted one with this external id. */
  async findDeleted(organizationId: string, idOrExternalId: string): Promise<Session | null> {
    if (!possibleId(idOrExternalId)) return null;
    const filters = { ...tenant(organizationId), [SOFT_DELETE_FILTER]: false };
    if (UUID.test(idOrExternalId)) {
      const byId = await this.findOne(
        { organization: organizationId, id: idOrExternalId.toLowerCase(), deletedAt: { $ne: null } },
        { filters },
      );
      if (byId) return byId;
    }
    const [latest] = await this.find(
      { organization: organizationId, externalId: idOrExternalId, deletedAt: { $ne: null } },
      { filters, orderBy: { deletedAt: 'desc', id: 'desc' }, limit: 1 },
    );
    return latest ?? null;
  }

  /** Whether another live, unreleased session holds this external id (the partial unique index's rows). */
  async openSessionHolds(organizationId: string, externalId: string, exceptId: string): Promise<boolean> {
    return (
      (await this.count({ organization: organizationId, externalId, releasedAt: null, id: { $ne: exceptId } })) > 0
    );
  }

  /**
   * A page of the list, by (created_at, id) newest first or by cost or tokens highest first (then
   * id), one row more than asked for so the caller knows whether another page follows. Either a
   * start (a cursor of this order, or a timestamp for the newest-first order) or an offset.
   */
  async listPage(
    filter: SessionListFilter,
    page: { limit: number; sort: SessionSortKey; start?: PageStart; sorted?: SortedCursor; offset?: number },
  ): Promise<SessionListItem[]> {
    const { where, params } = listConditions({ ...filter, model: undefined });
    const key = SORT_SQL[page.sort];
    if (page.start?.kind === 'cursor') {
      where.push(
        `(s.created_at, s.id) < (${params.add(page.start.cursor.createdAt)}::timestamptz, ${params.add(page.start.cursor.id)}::uuid)`,
      );
    } else if (page.start?.kind === 'timestamp') {
      where.push(`s.created_at < ${params.add(page.start.before)}::timestamptz`);
    }
    if (page.sorted) {
      where.push(`(${key}, s.id) < (${params.add(page.sorted.value)}::bigint, ${params.add(page.sorted.id)}::uuid)`);
    }
    const options = { includeDeleted: filter.deleted === true };
    const run = (sql: string) => this.sql.rows<SessionListRow>(filter.organizationId, sql, params.values, options);
    const limit = params.add(page.limit + 1);
    const offset = params.add(page.offset ?? 0);
    if (filter.model === undefined) {
      const rows = await run(
        `SELECT ${LIST_COLUMNS}, (${key})::text AS sort_value FROM sessions s WHERE ${where.join(' AND ')}
         ORDER BY ${key} DESC, s.id DESC LIMIT ${limit} OFFSET ${offset}`,
      );
      return rows.map(toListItem);
    }
    // A model the organization calls often is found among the first sessions in this order (an
    // index walk that stops early); a rare one, or one it never called, would make that walk read
    // every session, so when the first MODEL_WINDOW hold too few, the models index (GIN) finds all
    // sessions with it and they are sorted. Either way the page is exact: the first matches in the
    // window are the first matches overall.
    const model = `ARRAY[${params.add(filter.model)}::text]`;
    const windowed = await run(
      `SELECT w.* FROM (
         SELECT ${LIST_COLUMNS}, (${key})::text AS sort_value, ${key} AS sort_key FROM sessions s
         WHERE ${where.join(' AND ')} ORDER BY ${key} DESC, s.id DESC LIMIT ${MODEL_WINDOW}
       ) w WHERE w.models @> ${model} ORDER BY w.sort_key DESC, w.id DESC LIMIT ${limit} OFFSET ${offset}`,
    );
    if (windowed.length === page.limit + 1) return windowed.map(toListItem);
    const rows = await run(
      `SELECT ${LIST_COLUMNS}, (${key})::text AS sort_value FROM sessions s
       WHERE ${where.join(' AND ')} AND s.models @> ${model}
       ORDER BY ${UNINDEXED_SORT_SQL[page.sort]} DESC, s.id DESC LIMIT ${limit} OFFSET ${offset}`,
    );
    return rows.map(toListItem);
  }

  /**
   * How many sessions the filter matches. Without a filter that is the organization's live
   * sessions, one row of the counts the session triggers keep (migration session_counts), so the
   * cost does not grow with the organization; with one, an exact count(*).
   */
  async countMatching(filter: SessionListFilter): Promise<number> {
    if (!narrows(filter)) return this.countLive(filter.organizationId);
    const { where, params } = listConditions(filter);
    const row = await this.sql.one<{ n: string }>(
      filter.organizationId,
      `SELECT count(*) AS n FROM sessions s WHERE ${where.join(' AND ')}`,
      params.values,
      { includeDeleted: filter.deleted === true },
    );
    return Number(row?.n ?? 0);
  }

  /**
   * A page of the organization's live sessions by start time, cost or tokens, with how many live
   * sessions it has. The total is one row of `organization_session_counts`, kept exact by triggers
   * on sessions (migration session_counts), never a count(*) that grows with the organization.
   */
  async pageSorted(
    organizationId: string,
    page: { limit: number; offset: number; sort: SessionSortKey; descending: boolean },
  ): Promise<{ rows: SessionListItem[]; totalCount: number }> {
    const direction = page.descending ? 'DESC' : 'ASC';
    const [rows, totalCount] = await Promise.all([
      this.sql.rows<SessionListRow>(
        organizationId,
        `SELECT ${LIST_COLUMNS}, '' AS sort_value FROM sessions s
         WHERE s.organization_id = $1 AND s.deleted_at IS NULL
         ORDER BY ${SORT_SQL[page.sort]} ${direction}, s.id ${direction}
         LIMIT $2 OFFSET $3`,
        [page.limit, page.offset],
      ),
      this.countLive(organizationId),
    ]);
    return { rows: rows.map(toListItem), totalCount };
  }

  /** The organization's live sessions (released ones included): a primary-key read of the counts the triggers keep. */
  private async countLive(organizationId: string): Promise<number> {
    const row = await this.sql.one<{ n: string }>(
      organizationId,
      'SELECT c.live_sessions AS n FROM organization_session_counts c WHERE c.organization_id = $1',
    );
    return Number(row?.n ?? 0);
  }
}

/** Numbered parameters after the organization ($1): `add` returns the placeholder of a value. */
class Params {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length + 1}`;
  }
}

function listConditions(filter: SessionListFilter): { where: string[]; params: Params } {
  const where = ['s.organization_id = $1', filter.deleted ? 's.deleted_at IS NOT NULL' : 's.deleted_at IS NULL'];
  const params = new Params();
  if (filter.userId !== undefined) where.push(`s.user_id = ${params.add(filter.userId)}::uuid`);
  if (filter.model !== undefined) where.push(`s.models @> ARRAY[${params.add(filter.model)}::text]`);
  if (filter.outcome === 'errors') where.push('s.error_requests > 0');
  if (filter.outcome === 'ok') where.push('s.error_requests = 0');
  if (filter.agent !== undefined) where.push(`s.device->>'type' = ${params.add(filter.agent)}`);
  if (filter.externalId !== undefined) where.push(`s.external_id = ${params.add(filter.externalId)}`);
  if (filter.q !== undefined) {
    const pattern = params.add(likePattern(filter.q));
    where.push(`(s.title ILIKE ${pattern} ESCAPE '!' OR s.external_id ILIKE ${pattern} ESCAPE '!')`);
  }
  if (filter.createdAfter !== undefined) where.push(`s.created_at >= ${params.add(filter.createdAfter)}::timestamptz`);
  if (filter.createdBefore !== undefined) where.push(`s.created_at < ${params.add(filter.createdBefore)}::timestamptz`);
  return { where, params };
}

function toListItem(row: SessionListRow): SessionListItem {
  return {
    id: row.id,
    organization: { id: row.organization_id },
    user: { id: row.user_id },
    externalId: row.external_id,
    title: row.title,
    device: row.device,
    tokenBudget: row.token_budget === null ? null : Number(row.token_budget),
    createdAt: new Date(row.created_at),
    createdAtKey: row.created_at_key,
    lastActivityAt: new Date(row.last_activity_at),
    releasedAt: row.released_at === null ? null : new Date(row.released_at),
    requestCount: Number(row.request_count),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    cacheReadTokens: Number(row.cache_read_tokens),
    cacheWrite5mTokens: Number(row.cache_write5m_tokens),
    cacheWrite1hTokens: Number(row.cache_write1h_tokens),
    costNanoUsd: Number(row.cost_nano_usd),
    unpricedRequests: Number(row.unpriced_requests),
    errorRequests: Number(row.error_requests),
    models: row.models,
    deletedAt: row.deleted_at === null ? null : new Date(row.deleted_at),
    sortValue: row.sort_value,
  };
}
