import { MikroORM } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/database/embedded-postgres';
import { createOrmOptions } from '../../src/database/orm-options';

export const TEST_DATABASE_URL_ENV = 'LAMPLIGHT_TEST_DATABASE_URL';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one test run: on the server DATABASE_URL names, or else on an
 * embedded PostgreSQL kept under .data/pg-test (the cluster is reused, the database never is).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  let embedded: EmbeddedDatabase | undefined;
  let serverUrl: string;
  const configured = process.env.DATABASE_URL;
  if (configured) {
    const url = new URL(configured);
    url.pathname = '/postgres';
    serverUrl = url.toString();
  } else {
    embedded = await startEmbeddedPostgres(join(__dirname, '..', '..', '.data', 'pg-test'), 'postgres');
    serverUrl = `${embedded.serverUrl}/postgres`;
  }
  const name = `lamplight_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();

  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const orm = await MikroORM.init({ ...createOrmOptions(databaseUrl), allowGlobalContext: true, logger: () => undefined });
  await orm.migrator.up();
  await orm.close(true);

  return {
    url: databaseUrl,
    async drop() {
      const client = new Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
      await embedded?.stop();
    },
  };
}
