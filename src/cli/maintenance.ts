/**
 * `npm run maintenance` (needs DATABASE_URL): one retention pass, as the app runs hourly: makes
 * the coming months' partitions of interactions, drops whole months no organization keeps, removes
 * in batches what organizations keep less long, purges organizations deleted more than the grace
 * period ago. Prints what it did as JSON. `--partitions-only` just makes the partitions.
 */
import { loadDatabaseUrl } from '../config/app-config';
import { createPgPool } from '../database/pg-pool';
import { RetentionPass } from '../modules/retention/retention-pass';
import { RetentionRepository } from '../modules/retention/retention.repository';

export async function runMaintenance(
  databaseUrl: string,
  argv: string[],
  now = new Date(),
): Promise<Record<string, unknown>> {
  const unknown = argv.filter((a) => a !== '--partitions-only');
  if (unknown.length > 0)
    throw new Error(`unknown argument ${unknown[0]}; usage: npm run maintenance -- [--partitions-only]`);
  const pool = createPgPool(databaseUrl);
  try {
    const pass = new RetentionPass(new RetentionRepository(pool));
    if (argv.includes('--partitions-only')) return { partitionsCreated: await pass.ensurePartitions(now) };
    const run = await pass.run(now);
    return run ? { ...run } : { skipped: 'another instance is running a retention pass' };
  } finally {
    await pool.end();
  }
}

if (require.main === module) {
  const url = loadDatabaseUrl();
  if (!url) {
    console.error("DATABASE_URL is not set: maintenance works on the gateway's PostgreSQL");
    process.exit(2);
  }
  runMaintenance(url, process.argv.slice(2)).then(
    (result) => {
      console.log(JSON.stringify(result, null, 2));
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
