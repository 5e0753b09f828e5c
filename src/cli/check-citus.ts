/**
 * `npm run check:citus` (needs DATABASE_URL): reads the database's catalog and reports every
 * table, key, foreign key and trigger a distributed PostgreSQL (Citus) would refuse or run
 * differently, with tenant tables distributed by organization_id and the global tables as
 * reference tables. Exits 1 on any violation. The migrations must have run (`npm run migration:up`).
 */
import { Client } from 'pg';
import { loadDatabaseUrl } from '../config/app-config';
import { readCatalogFacts } from '../database/distribution/citus-catalog';
import { checkCitusRules, type CheckResult } from '../database/distribution/citus-rules';

export function formatCheck(result: CheckResult): string[] {
  const lines: string[] = [];
  const byKind = (kind: string) =>
    Object.entries(result.kinds)
      .filter(([, k]) => k === kind)
      .map(([t]) => t)
      .join(', ');
  lines.push(`distributed by organization_id: ${byKind('distributed')}`);
  lines.push(`reference: ${byKind('reference')}`);
  lines.push(`local (coordinator only): ${byKind('local')}`);
  for (const n of result.notes) lines.push(`note: ${n.table}: ${n.rule}: ${n.detail}`);
  for (const v of result.violations) lines.push(`VIOLATION: ${v.table}: ${v.rule}: ${v.detail}`);
  lines.push(
    result.violations.length === 0 ? 'the schema is distributable' : `${result.violations.length} violation(s)`,
  );
  return lines;
}

export async function runCitusCheck(databaseUrl: string, print: (line: string) => void): Promise<CheckResult> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = checkCitusRules(await readCatalogFacts(client));
    for (const line of formatCheck(result)) print(line);
    return result;
  } finally {
    await client.end();
  }
}

if (require.main === module) {
  const url = loadDatabaseUrl();
  if (!url) {
    console.error('DATABASE_URL is not set: the check reads the catalog of a migrated database');
    process.exit(2);
  }
  runCitusCheck(url, (line) => console.log(line)).then(
    (result) => process.exit(result.violations.length === 0 ? 0 : 1),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(2);
    },
  );
}
