import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { createFreshDatabase, type FreshDatabase } from '../../src/database/fresh-database';
import { createOrmOptions } from '../../src/database/orm-options';
import { testDatabaseUrl } from './test-app';

/**
 * A migrated database of its own on the run's server (the embedded one included), for a test that
 * migrates down and up: a plain connection to read and write it, and the ORM for its migrator.
 */
export interface MigrationDatabase {
  url: string;
  sql: Client;
  orm: MikroORM;
  /** Closes both connections and drops the database. */
  close(): Promise<void>;
}

export async function openMigrationDatabase(prefix = 'lamplight_migration'): Promise<MigrationDatabase> {
  const database: FreshDatabase = await createFreshDatabase({
    serverUrl: testDatabaseUrl(),
    embeddedDir: `${__dirname}/../../.data/pg-test`,
    prefix,
  });
  const sql = new Client({ connectionString: database.url });
  await sql.connect();
  const orm = await MikroORM.init({
    ...createOrmOptions(database.url),
    allowGlobalContext: true,
    logger: () => undefined,
  });
  return {
    url: database.url,
    sql,
    orm,
    async close() {
      await orm.close(true);
      await sql.end();
      await database.drop();
    },
  };
}
