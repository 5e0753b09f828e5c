import type { TestDatabase } from './test-database';

export default async function globalTeardown(): Promise<void> {
  const database = (globalThis as { __lamplightTestDatabase?: TestDatabase }).__lamplightTestDatabase;
  await database?.drop();
}
