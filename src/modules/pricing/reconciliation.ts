import type { Pool } from 'pg';
import { dailyCostsByModelSql } from '../analytics/usage-rollups.sql';
import { request } from 'undici';
import type { PricingTable } from '../proxy/pricing/pricing';

/** One cost item of Anthropic's cost report; `amount` is cents as a decimal string. */
interface CostReportResult {
  amount: string;
  currency?: string;
  cost_type?: string | null;
  model?: string | null;
}

interface CostReportPage {
  data: { starting_at: string; ending_at: string; results: CostReportResult[] }[];
  has_more: boolean;
  next_page: string | null;
}

/** One line of the comparison: a UTC day and a model (or a fee that has no model). */
export interface ReconciliationLine {
  day: string;
  /** The pricing table's id for the model, or `(web search)`, `(code execution)`, `(<cost type>)`. */
  item: string;
  anthropicNanoUsd: number;
  lamplightNanoUsd: number;
  /** Anthropic's figure less Lamplight's. */
  differenceNanoUsd: number;
  /** Lamplight's calls of that day and model that it could not price (their cost is in neither figure on its side). */
  lamplightUnpricedCalls: number;
}

export interface ReconciliationReport {
  since: string;
  until: string;
  /** Lamplight organizations whose calls were summed; null means every organization. */
  organizations: string[] | null;
  lines: ReconciliationLine[];
  anthropicNanoUsd: number;
  lamplightNanoUsd: number;
  differenceNanoUsd: number;
}

/** Cents as a decimal string, in nano-USD (1 cent = 10,000,000 nano-USD), rounded half up past that. */
export function centsToNanoUsd(amount: string): number {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!match) throw new Error(`Cost report: amount ${JSON.stringify(amount)} is not a decimal string`);
  const fraction = (match[3] ?? '').padEnd(8, '0');
  let nano = BigInt(match[2]) * 10_000_000n + BigInt(fraction.slice(0, 7));
  if (Number(fraction[7]) >= 5) nano += 1n;
  return Number(match[1] === '-' ? -nano : nano);
}

const WEB_SEARCH = '(web search)';

/**
 * Compares Anthropic's cost report (the Admin API, for the organization the admin key belongs to)
 * with Lamplight's daily rollups for the given Lamplight organizations, per UTC day and model. Token
 * costs are compared per model (ids and aliases folded to the pricing table's id); web search fees
 * per day; cost types Lamplight does not price (code execution) appear with Lamplight at 0.
 */
export class Reconciler {
  constructor(
    private readonly pool: Pool,
    private readonly table: PricingTable,
    private readonly anthropic: { baseUrl: string; adminKey: string; pageSize?: number },
  ) {}

  async reconcile(range: { since: Date; until: Date; organizations: string[] | null }): Promise<ReconciliationReport> {
    const lines = new Map<string, ReconciliationLine>();
    const line = (day: string, item: string) => {
      const key = `${day}|${item}`;
      let found = lines.get(key);
      if (!found) {
        found = {
          day,
          item,
          anthropicNanoUsd: 0,
          lamplightNanoUsd: 0,
          differenceNanoUsd: 0,
          lamplightUnpricedCalls: 0,
        };
        lines.set(key, found);
      }
      return found;
    };
    const fold = (model: string) => this.table.resolve(model) ?? model;

    for (const bucket of await this.costReport(range.since, range.until)) {
      const day = bucket.starting_at.slice(0, 10);
      for (const result of bucket.results) {
        if (result.currency && result.currency !== 'USD')
          throw new Error(`Cost report: currency ${result.currency} is not USD`);
        const type = result.cost_type ?? 'tokens';
        const item =
          type === 'tokens'
            ? result.model
              ? fold(result.model)
              : '(tokens, no model)'
            : type === 'web_search'
              ? WEB_SEARCH
              : `(${type.replace(/_/g, ' ')})`;
        line(day, item).anthropicNanoUsd += centsToNanoUsd(result.amount);
      }
    }

    const values: unknown[] = [range.since.toISOString(), range.until.toISOString()];
    let organizations = '';
    if (range.organizations) {
      values.push(range.organizations);
      organizations = 'AND organization_id = ANY($3::uuid[])';
    }
    const rows = await this.pool.query<{ day: string; model: string; total: string; tools: string; unpriced: string }>(
      dailyCostsByModelSql(organizations),
      values,
    );
    // Today's rows reach usage_daily as they are written (its triggers), so the current day is whole too.
    for (const row of rows.rows) {
      const tools = Number(row.tools);
      const tokens = line(row.day, fold(row.model));
      tokens.lamplightNanoUsd += Number(row.total) - tools;
      tokens.lamplightUnpricedCalls += Number(row.unpriced);
      if (tools !== 0) line(row.day, WEB_SEARCH).lamplightNanoUsd += tools;
    }

    const sorted = [...lines.values()].sort((a, b) => a.day.localeCompare(b.day) || a.item.localeCompare(b.item));
    for (const l of sorted) l.differenceNanoUsd = l.anthropicNanoUsd - l.lamplightNanoUsd;
    const total = (f: (l: ReconciliationLine) => number) => sorted.reduce((sum, l) => sum + f(l), 0);
    return {
      since: range.since.toISOString(),
      until: range.until.toISOString(),
      organizations: range.organizations,
      lines: sorted,
      anthropicNanoUsd: total((l) => l.anthropicNanoUsd),
      lamplightNanoUsd: total((l) => l.lamplightNanoUsd),
      differenceNanoUsd: total((l) => l.differenceNanoUsd),
    };
  }

  /** Every daily bucket of the report in the range, page after page, grouped by description (model and cost type). */
  private async costReport(since: Date, until: Date): Promise<CostReportPage['data']> {
    const buckets: CostReportPage['data'] = [];
    let page: string | null = null;
    for (let guard = 0; guard < 1_000; guard++) {
      const query = new URLSearchParams({
        starting_at: since.toISOString(),
        ending_at: until.toISOString(),
        bucket_width: '1d',
        limit: String(this.anthropic.pageSize ?? 31),
      });
      query.append('group_by[]', 'description');
      if (page) query.set('page', page);
      const response = await request(`${this.anthropic.baseUrl}/v1/organizations/cost_report?${query.toString()}`, {
        method: 'GET',
        headers: { 'x-api-key': this.anthropic.adminKey, 'anthropic-version': '2023-06-01' },
      });
      const text = await response.body.text();
      if (response.statusCode !== 200) {
        throw new Error(`Anthropic's cost report answered ${response.statusCode}: ${text.slice(0, 300)}`);
      }
      const body = JSON.parse(text) as CostReportPage;
      if (!Array.isArray(body.data) || typeof body.has_more !== 'boolean')
        throw new Error('Cost report: unexpected response shape');
      buckets.push(...body.data);
      if (!body.has_more || !body.next_page) return buckets;
      page = body.next_page;
    }
    throw new Error('Cost report: too many pages');
  }
}
