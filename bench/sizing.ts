/**
 * `npm run bench:sizing [-- --rows=200000]`: the sizing figures of docs/scale-out.md. Writes the
 * same synthetic calls as the analytics bench through the product's InteractionWriter into a fresh
 * database, once with no content and once with about 4 KB of conversation per call, with one
 * batch in flight (so about one core works: the node process and the PostgreSQL backend take
 * turns); then reports rows/s and bytes per row of interactions (all partitions, indexes and TOAST
 * included) and of the rollups.
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { createSessions, insertOrganization, seedInteractions } from './seed';
import type { InteractionRecord } from '../src/modules/recording/interaction-record';
import { freshDatabase } from './support';

const ROWS = Number(
  /^--rows=(\d+)$/.exec(process.argv.slice(2).find((a) => a.startsWith('--rows=')) ?? '')?.[1] ?? 200_000,
);

/** Text about as compressible as source code and prose: words drawn from random bytes. */
function text(bytes: number): string {
  return randomBytes(Math.ceil(bytes * 0.75))
    .toString('base64')
    .replace(/[+/]/g, ' ')
    .slice(0, bytes);
}

async function tableBytes(pool: Pool, table: string): Promise<number> {
  const { rows } = await pool.query<{ bytes: string }>(
    `SELECT (pg_total_relation_size($1::regclass) + coalesce((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree($1::regclass) WHERE relid <> $1::regclass), 0))::text AS bytes`,
    [table],
  );
  return Number(rows[0].bytes);
}

async function run(withContent: boolean): Promise<Record<string, number | string>> {
  const db = await freshDatabase();
  const pool = new Pool({ connectionString: db.url, max: 2 });
  try {
    const org = await insertOrganization(pool, 'Sizing');
    await createSessions(pool, org, Math.max(1, Math.round(ROWS / 50)), 'sizing');
    const decorate = withContent
      ? (r: InteractionRecord): InteractionRecord => ({
          ...r,
          content: { request: [{ role: 'user', content: text(2500) }], response: [{ type: 'text', text: text(1000) }] },
          userQuery: text(300),
          finalOutput: text(1000),
        })
      : undefined;
    const result = await seedInteractions(pool, [org], ROWS, { parallel: 1, batchSize: 500, decorate });
    await pool.query('VACUUM ANALYZE interactions');
    const bytes = await tableBytes(pool, 'interactions');
    const rollups = (await tableBytes(pool, 'usage_hourly')) + (await tableBytes(pool, 'usage_daily'));
    return {
      content: withContent ? 'about 4 KB per call' : 'none',
      rows: result.rows,
      seconds: Math.round(result.seconds * 10) / 10,
      rowsPerSecond: Math.round(result.rowsPerSecond),
      bytesPerRow: Math.round(bytes / result.rows),
      rowsPerGiB: Math.round((2 ** 30 / bytes) * result.rows),
      rollupBytes: rollups,
    };
  } finally {
    await pool.end();
    await db.drop();
  }
}

async function main(): Promise<void> {
  for (const withContent of [false, true]) console.log(JSON.stringify(await run(withContent)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
