import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';

/** The one ORM configuration, shared by the application, the tests and the MikroORM CLI. */
export function createOrmOptions(clientUrl: string, overrides: Partial<Options> = {}): Partial<Options> {
  return defineConfig({
    clientUrl,
    entities: ENTITIES,
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    forceUtcTimezone: true,
    // Every request forks its own entity manager; touching the global one is a bug.
    allowGlobalContext: false,
    migrations: {
      tableName: 'mikro_orm_migrations',
      // Generated migrations are written here (relative to the working directory, the project root);
      // the migrations that run are the explicit list, so the compiled app needs no file scanning.
      path: 'migrations',
      pathTs: 'migrations',
      migrationsList: MIGRATIONS,
      transactional: true,
      allOrNothing: true,
      snapshot: true,
      snapshotOnMigrate: false,
      snapshotName: '.snapshot-lamplight',
      emit: 'ts',
    },
    pool: { min: 0, max: 10 },
    ...overrides,
  });
}
