import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { isDatabaseUnavailable } from '../../common/errors/error-response';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { jsonForPostgres, wellFormed } from '../../common/text/storable-text';
import { PG_POOL } from '../../database/pg-pool';
import { hourlyRollupsFrom, principalAndLatencyRollupsFrom } from '../analytics/usage-rollups.sql';
import { knownSessionsFrom, sessionTotalsFrom } from '../sessions/session-totals.sql';
import { INTERACTION_COST_COLUMNS } from './interaction-costs.sql';
import type { InteractionRecord } from './interaction-record';

/**
 * The columns of `interactions` the recorder sends as rows of the type `interaction_batch_row`
 * (migration interaction_batch_row), in that type's order.
 */
export const BATCH_ROW_COLUMNS = [
  'id',
  'organization_id',
  'session_id',
  'api_key_id',
  'user_id',
  'model',
  'stream',
  'http_status',
  'outcome',
  'stop_reason',
  'error_type',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write5m_tokens',
  'cache_write1h_tokens',
  ...INTERACTION_COST_COLUMNS,
  'pricing_version',
  'latency_ms',
  'time_to_first_token_ms',
  'upstream_request_id',
  'agent_id',
  'parent_agent_id',
  'user_query',
  'final_output',
  'content_truncated',
  'content_status',
  'started_at',
  'ended_at',
] as const;

/** The jsonb columns, sent beside the rows as one JSON array of objects with these keys. */
const JSON_COLUMNS = ['cost_breakdown', 'usage', 'content'] as const;

/** Every column of `interactions` the recorder writes. */
const COLUMNS = [...BATCH_ROW_COLUMNS, ...JSON_COLUMNS];

/**
 * The recorder's statement: the interactions (a multi-row INSERT, idempotent on id), the sessions'
 * running totals and the hourly rollups (by model, by API key and member, and of latency), all
 * computed from the rows actually inserted, so a replayed batch changes nothing twice. The parts on
 * the sessions and the rollups are written by the modules that own those tables (sessions,
 * analytics).
 *
 * The calls arrive in two parameters read side by side (ROWS FROM): `$1`, an array of
 * `interaction_batch_row`, one per call, which PostgreSQL reads field by field; `$2`, the
 * calls' jsonb columns as one JSON array (JSON text nested in a row literal would be escaped twice,
 * and transcripts are large). Measured on 500 calls without content: about 8–10 ms to read, against
 * 11–16 ms for the whole batch as one JSON document of objects (whose keys are hashed call by call);
 * with 12 KB of content per call, 99–112 ms against 92–125.
 *
 * The calls' organizations are locked first (FOR KEY SHARE, once each, what a foreign key's check
 * takes for every row) and their sessions looked up: a call whose organization or session (in its
 * organization) is not found is given a null session, which the column refuses (23502, a data
 * error): the whole statement fails and the recorder isolates that call, as it would a
 * foreign-key violation. These checks are the foreign keys' (interactions has none: migrations
 * interaction_sessions_checked_by_writer and interaction_organizations_checked_by_writer). The
 * lock makes a purge of the organization wait for this statement, and a statement that starts
 * during a purge wait for it and then find the organization gone (retention.repository.ts).
 *
 * `organization` null: the statement spans organizations, each call carrying its own (one statement
 * per batch, the fastest on one database). Given (`$3`): every part names that organization, so the
 * statement touches its rows only: the rows of one shard when the tables are distributed by
 * organization (DATABASE_DISTRIBUTED, docs/scale-out.md).
 */
