import type { Pool, PoolClient } from 'pg';
import { jsonForPostgres } from '../../common/text/storable-text';
import { callUsageOf } from '../proxy/anthropic-usage';
import type { CallCost, PricingTable } from '../proxy/pricing/pricing';
import type { InteractionRow } from '../recording/interaction.repository';
import {
  INTERACTION_COST_COLUMNS,
  interactionCostsBatchSql,
  interactionCostsUpdateSql,
} from '../recording/interaction-costs.sql';
import { hourlyCostDeltasSql, NO_PRINCIPAL, PRINCIPAL_COST_DELTAS_SQL } from '../analytics/usage-rollups.sql';
import { SESSION_COST_DELTAS_SQL } from '../sessions/session-totals.sql';

/** Which interactions to reprice: those started in [since, until), of one organization or all. */
export interface RepriceRange {
  since: Date;
  until: Date;
  /** Null: every organization (the operator's command). */
  organizationId: string | null;
}

export interface ModelRepriceReport {
  model: string;
  repriced: number;
  costBeforeNanoUsd: number;
  costAfterNanoUsd: number;
}

/** What a repricing run found and changed. */
export interface RepriceReport {
  pricingVersion: string;
  since: string;
  until: string;
  /** Interactions in the range. */
  scanned: number;
  /** Interactions whose cost changed (newly priced and newly unpriced included). */
  repriced: number;
  /** Unpriced before, priced now. */
  newlyPriced: number;
  /** Priced before, unpriced now (the table lost a rate). */
  nowUnpriced: number;
  /** Cost unchanged, stamped with the current pricing version and breakdown. */
  restamped: number;
  /** Unpriced before and still unpriced. */
  stillUnpriced: number;
  costBeforeNanoUsd: number;
  costAfterNanoUsd: number;
  sessionsUpdated: number;
  hoursUpdated: number;
  byModel: ModelRepriceReport[];
}

/** What repricing reads of an interaction: the stored row's usage and cost columns, with its hour and keyset position. */
type Row = Pick<
  InteractionRow,
  | 'id'
  | 'session_id'
  | 'model'
  | 'usage'
  | 'input_tokens'
  | 'output_tokens'
  | 'cache_read_tokens'
  | 'cache_write5m_tokens'
  | 'cache_write1h_tokens'
  | CostColumn
  | 'cost_breakdown'
  | 'pricing_version'
> & {
  organization_id: string;
  api_key_id: string | null;
  user_id: string | null;
  started_at: Date;
  key: string;
  hour: Date;
};

/** The cost columns of an interaction, as numbers (0 where null), in the rollup's order. */
const COST_COLUMNS = INTERACTION_COST_COLUMNS;
type CostColumn = (typeof COST_COLUMNS)[number];
type CostColumns = Record<CostColumn, number | null>;

function columnsOf(cost: CallCost | null): CostColumns {
  return {
    cost_input_nano_usd: cost?.inputNanoUsd ?? null,
    cost_output_nano_usd: cost?.outputNanoUsd ?? null,
    cost_cache_read_nano_usd: cost?.cacheReadNanoUsd ?? null,
    cost_cache_write5m_nano_usd: cost?.cacheWrite5mNanoUsd ?? null,
    cost_cache_write1h_nano_usd: cost?.cacheWrite1hNanoUsd ?? null,
    cost_total_nano_usd: cost?.totalNanoUsd ?? null,
    cost_tools_nano_usd: cost?.toolsNanoUsd ?? null,
    cost_multipliers_nano_usd: cost?.multipliersNanoUsd ?? null,
    cost_cache_savings_nano_usd: cost?.cacheSavingsNanoUsd ?? null,
  };
}

function storedColumns(row: Row): CostColumns {
  const out = {} as CostColumns;
  for (const column of COST_COLUMNS) out[column] = row[column] === null ? null : Number(row[column]);
  // Rows stored before tool fees and multipliers were priced: priced rows had neither.
  if (out.cost_total_nano_usd !== null) {
    out.cost_tools_nano_usd ??= 0;
    out.cost_multipliers_nano_usd ??= 0;
  }
  return out;
}

