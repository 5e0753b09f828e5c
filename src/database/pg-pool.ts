import { Pool } from 'pg';

export const PG_POOL = Symbol('PG_POOL');

/**
 * A plain node-postgres pool for the hot paths that stay out of the ORM's unit of work: the
 * proxy's session lookup and the recorder's batch writer. Everything else uses MikroORM.
 */
export function createPgPool(url: string): Pool {
  const pool = new Pool({ connectionString: url, max: 4, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 5_000 });
  // A dropped idle connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}
