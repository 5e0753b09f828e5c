import { MikroORM } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres';
import { createOrmOptions } from './orm-options';

export interface FreshDatabase {
  /** The new database's URL. */
  url: string;
  name: string;
  /** Drops the database (and stops the embedded server if one was started). */
  drop(): Promise<void>;
}

/**
 * A new, migrated database for one run (tests, benchmarks): on the server `serverUrl` names, or
 * else on an embedded PostgreSQL kept in `embeddedDir` (the cluster is reused, the database never).
 */
export async function createFreshDatabase(options: {
  serverUrl: string | undefined;
  embeddedDir: string;
  prefix: string;
}): Promise<FreshDatabase> {
  let embedded: EmbeddedDatabase | undefined;
  let adminUrl: string;
  if (options.serverUrl) {
    const url = new URL(options.serverUrl);
    url.pathname = '/postgres';
    adminUrl = url.toString();
  } else {
    embedded = await startEmbeddedPostgres(options.embeddedDir, 'postgres');
    adminUrl = `${embedded.serverUrl}/postgres`;
  }
  const name = `${options.prefix}_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();

  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const orm = await MikroORM.init({
    ...createOrmOptions(databaseUrl),
    allowGlobalContext: true,
    logger: () => undefined,
  });
  await orm.migrator.up();
  await orm.close(true);

  return {
    url: databaseUrl,
    name,
    async drop() {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
      await embedded?.stop();
    },
  };
}