const BATCH = 500;

/**
 * Recomputes stored interaction costs under a pricing table, from each interaction's kept usage
 * (or, for calls recorded before usage was kept, its token buckets). Each batch is one
 * transaction: the interactions' cost columns, their sessions' totals and the hourly rollups
 * (the daily ones follow by trigger) move together, by the difference between the new and the
 * stored figures, so a second run changes nothing. Locks: the batch's interactions, then their
 * sessions and hourly rows in key order, the order the recorder's writer takes them in.
 */
export class Repricer {
  constructor(private readonly pool: Pool) {}

  async reprice(table: PricingTable, range: RepriceRange): Promise<RepriceReport> {
    const report: RepriceReport = {
      pricingVersion: table.version,
      since: range.since.toISOString(),
      until: range.until.toISOString(),
      scanned: 0,
      repriced: 0,
      newlyPriced: 0,
      nowUnpriced: 0,
      restamped: 0,
      stillUnpriced: 0,
      costBeforeNanoUsd: 0,
      costAfterNanoUsd: 0,
      sessionsUpdated: 0,
      hoursUpdated: 0,
      byModel: [],
    };
    const byModel = new Map<string, ModelRepriceReport>();
    let after: { key: string; id: string } | null = null;
    for (;;) {
      const client = await this.pool.connect();
      let rows: Row[];
      try {
        await client.query('BEGIN');
        rows = await this.batch(client, range, after);
        if (rows.length > 0) await this.apply(client, table, rows, report, byModel);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
      if (rows.length < BATCH) break;
      const last = rows[rows.length - 1];
      after = { key: last.key, id: last.id };
    }
    report.byModel = [...byModel.values()].sort((a, b) => a.model.localeCompare(b.model));
    return report;
  }

  private async batch(
    client: PoolClient,
    range: RepriceRange,
    after: { key: string; id: string } | null,
  ): Promise<Row[]> {
    const values: unknown[] = [range.since.toISOString(), range.until.toISOString()];
    let where = 'i.started_at >= $1::timestamptz AND i.started_at < $2::timestamptz';
    if (range.organizationId !== null) {
      values.push(range.organizationId);
      where += ` AND i.organization_id = $${values.length}::uuid`;
    }
    if (after) {
      values.push(after.key, after.id);
      where += ` AND (i.started_at, i.id) > ($${values.length - 1}::timestamptz, $${values.length}::uuid)`;
    }
    const result = await client.query<Row>(interactionCostsBatchSql(COST_COLUMNS, where, BATCH), values);
    return result.rows;
  }

  private async apply(
    client: PoolClient,
    table: PricingTable,
    rows: Row[],
    report: RepriceReport,
    byModel: Map<string, ModelRepriceReport>,
  ): Promise<void> {
    const updates: Record<string, unknown>[] = [];
    const sessions = new Map<string, { cost: number; unpriced: number }>();
    /** Cost and unpriced differences per rollup row by API key and member (usage_hourly_principals). */
    const principals = new Map<
      string,
      { organization_id: string; hour: string; api_key_id: string; user_id: string; cost: number; unpriced: number }
    >();
    const hours = new Map<
      string,
      { organization_id: string; hour: string; model: string; unpriced: number } & Record<CostColumn, number>
    >();

    for (const row of rows) {
      report.scanned += 1;
      const tokens = {
        inputTokens: row.input_tokens,
        outputTokens: row.output_tokens,
        cacheReadTokens: row.cache_read_tokens,
        cacheWrite5mTokens: row.cache_write5m_tokens,
        cacheWrite1hTokens: row.cache_write1h_tokens,
      };
      const cost = table.priceCall(row.model, callUsageOf(row.usage, tokens));
      const before = storedColumns(row);
      const after = columnsOf(cost);
      const changed = COST_COLUMNS.some((c) => c !== 'cost_cache_savings_nano_usd' && before[c] !== after[c]);
      const savingsChanged = before.cost_cache_savings_nano_usd !== after.cost_cache_savings_nano_usd;
      const wasPriced = before.cost_total_nano_usd !== null;
      const isPriced = after.cost_total_nano_usd !== null;
      report.costBeforeNanoUsd += before.cost_total_nano_usd ?? 0;
      report.costAfterNanoUsd += after.cost_total_nano_usd ?? 0;
      if (!changed) {
        if (!isPriced) report.stillUnpriced += 1;
        if (!savingsChanged && row.pricing_version === table.version && (row.cost_breakdown !== null || !isPriced))
          continue;
        report.restamped += 1;
      } else {
        report.repriced += 1;
        if (!wasPriced && isPriced) report.newlyPriced += 1;
        if (wasPriced && !isPriced) report.nowUnpriced += 1;
        const model = byModel.get(row.model) ?? {
          model: row.model,
          repriced: 0,
          costBeforeNanoUsd: 0,
          costAfterNanoUsd: 0,
        };
        model.repriced += 1;
        model.costBeforeNanoUsd += before.cost_total_nano_usd ?? 0;
        model.costAfterNanoUsd += after.cost_total_nano_usd ?? 0;
        byModel.set(row.model, model);
      }
      const unpriced = (isPriced ? 0 : 1) - (wasPriced ? 0 : 1);
      if (changed) {
        const cost = (after.cost_total_nano_usd ?? 0) - (before.cost_total_nano_usd ?? 0);
        const session = sessions.get(row.session_id) ?? { cost: 0, unpriced: 0 };
        session.cost += cost;
        session.unpriced += unpriced;
        sessions.set(row.session_id, session);
        const principal = {
          organization_id: row.organization_id,
          hour: row.hour.toISOString(),
          api_key_id: row.api_key_id ?? NO_PRINCIPAL,
          user_id: row.user_id ?? NO_PRINCIPAL,
        };
        const key = Object.values(principal).join('|');
        const delta = principals.get(key) ?? { ...principal, cost: 0, unpriced: 0 };
        delta.cost += cost;
        delta.unpriced += unpriced;
        principals.set(key, delta);
      }
      if (changed || savingsChanged) {
        const hour = row.hour.toISOString();
        const key = `${row.organization_id}|${hour}|${row.model}`;
        const delta =
          hours.get(key) ??
          ({
            organization_id: row.organization_id,
            hour,
            model: row.model,
            unpriced: 0,
            ...Object.fromEntries(COST_COLUMNS.map((c) => [c, 0])),
          } as {
            organization_id: string;
            hour: string;
            model: string;
            unpriced: number;
          } & Record<CostColumn, number>);
        for (const c of COST_COLUMNS) delta[c] += (after[c] ?? 0) - (before[c] ?? 0);
        delta.unpriced += unpriced;
        hours.set(key, delta);
      }
      updates.push({
        id: row.id,
        organization_id: row.organization_id,
        started_at: row.key,
        ...after,
        cost_breakdown: cost?.detail ?? null,
        pricing_version: table.version,
      });
    }

    if (updates.length > 0) {
      await client.query(interactionCostsUpdateSql(COST_COLUMNS), [jsonForPostgres(JSON.stringify(updates))]);
    }
    if (sessions.size > 0) {
      const deltas = [...sessions].map(([id, d]) => ({ id, cost: d.cost, unpriced: d.unpriced }));
      const result = await client.query(SESSION_COST_DELTAS_SQL, [JSON.stringify(deltas)]);
      report.sessionsUpdated += result.rowCount ?? 0;
    }
    if (hours.size > 0) {
      const result = await client.query(hourlyCostDeltasSql(COST_COLUMNS), [JSON.stringify([...hours.values()])]);
      report.hoursUpdated += result.rowCount ?? 0;
    }
    if (principals.size > 0) {
      await client.query(PRINCIPAL_COST_DELTAS_SQL, [JSON.stringify([...principals.values()])]);
    }
  }
}
