import { join } from 'node:path';
import { createFreshDatabase, type FreshDatabase } from '../../src/database/fresh-database';

export const TEST_DATABASE_URL_ENV = 'LAMPLIGHT_TEST_DATABASE_URL';

export type TestDatabase = FreshDatabase;

/**
 * A fresh, migrated database for one test run: on the server DATABASE_URL names, or else on an
 * embedded PostgreSQL kept under .data/pg-test (the cluster is reused, the database never is).
 */
export function createTestDatabase(): Promise<TestDatabase> {
  return createFreshDatabase({
    serverUrl: process.env.DATABASE_URL,
    embeddedDir: join(__dirname, '..', '..', '.data', 'pg-test'),
    prefix: 'lamplight_test',
  });
}