const writeBatchSql = (organization: string | null): string => `
WITH input AS (
  SELECT ${COLUMNS.map((c) => (c === 'organization_id' ? `${organization ?? 't.organization_id'} AS organization_id` : `t.${c}`)).join(', ')}
  FROM ROWS FROM (
    unnest($1::interaction_batch_row[]),
    json_to_recordset($2::json) AS (cost_breakdown jsonb, usage jsonb, content jsonb)
  ) AS t
),
known_organizations AS (
  SELECT id FROM organizations
  WHERE id ${organization ? `= ${organization}` : '= ANY (ARRAY(SELECT DISTINCT organization_id FROM input))'}
  ORDER BY id FOR KEY SHARE
),
${knownSessionsFrom('input', organization)},
inserted AS (
  INSERT INTO interactions (${COLUMNS.join(', ')})
  SELECT ${COLUMNS.map((c) => (c === 'session_id' ? 'CASE WHEN o.id IS NOT NULL THEN k.id END' : `i.${c}`)).join(', ')}
  FROM input i LEFT JOIN known_organizations o ON o.id = i.organization_id
    LEFT JOIN known_sessions k ON k.organization_id = i.organization_id AND k.id = i.session_id
  ON CONFLICT (organization_id, id, started_at) DO NOTHING
  RETURNING organization_id, session_id, model, outcome, started_at, ended_at, input_tokens, output_tokens,
    cache_read_tokens, cache_write5m_tokens, cache_write1h_tokens, cost_input_nano_usd, cost_output_nano_usd,
    cost_cache_read_nano_usd, cost_cache_write5m_nano_usd, cost_cache_write1h_nano_usd, cost_total_nano_usd,
    cost_tools_nano_usd, cost_multipliers_nano_usd, cost_cache_savings_nano_usd, api_key_id, user_id, latency_ms,
    time_to_first_token_ms
),
${sessionTotalsFrom('inserted', organization)},
${hourlyRollupsFrom('inserted', organization)},
${principalAndLatencyRollupsFrom('inserted', organization)}
SELECT (SELECT count(*) FROM inserted)::int AS inserted, (SELECT count(*) FROM per_session)::int AS sessions,
  (SELECT count(*) FROM per_hour)::int AS hours`;

/** The statement for a whole batch, and the one for one organization's calls (prepared under these names). */
const WRITE_BATCH = { name: 'lamplight_write_batch', text: writeBatchSql(null) };
const WRITE_ORGANIZATION_BATCH = { name: 'lamplight_write_organization_batch', text: writeBatchSql('$3::uuid') };

/** Writes batches of interactions with their totals and rollups, outside the ORM's unit of work. */
@Injectable()
export class InteractionWriter {
  private readonly perOrganization: boolean;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'databaseDistributed'>,
  ) {
    this.perOrganization = config.databaseDistributed;
  }

  /**
   * The statements a batch is written in: the whole batch in one, or, when the tables are
   * distributed by organization, one per organization among the items (in the order each first
   * appears). Nothing for nothing.
   */
  statementsOf<T>(items: readonly T[], organizationOf: (item: T) => string): T[][] {
    if (this.perOrganization) return byOrganization(items, organizationOf);
    return items.length > 0 ? [[...items]] : [];
  }

  /**
   * Returns how many of the records were new (the rest were already stored). Each statement (see
   * statementsOf) is committed on its own, one after another.
   */
  async write(records: InteractionRecord[]): Promise<number> {
    let inserted = 0;
    for (const group of this.statementsOf(records, (r) => r.organizationId)) inserted += await this.writeOne(group);
    return inserted;
  }

  private async writeOne(records: InteractionRecord[]): Promise<number> {
    const rows = batchRowsLiteral(records.map(toRow));
    const json = jsonForPostgres(JSON.stringify(records.map(toJsonColumns)));
    // A named (prepared) statement: each connection plans this large statement once, not on every batch.
    const result = await this.pool.query<{ inserted: number }>(
      this.perOrganization
        ? { ...WRITE_ORGANIZATION_BATCH, values: [rows, json, records[0].organizationId] }
        : { ...WRITE_BATCH, values: [rows, json] },
    );
    return result.rows[0]?.inserted ?? 0;
  }
}

/** Items grouped by organization, in the order each organization first appears; nothing for nothing. */
export function byOrganization<T>(items: readonly T[], organizationOf: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const organization = organizationOf(item);
    const group = groups.get(organization);
    if (group) group.push(item);
    else groups.set(organization, [item]);
  }
  return [...groups.values()];
}

/** Text a row literal, and the array around it, can hold without quotes. */
const BARE = /^[\w.:+-]+$/;
/** What is escaped in quoted text: `"` and `\`. */
const ESCAPED = /["\\]/g;

/**
 * The rows as one literal of an `interaction_batch_row` array, each row an element in double
 * quotes holding its fields in the type's order: NULL as nothing, numbers and booleans bare, text
 * bare when it is made of word characters, `.`, `:`, `+` and `-` (ids, timestamps, model names),
 * else in escaped double quotes with `"` and `\` escaped once for the row and once for the array.
 * Text is made storable as JSON text is by jsonForPostgres (lone surrogates become U+FFFD, NUL is
 * removed); numbers JSON cannot carry are NULL, as in JSON.
 */
export function batchRowsLiteral(rows: readonly BatchRow[]): string {
  let literal = '{';
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    literal += r > 0 ? ',"(' : '"(';
    for (let i = 0; i < BATCH_ROW_COLUMNS.length; i++) {
      if (i > 0) literal += ',';
      const value = row[BATCH_ROW_COLUMNS[i]];
      if (value === null || value === undefined) continue;
      if (typeof value === 'number') {
        if (Number.isFinite(value)) literal += String(value);
      } else if (typeof value === 'boolean') {
        literal += value ? 't' : 'f';
      } else {
        const text = wellFormed(value);
        literal += BARE.test(text) ? text : `\\"${text.replace(ESCAPED, '\\\\\\$&')}\\"`;
      }
    }
    literal += ')"';
  }
  return `${literal}}`;
}

