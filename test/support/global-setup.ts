import 'reflect-metadata';
import { createTestDatabase, TEST_DATABASE_URL_ENV } from './test-database';

/** One fresh database for the whole run; every e2e suite boots the real app against it. */
export default async function globalSetup(): Promise<void> {
  const database = await createTestDatabase();
  process.env[TEST_DATABASE_URL_ENV] = database.url;
  (globalThis as { __lamplightTestDatabase?: typeof database }).__lamplightTestDatabase = database;
}
