import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

/** 32 bytes, written as `base64:<44 chars>` or `hex:<64 hex digits>`. */
export const ENCRYPTION_KEY_PATTERN = /^(base64:[A-Za-z0-9+/]{43}=|hex:[0-9a-fA-F]{64})$/;

const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

/**
 * Every environment variable Lamplight reads, validated at boot.
 * `.env.example` documents each one; keep the two in step.
 */
export class EnvironmentVariables {
  @IsOptional()
  @IsIn(NODE_ENVS)
  NODE_ENV?: NodeEnv;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT?: number;

  @IsOptional()
  @IsString()
  HOST?: string;

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @IsOptional()
  @IsString()
  DATA_DIR?: string;

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  @IsOptional()
  @Matches(ENCRYPTION_KEY_PATTERN, {
    message: 'ENCRYPTION_KEY must be 32 bytes written as "base64:<44 chars>" or "hex:<64 hex digits>"',
  })
  ENCRYPTION_KEY?: string;

  @IsOptional()
  @IsString()
  JWT_ISSUER?: string;

  @IsOptional()
  @IsString()
  JWT_AUDIENCE?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(2_592_000)
  JWT_TTL_SECONDS?: number;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  ANTHROPIC_BASE_URL?: string;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  PUBLIC_BASE_URL?: string;

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL?: string;

  @IsOptional()
  @IsIn(['true', 'false'])
  DB_MIGRATE_ON_START?: string;

  /** `true` when the tenant tables are distributed by organization (Citus, docs/scale-out.md); default false. */
  @IsOptional()
  @IsIn(['true', 'false'])
  DATABASE_DISTRIBUTED?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  LOGIN_RATE_LIMIT_PER_IP?: number;

  /** Failed sign-ins from one address on one account before that pair waits (the window, doubling after each further failure). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  LOGIN_RATE_LIMIT_PER_ACCOUNT?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(86_400)
  LOGIN_RATE_LIMIT_WINDOW_SECONDS?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  @Max(1_073_741_824)
  BODY_LIMIT_BYTES?: number;

  /** Deepest nesting of arrays and objects in a JSON body, outside the proxy (which forwards bodies untouched). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(4)
  @Max(1000)
  JSON_MAX_DEPTH?: number;

  /** Whether the API documentation (/docs, /docs-json, /docs-yaml) is served; default true, except with NODE_ENV=production. */
  @IsOptional()
  @IsIn(['true', 'false'])
  DOCS_ENABLED?: string;

  /** Strict-Transport-Security max-age in seconds when served over TLS (directly or behind a TLS proxy); 0 or unset: no HSTS. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(63_072_000)
  HSTS_MAX_AGE_SECONDS?: number;

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters' })
  METRICS_TOKEN?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(600_000)
  UPSTREAM_HEADERS_TIMEOUT_MS?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(600_000)
  UPSTREAM_IDLE_TIMEOUT_MS?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(100_000_000)
  CONTENT_MAX_BYTES?: number;

  /** `false` stops recording interactions (benchmarks' recording-off figure); default true. */
  @IsOptional()
  @IsIn(['true', 'false'])
  RECORDING_ENABLED?: string;

  /** When journal lines reach the disk itself: `always` (before each answer ends) or `interval` (default). */
  @IsOptional()
  @IsIn(['always', 'interval'])
  JOURNAL_SYNC?: string;

  /** With JOURNAL_SYNC=interval, how often the journal is synced to the disk. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(60_000)
  JOURNAL_SYNC_INTERVAL_MS?: number;

  /** Proxy requests per minute per caller (API key, or user for a JWT); 0: no limit. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  PROXY_RATE_LIMIT_PER_MINUTE?: number;

  /** Proxy calls in flight at once per caller; 0: no limit. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(100_000)
  PROXY_CONCURRENCY_LIMIT?: number;

  /** On SIGTERM, how long live streams may run on before they are ended with an error event. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  SHUTDOWN_GRACE_MS?: number;

  /** Spend-alert webhooks may target loopback, link-local and private addresses (tests, closed networks). */
  @IsOptional()
  @IsIn(['true', 'false'])
  SPEND_WEBHOOKS_ALLOW_PRIVATE?: string;

  /** Attempts per spend-alert webhook delivery before it is marked failed. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(20)
  SPEND_WEBHOOK_MAX_ATTEMPTS?: number;

  /** Delay before the first retry of a webhook delivery; doubled for each further one. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3_600_000)
  SPEND_WEBHOOK_RETRY_BASE_MS?: number;
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

/** Validates the raw environment and returns it typed; throws naming every bad variable. */
export function validateEnvironment(raw: Record<string, string | undefined>): EnvironmentVariables {
  const cleaned: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined && value !== '') cleaned[name] = value;
  }
  const env = plainToInstance(EnvironmentVariables, cleaned, { enableImplicitConversion: false });
  const errors = validateSync(env, { skipMissingProperties: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    const problems = errors.flatMap((e) =>
      Object.values(e.constraints ?? {}).map((message) =>
        message.startsWith(e.property) ? message : `${e.property}: ${message}`,
      ),
    );
    throw new ConfigValidationError(problems);
  }
  return env;
}
