import { MikroORM } from '@mikro-orm/postgresql';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { DynamicModule, Global, Inject, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { EmbeddedDatabase } from './embedded-postgres';
import { createOrmOptions } from './orm-options';
import { createPgPool, PG_POOL } from './pg-pool';
import { CacheInvalidation } from './cache-invalidation';
import type { Pool } from 'pg';
import { ShutdownState } from '../common/lifecycle/shutdown-state.service';

export interface DatabaseConnection {
  url: string;
  /** Set when Lamplight started its own embedded PostgreSQL, which it then stops on shutdown. */
  embedded?: EmbeddedDatabase;
  /** False: build the app without ever touching the database (the OpenAPI writer). MikroORM connects lazily. */
  connect?: boolean;
}

const DATABASE_CONNECTION = Symbol('DATABASE_CONNECTION');

/** The ORM on the given connection; migrations applied at start where configured. */
@Global()
@Module({})
export class DatabaseModule implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Database');

  constructor(
    private readonly orm: MikroORM,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DATABASE_CONNECTION) private readonly connection: DatabaseConnection,
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly shutdown: ShutdownState,
  ) {}

  static forRoot(connection: DatabaseConnection): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        MikroOrmModule.forRoot({
          ...createOrmOptions(connection.url),
          // Request contexts are opened in a Fastify preHandler hook (see app factory), which,
          // unlike middleware, runs after body parsing and so keeps its async context.
          registerRequestContext: false,
        }),
      ],
      providers: [
        { provide: DATABASE_CONNECTION, useValue: connection },
        { provide: PG_POOL, useFactory: () => createPgPool(connection.url) },
        {
          provide: CacheInvalidation,
          useFactory: () => new CacheInvalidation(connection.url, connection.connect !== false),
        },
      ],
      exports: [PG_POOL, CacheInvalidation],
    };
  }

  async onModuleInit(): Promise<void> {
    if (!this.config.migrateOnStart || this.connection.connect === false) return;
    const applied = await this.orm.migrator.up();
    if (applied.length > 0)
      this.logger.log(`Applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}`);
  }

  /** After the HTTP server has closed: let the drains (the recorder's flush) finish, then disconnect. */
  async onApplicationShutdown(): Promise<void> {
    await this.shutdown.runDrains();
    await this.pool.end();
    await this.orm.close(true);
    if (this.connection.embedded) {
      await this.connection.embedded.stop();
      this.logger.log('Stopped the embedded PostgreSQL');
    }
  }
}
