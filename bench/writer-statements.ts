/**
 * `npm run bench:writer [-- --rows=50000]`: what the recorder's statements cost by organizations per
 * batch. Writes the analytics bench's synthetic calls through the InteractionWriter (500 per batch,
 * two batches in flight, spanning one day) into a fresh database for each run, with one statement per batch (a single
 * PostgreSQL) and with one per organization in a batch (DATABASE_DISTRIBUTED=true, for tables
 * distributed with Citus), alternated, twice each, at 1, 5 and 50 organizations sharing the calls.
 */
import { Pool } from 'pg';
import { createSessions, insertOrganization, seedInteractions } from './seed';
import { freshDatabase } from './support';

const ROWS = Number(
  /^--rows=(\d+)$/.exec(process.argv.slice(2).find((a) => a.startsWith('--rows=')) ?? '')?.[1] ?? 50_000,
);

async function run(organizations: number, distributed: boolean): Promise<number> {
  const db = await freshDatabase();
  const pool = new Pool({ connectionString: db.url, max: 4 });
  try {
    const orgs = [];
    for (let i = 0; i < organizations; i++) {
      const org = await insertOrganization(pool, `Writer ${i}`);
      await createSessions(pool, org, Math.max(1, Math.round(ROWS / 50 / organizations)), 'writer');
      orgs.push(org);
    }
    // Over one day, so a batch of 500 covers about 15 minutes of calls (at 50,000), as a batch of the
    // analytics bench at 10M covers 6.5: the hourly rollups it touches are few, as in production.
    const result = await seedInteractions(pool, orgs, ROWS, { parallel: 2, batchSize: 500, distributed, spanDays: 1 });
    return Math.round(result.rowsPerSecond);
  } finally {
    await pool.end();
    await db.drop();
  }
}

async function main(): Promise<void> {
  for (const organizations of [1, 5, 50]) {
    const rates: Record<string, number[]> = { 'one statement': [], 'one per organization': [] };
    for (let repeat = 0; repeat < 2; repeat++) {
      rates['one statement'].push(await run(organizations, false));
      rates['one per organization'].push(await run(organizations, true));
    }
    console.log(JSON.stringify({ organizations, rows: ROWS, callsPerSecond: rates }));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
