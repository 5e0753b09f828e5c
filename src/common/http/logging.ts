import { type LoggerService, RequestMethod } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Params, PinoLogger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { AppConfig } from '../../config/app-config';
import { declaredRoutes } from './route-behaviour';

export type LogDestination = DestinationStream;

/** Credential-bearing headers. The request serializer logs none of them; redaction catches any stray copy. */
const CREDENTIAL_HEADERS = [
  'authorization',
  'x-api-key',
  'x-lamplight-api-key',
  'x-shinzo-api-key',
  'cookie',
  'proxy-authorization',
];

const LOGGED_REQUEST_HEADERS = ['user-agent', 'content-length', 'x-organization-id', 'anthropic-version'];

/**
 * pino through nestjs-pino. Requests are logged by allow-list (method, path, a few harmless
 * headers), so no credential header can reach a log line; redaction backs that up.
 */
export function createLoggerOptions(config: AppConfig, destination?: LogDestination): Params {
  const options = {
    level: config.logLevel,
    redact: {
      paths: [
        ...CREDENTIAL_HEADERS.map((h) => `req.headers["${h}"]`),
        ...CREDENTIAL_HEADERS.map((h) => `headers["${h}"]`),
        'password',
        'key',
        '*.password',
        '*.key',
        'accessToken',
      ],
      censor: '[redacted]',
    },
    // Fastify assigns the id (see app factory) and mirrors it on the raw request.
    genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id ?? 'unknown',
    serializers: {
      req: (req: IncomingMessage & { id?: string }) => ({
        id: req.id,
        method: req.method,
        url: (req.url ?? '').split('?')[0],
        headers: Object.fromEntries(
          LOGGED_REQUEST_HEADERS.filter((h) => req.headers?.[h] !== undefined).map((h) => [h, req.headers[h]]),
        ),
      }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
    },
    // Health probes would drown the log.
    // The Fastify adapter hands middleware a `url` cut down to "/"; `originalUrl` is the request's.
    autoLogging: {
      ignore: (req: IncomingMessage & { originalUrl?: string }) =>
        (req.originalUrl ?? req.url ?? '').startsWith('/health'),
    },
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
      error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
  };
  return {
    pinoHttp: destination ? [options, destination] : options,
    // nestjs-pino's default route ("{/*splat}") matched no request under the Fastify adapter,
    // so no request was ever logged; this pattern matches every path.
    forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
    // Routes that declare `logging: 'failures'` (the proxy's: each call is recorded whole as an
    // interaction, with status, latency, tokens and the upstream request id) log their failures
    // themselves (ProxyService, ProblemFilter), so the hot path is spared a request logger and a
    // line per call. Read from the routes' declarations (see route-behaviour.ts).
    exclude: declaredRoutes((behaviour) => behaviour.logging === 'failures'),
  };
}

/** Start-up chatter (a line per module, per route, per migration applied): at debug level, not info. */
const STARTUP_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
  'MikroORM',
]);

/** The app's logger, with Nest's start-up lines moved to debug so the start-up banner stands out. */
export class QuietStartupLogger implements LoggerService {
  constructor(private readonly inner: LoggerService & { debug: NonNullable<LoggerService['debug']> }) {}

  log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (typeof context === 'string' && STARTUP_CONTEXTS.has(context)) this.inner.debug(message, ...rest);
    else this.inner.log(message, ...rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.inner.error(message, ...rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.inner.warn(message, ...rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.inner.debug(message, ...rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.inner.verbose?.(message, ...rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    (this.inner.fatal ?? this.inner.error).call(this.inner, message, ...rest);
  }
}

/** Resolves once every log line written so far has reached its destination (pino writes asynchronously). */
export function flushLogs(): Promise<void> {
  return new Promise((resolve) => PinoLogger.root.flush(() => resolve()));
}
