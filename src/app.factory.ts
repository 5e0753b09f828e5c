import 'reflect-metadata';
import { MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { join } from 'node:path';
import { AppModule } from './app.module';
import { type AppConfig, loadAppConfig } from './config/app-config';
import { createValidationPipe } from './common/errors/validation';
import { type LogDestination, QuietStartupLogger } from './common/http/logging';
import { limitJsonDepth } from './common/http/json-depth';
import { registerSecurityHeaders } from './common/http/security-headers';
import { generateRequestId, REQUEST_ID_HEADER } from './common/http/request-id';
import type { DatabaseConnection } from './database/database.module';
import { startEmbeddedPostgres } from './database/embedded-postgres';
import { setupOpenApi } from './openapi/document';
import { sendError } from './common/errors/problem.filter';
import { ShutdownState } from './common/lifecycle/shutdown-state.service';
import { ProxyErrors } from './modules/proxy/proxy.errors';

export interface CreateAppOptions {
  /** Defaults to the process environment. */
  env?: Record<string, string | undefined>;
  /** Already loaded from `env` (the entry point checks the port and data directory first). */
  config?: AppConfig;
  /** Use this database instead of DATABASE_URL or the embedded server. */
  databaseUrl?: string;
  /** Capture log lines (tests). */
  logDestination?: LogDestination;
  /** Build the routes and documentation only, with no database (the OpenAPI writer). */
  documentOnly?: boolean;
}

export interface CreatedApp {
  app: NestFastifyApplication;
  config: AppConfig;
  database: DatabaseConnection;
}

/** Resolves the database: DATABASE_URL, or else an embedded PostgreSQL under `<dataDir>/pg`. */
async function resolveDatabase(config: AppConfig, override?: string): Promise<DatabaseConnection> {
  const url = override ?? config.databaseUrl;
  if (url) return { url };
  const logger = new NestLogger('Database');
  logger.log('DATABASE_URL is not set: starting the embedded PostgreSQL');
  // The app stops the server itself, last, on shutdown (DatabaseModule).
  const embedded = await startEmbeddedPostgres(
    join(config.dataDir, 'pg'),
    'lamplight',
    (m) => logger.warn(m),
    undefined,
    {
      stoppedByCaller: true,
    },
  );
  logger.log(`Embedded PostgreSQL is listening at ${redactUrl(embedded.url)} (data in ${join(config.dataDir, 'pg')})`);
  return { url: embedded.url, embedded };
}

/** A database URL fit to print: the password masked. */
export function redactUrl(url: string): string {
  return url.replace(/:[^:@/]+@/, ':***@');
}

/** Builds the whole application, ready to listen: the same for `main`, tests and the OpenAPI writer. */
export async function createApp(options: CreateAppOptions = {}): Promise<CreatedApp> {
  const config = options.config ?? loadAppConfig(options.env ?? process.env);
  const database: DatabaseConnection = options.documentOnly
    ? { url: 'postgresql://lamplight@127.0.0.1:1/openapi', connect: false }
    : await resolveDatabase(config, options.databaseUrl);

  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    genReqId: generateRequestId,
    requestIdHeader: false,
    trustProxy: false,
    routerOptions: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, maxParamLength: 500 },
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ config, database, logDestination: options.logDestination }),
    adapter,
    { bufferLogs: true, abortOnError: false, rawBody: true },
  );
  const logger = app.get(Logger);
  app.useLogger(new QuietStartupLogger(logger));
  for (const notice of config.notices) logger.warn(notice, 'Config');

  await registerSecurityHeaders(app, { hstsMaxAgeSeconds: config.hstsMaxAgeSeconds });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  // Draining (SIGTERM): every new request but liveness and metrics gets 503 (readiness answers 503 itself).
  const shutdown = app.get(ShutdownState);
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!shutdown.draining || request.url === '/health' || request.url.startsWith('/metrics')) return done();
    reply.header('connection', 'close');
    if (request.url.startsWith('/health/ready')) return done();
    sendError(reply, request, ProxyErrors.draining(), logger);
  });
  limitJsonDepth(fastify, config.jsonMaxDepth, logger);
  // One ORM context per request, opened after body parsing so it lasts into the handler.
  const orm = app.get(MikroORM);
  fastify.addHook('preHandler', (_request, _reply, done) => {
    RequestContext.create(orm.em, done);
  });

  app.useGlobalPipes(createValidationPipe());
  // On SIGTERM/SIGINT: drain (see ShutdownState), close, flush, then exit 0 rather than re-raise the signal.
  app.enableShutdownHooks([], { useProcessExit: true });
  // The documentation can be turned off (DOCS_ENABLED=false; off by default in production).
  if (config.docsEnabled) await setupOpenApi(app);
  await app.init();
  return { app, config, database };
}
