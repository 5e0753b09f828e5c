/**
 * `ANTHROPIC_ADMIN_API_KEY=sk-ant-admin… npm run reconcile -- --since 2026-11-01 --until 2026-11-08 [--organization <uuid>]… [--all] [--json]`
 *
 * Reads Anthropic's cost report (Admin API) for whole UTC days and compares it, per day and model,
 * with Lamplight's totals for the named Lamplight organizations (every organization when none is
 * named): the ones whose calls go to the Anthropic organization the admin key belongs to. Prints
 * the lines that differ (every line with --all). Needs DATABASE_URL.
 */
import { Pool } from 'pg';
import { loadReconcileConfig } from '../config/app-config';
import { nanoToUsdExact } from '../modules/analytics/usage-figures';
import { Reconciler, type ReconciliationReport } from '../modules/pricing/reconciliation';
import { PricingTable } from '../modules/proxy/pricing/pricing';

const USAGE =
  'usage: npm run reconcile -- --since <YYYY-MM-DD> --until <YYYY-MM-DD> [--organization <uuid>]... [--all] [--json]';
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ReconcileOptions {
  since: Date;
  until: Date;
  organizations: string[] | null;
  all: boolean;
  json: boolean;
}

export function parseReconcileArgs(argv: string[]): ReconcileOptions {
  let since: string | undefined;
  let until: string | undefined;
  const organizations: string[] = [];
  let all = false;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value\n${USAGE}`);
      return argv[++i];
    };
    if (arg === '--since') since = value();
    else if (arg === '--until') until = value();
    else if (arg === '--organization') organizations.push(value());
    else if (arg === '--all') all = true;
    else if (arg === '--json') json = true;
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  if (!since || !until || !DAY.test(since) || !DAY.test(until))
    throw new Error(`--since and --until are UTC dates\n${USAGE}`);
  const start = new Date(`${since}T00:00:00Z`);
  const end = new Date(`${until}T00:00:00Z`);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || !(start < end))
    throw new Error('--since must be a date before --until');
  for (const id of organizations) if (!UUID.test(id)) throw new Error(`--organization ${id} is not a UUID`);
  return { since: start, until: end, organizations: organizations.length ? organizations : null, all, json };
}

export function formatReconciliation(report: ReconciliationReport, all: boolean): string[] {
  const usd = (nano: number) => `$${nanoToUsdExact(nano)}`;
  const lines = [
    `Anthropic's cost report against Lamplight, UTC days [${report.since.slice(0, 10)}, ${report.until.slice(0, 10)}), ` +
      `organizations: ${report.organizations ? report.organizations.join(', ') : 'all'}`,
  ];
  const shown = report.lines.filter((l) => all || l.differenceNanoUsd !== 0 || l.lamplightUnpricedCalls > 0);
  for (const l of shown) {
    const unpriced = l.lamplightUnpricedCalls > 0 ? ` (${l.lamplightUnpricedCalls} unpriced calls in Lamplight)` : '';
    lines.push(
      `  ${l.day}  ${l.item}: Anthropic ${usd(l.anthropicNanoUsd)}, Lamplight ${usd(l.lamplightNanoUsd)}, difference ${usd(l.differenceNanoUsd)}${unpriced}`,
    );
  }
  if (shown.length === 0) lines.push('  no differences');
  lines.push(
    `  total: Anthropic ${usd(report.anthropicNanoUsd)}, Lamplight ${usd(report.lamplightNanoUsd)}, difference ${usd(report.differenceNanoUsd)}`,
  );
  return lines;
}

export async function runReconcile(
  argv: string[],
  out: (line: string) => void,
  config = loadReconcileConfig(),
  table: PricingTable = PricingTable.default(),
  pageSize?: number,
): Promise<ReconciliationReport> {
  const options = parseReconcileArgs(argv);
  if (!config.databaseUrl)
    throw new Error('DATABASE_URL is not set: reconciliation reads the PostgreSQL the gateway uses');
  if (!config.adminKey)
    throw new Error('ANTHROPIC_ADMIN_API_KEY is not set: the cost report needs an Admin API key (sk-ant-admin…)');
  const pool = new Pool({ connectionString: config.databaseUrl, max: 1 });
  try {
    const reconciler = new Reconciler(pool, table, {
      baseUrl: config.anthropicBaseUrl,
      adminKey: config.adminKey,
      pageSize,
    });
    const report = await reconciler.reconcile(options);
    if (options.json) out(JSON.stringify(report));
    else formatReconciliation(report, options.all).forEach((line) => out(line));
    return report;
  } finally {
    await pool.end();
  }
}

if (require.main === module) {
  runReconcile(process.argv.slice(2), (line) => console.log(line)).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