/** A call's columns sent in its `interaction_batch_row`. */
export type BatchRow = Record<(typeof BATCH_ROW_COLUMNS)[number], string | number | boolean | null>;

/** A record's jsonb columns. */
function toJsonColumns(r: InteractionRecord): Record<(typeof JSON_COLUMNS)[number], unknown> {
  return { cost_breakdown: r.cost?.detail ?? null, usage: r.rawUsage ?? null, content: r.content ?? null };
}

/** A record as a row of `interactions` (its columns sent as a row literal), keyed by column. */
function toRow(r: InteractionRecord): BatchRow {
  return {
    id: r.id,
    organization_id: r.organizationId,
    session_id: r.sessionId,
    api_key_id: r.apiKeyId,
    user_id: r.userId,
    model: r.model,
    stream: r.stream,
    http_status: r.httpStatus,
    outcome: r.outcome,
    stop_reason: r.stopReason,
    error_type: r.errorType,
    input_tokens: r.inputTokens,
    output_tokens: r.outputTokens,
    cache_read_tokens: r.cacheReadTokens,
    cache_write5m_tokens: r.cacheWrite5mTokens,
    cache_write1h_tokens: r.cacheWrite1hTokens,
    cost_input_nano_usd: r.cost?.inputNanoUsd ?? null,
    cost_output_nano_usd: r.cost?.outputNanoUsd ?? null,
    cost_cache_read_nano_usd: r.cost?.cacheReadNanoUsd ?? null,
    cost_cache_write5m_nano_usd: r.cost?.cacheWrite5mNanoUsd ?? null,
    cost_cache_write1h_nano_usd: r.cost?.cacheWrite1hNanoUsd ?? null,
    cost_total_nano_usd: r.cost?.totalNanoUsd ?? null,
    // Records journaled before tool fees and multipliers were priced carry neither: both were 0.
    cost_tools_nano_usd: r.cost ? (r.cost.toolsNanoUsd ?? 0) : null,
    cost_multipliers_nano_usd: r.cost ? (r.cost.multipliersNanoUsd ?? 0) : null,
    cost_cache_savings_nano_usd: r.cost?.cacheSavingsNanoUsd ?? null,
    pricing_version: r.pricingVersion,
    latency_ms: r.latencyMs,
    time_to_first_token_ms: r.timeToFirstTokenMs,
    upstream_request_id: r.upstreamRequestId,
    agent_id: r.agentId,
    parent_agent_id: r.parentAgentId ?? null,
    user_query: r.userQuery,
    final_output: r.finalOutput,
    content_truncated: r.contentTruncated,
    // Records journaled or spooled by versions before the status existed have none.
    content_status: r.contentStatus ?? (r.contentTruncated ? 'truncated' : 'complete'),
    started_at: r.startedAt,
    ended_at: r.endedAt,
  };
}

/**
 * Why a write failed, which decides what happens to the batch. `outage`: the database cannot be
 * reached or cannot take writes now (SQLSTATE class 08, 57P01–57P03, 53 insufficient resources,
 * 40 transaction rollback, 57014 cancelled, 55P03 lock not available, pool time-outs, and anything
 * unrecognised): the batch is kept and retried. `data`: the statement failed for what a row holds
 * (classes 21, 22, 23, 44 and 54, or a TypeError/RangeError in serialising it): retrying the same rows
 * would fail forever, so the bad row is isolated and dead-lettered. Class 42 (a missing column,
 * say, in a rolling deploy) is an operator's problem for every row alike, so it holds rather than
 * dead-letters everything.
 */
export function writeFailureKind(error: unknown): 'outage' | 'data' {
  if (isDatabaseUnavailable(error)) return 'outage';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return /^(21|22|23|44|54)/.test(code) ? 'data' : 'outage';
  if (error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError) return 'data';
  return 'outage';
}
