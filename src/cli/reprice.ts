/**
 * `npm run reprice -- --since <time> [--until <time>] [--organization <uuid>] [--json]`
 *
 * Recomputes the stored cost of every interaction started in [since, until) (until: now) under
 * the pricing table this build carries, with the sessions' totals and the usage rollups, batch by
 * batch in transactions; a second run changes nothing. Needs DATABASE_URL. Prints what changed.
 */
import { Pool } from 'pg';
import { loadDatabaseUrl } from '../config/app-config';
import { nanoToUsdExact } from '../modules/analytics/usage-figures';
import { Repricer, type RepriceReport } from '../modules/pricing/repricer';
import { PricingTable } from '../modules/proxy/pricing/pricing';

export interface RepriceOptions {
  since: Date;
  until: Date;
  organizationId: string | null;
  json: boolean;
}

const USAGE = 'usage: npm run reprice -- --since <RFC 3339 time> [--until <time>] [--organization <uuid>] [--json]';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseRepriceArgs(argv: string[], now: Date = new Date()): RepriceOptions {
  const values = new Map<string, string>();
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (['--since', '--until', '--organization'].includes(arg) && i + 1 < argv.length) values.set(arg, argv[++i]);
    else if (/^--(since|until|organization)=/.test(arg))
      values.set(arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1));
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  const time = (name: string): Date | undefined => {
    const text = values.get(name);
    if (text === undefined) return undefined;
    const date = new Date(text);
    if (Number.isNaN(date.getTime())) throw new Error(`${name} is not a time: ${text}\n${USAGE}`);
    return date;
  };
  const since = time('--since');
  if (!since) throw new Error(`--since is required\n${USAGE}`);
  const until = time('--until') ?? now;
  if (!(since < until)) throw new Error('--since must be before --until');
  const organizationId = values.get('--organization') ?? null;
  if (organizationId !== null && !UUID.test(organizationId)) throw new Error('--organization must be a UUID');
  return { since, until, organizationId, json };
}

export function formatRepriceReport(report: RepriceReport): string[] {
  const usd = (nano: number) => `$${nanoToUsdExact(nano)}`;
  const lines = [
    `Repriced under pricing table ${report.pricingVersion}, interactions started in [${report.since}, ${report.until})`,
    `  scanned ${report.scanned}; cost changed ${report.repriced} (newly priced ${report.newlyPriced}, now unpriced ${report.nowUnpriced}); restamped ${report.restamped}; still unpriced ${report.stillUnpriced}`,
    `  cost ${usd(report.costBeforeNanoUsd)} -> ${usd(report.costAfterNanoUsd)} (change ${usd(report.costAfterNanoUsd - report.costBeforeNanoUsd)})`,
    `  session totals updated ${report.sessionsUpdated}; hourly rollups updated ${report.hoursUpdated}`,
  ];
  for (const m of report.byModel) {
    lines.push(`  ${m.model}: ${m.repriced} repriced, ${usd(m.costBeforeNanoUsd)} -> ${usd(m.costAfterNanoUsd)}`);
  }
  return lines;
}

export async function runReprice(
  argv: string[],
  out: (line: string) => void,
  databaseUrl: string | undefined = loadDatabaseUrl(),
  table: PricingTable = PricingTable.default(),
): Promise<RepriceReport> {
  const options = parseRepriceArgs(argv);
  if (!databaseUrl) throw new Error('DATABASE_URL is not set: repricing runs against the PostgreSQL the gateway uses');
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  try {
    const report = await new Repricer(pool).reprice(table, options);
    if (options.json) out(JSON.stringify(report));
    else formatRepriceReport(report).forEach((line) => out(line));
    return report;
  } finally {
    await pool.end();
  }
}

if (require.main === module) {
  runReprice(process.argv.slice(2), (line) => console.log(line)).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
