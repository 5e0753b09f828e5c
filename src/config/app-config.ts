import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ConfigValidationError,
  ENCRYPTION_KEY_PATTERN,
  EnvironmentVariables,
  NodeEnv,
  validateEnvironment,
} from './env.schema';

export interface AppConfig {
  nodeEnv: NodeEnv;
  host: string;
  port: number;
  /** `undefined` means: start the embedded PostgreSQL under `dataDir/pg`. */
  databaseUrl: string | undefined;
  dataDir: string;
  migrateOnStart: boolean;
  /**
   * DATABASE_DISTRIBUTED=true: the tenant tables are distributed by organization (Citus), so every
   * statement that writes them must touch one organization's rows; the recorder then writes one
   * statement per organization in a batch instead of one for the whole batch.
   */
  databaseDistributed: boolean;
  jwt: { secret: string; issuer: string; audience: string; ttlSeconds: number };
  /** 32 bytes; provider-key encryption and API-key digests use subkeys derived from it. */
  encryptionKey: Buffer;
  anthropicBaseUrl: string;
  publicBaseUrl: string | undefined;
  logLevel: string;
  bodyLimitBytes: number;
  /** Deepest JSON nesting accepted in bodies of non-proxy routes (deeper: 400). */
  jsonMaxDepth: number;
  /** Whether /docs and /docs-json are served. */
  docsEnabled: boolean;
  /** Strict-Transport-Security max-age; 0: no HSTS header (plain HTTP deployments). */
  hstsMaxAgeSeconds: number;
  metricsToken: string | undefined;
  upstream: {
    /** No response headers from Anthropic within this → 504. */
    headersTimeoutMs: number;
    /** No bytes mid-response within this → the stream ends with an error event. */
    idleTimeoutMs: number;
  };
  /** Content kept per interaction (request messages and response blocks), in bytes of JSON. */
  contentMaxBytes: number;
  /** RECORDING_ENABLED=false: proxied calls are forwarded but not recorded (for benchmarks). */
  recordingEnabled: boolean;
  /** The recorder's journal under DATA_DIR/journal (see journal.ts). */
  journal: { sync: 'always' | 'interval'; syncIntervalMs: number };
  loginRateLimit: { perIp: number; perAccount: number; windowSeconds: number };
  /**
   * Per caller (API key, or user for a JWT) on the proxy routes, kept in memory per instance:
   * requests per minute (token bucket, bursts up to a minute's worth) and calls in flight. 0 turns a limit off.
   */
  proxyLimits: { requestsPerMinute: number; concurrent: number };
  /** On SIGTERM, how long live streams may run on before they are ended with an SSE error event. */
  shutdownGraceMs: number;
  /** Spend-alert webhooks: whether private targets are allowed, and the retry schedule. */
  spendWebhooks: { allowPrivate: boolean; maxAttempts: number; retryBaseMs: number };
  /** What the boot sequence should tell the operator (generated secrets and the like). */
  notices: string[];
}

export const APP_CONFIG = Symbol('APP_CONFIG');

interface DevSecrets {
  jwtSecret: string;
  encryptionKey: string;
}

/**
 * Builds the typed configuration from the environment. The only place that reads `process.env`.
 * In production the JWT secret and encryption key are required; elsewhere they are generated
 * once and kept in `<dataDir>/secrets.json` so restarts keep sessions and stored keys valid.
 */
export function loadAppConfig(raw: Record<string, string | undefined> = process.env): AppConfig {
  const env: EnvironmentVariables = validateEnvironment(raw);
  const nodeEnv: NodeEnv = env.NODE_ENV ?? 'development';
  const dataDir = resolve(env.DATA_DIR ?? '.data');
  const notices: string[] = [];

  let jwtSecret = env.JWT_SECRET;
  let encryptionKey = env.ENCRYPTION_KEY;
  if (nodeEnv === 'production') {
    const missing = [
      !jwtSecret && 'JWT_SECRET is required in production (at least 32 characters)',
      !encryptionKey && 'ENCRYPTION_KEY is required in production ("base64:..." or "hex:...", 32 bytes)',
    ].filter((p): p is string => Boolean(p));
    if (missing.length > 0) throw new ConfigValidationError(missing);
  } else if (!jwtSecret || !encryptionKey) {
    const secrets = loadOrCreateDevSecrets(dataDir, notices);
    jwtSecret ??= secrets.jwtSecret;
    encryptionKey ??= secrets.encryptionKey;
  }

  return {
    nodeEnv,
    host: env.HOST ?? '127.0.0.1',
    port: env.PORT ?? 3000,
    databaseUrl: env.DATABASE_URL,
    dataDir,
    migrateOnStart: env.DB_MIGRATE_ON_START ? env.DB_MIGRATE_ON_START === 'true' : nodeEnv !== 'production',
    databaseDistributed: env.DATABASE_DISTRIBUTED === 'true',
    jwt: {
      secret: jwtSecret!,
      issuer: env.JWT_ISSUER ?? 'lamplight',
      audience: env.JWT_AUDIENCE ?? 'lamplight-api',
      ttlSeconds: env.JWT_TTL_SECONDS ?? 3600,
    },
    encryptionKey: decodeKey(encryptionKey!),
    anthropicBaseUrl: (env.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com').replace(/\/+$/, ''),
    publicBaseUrl: env.PUBLIC_BASE_URL?.replace(/\/+$/, ''),
    logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    bodyLimitBytes: env.BODY_LIMIT_BYTES ?? 32 * 1024 * 1024,
    jsonMaxDepth: env.JSON_MAX_DEPTH ?? 32,
    docsEnabled: env.DOCS_ENABLED ? env.DOCS_ENABLED === 'true' : nodeEnv !== 'production',
    hstsMaxAgeSeconds: env.HSTS_MAX_AGE_SECONDS ?? 0,
    metricsToken: env.METRICS_TOKEN,
    upstream: {
      headersTimeoutMs: env.UPSTREAM_HEADERS_TIMEOUT_MS ?? 120_000,
      idleTimeoutMs: env.UPSTREAM_IDLE_TIMEOUT_MS ?? 120_000,
    },
    contentMaxBytes: env.CONTENT_MAX_BYTES ?? 256 * 1024,
    recordingEnabled: env.RECORDING_ENABLED !== 'false',
    journal: {
      sync: env.JOURNAL_SYNC === 'always' ? 'always' : 'interval',
      syncIntervalMs: env.JOURNAL_SYNC_INTERVAL_MS ?? 200,
    },
    loginRateLimit: {
      perIp: env.LOGIN_RATE_LIMIT_PER_IP ?? 20,
      perAccount: env.LOGIN_RATE_LIMIT_PER_ACCOUNT ?? 10,
      windowSeconds: env.LOGIN_RATE_LIMIT_WINDOW_SECONDS ?? 300,
    },
    proxyLimits: {
      requestsPerMinute: env.PROXY_RATE_LIMIT_PER_MINUTE ?? 600,
      concurrent: env.PROXY_CONCURRENCY_LIMIT ?? 64,
    },
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS ?? 25_000,
    spendWebhooks: {
      allowPrivate: env.SPEND_WEBHOOKS_ALLOW_PRIVATE === 'true',
      maxAttempts: env.SPEND_WEBHOOK_MAX_ATTEMPTS ?? 6,
      retryBaseMs: env.SPEND_WEBHOOK_RETRY_BASE_MS ?? 1_000,
    },
    notices,
  };
}

function decodeKey(value: string): Buffer {
  const [encoding, body] = [value.slice(0, value.indexOf(':')), value.slice(value.indexOf(':') + 1)];
  const key = Buffer.from(body, encoding === 'hex' ? 'hex' : 'base64');
  if (key.length !== 32) throw new ConfigValidationError(['ENCRYPTION_KEY must decode to exactly 32 bytes']);
  return key;
}

function loadOrCreateDevSecrets(dataDir: string, notices: string[]): DevSecrets {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) return readDevSecrets(file);
  const secrets: DevSecrets = {
    jwtSecret: randomBytes(48).toString('base64url'),
    encryptionKey: `base64:${randomBytes(32).toString('base64')}`,
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  notices.push(
    `Generated a development JWT secret and encryption key in ${file}; set JWT_SECRET and ENCRYPTION_KEY to use your own.`,
  );
  return secrets;
}

/**
 * The secrets a previous start generated. A file that cannot be read as such is a configuration
 * error, never silently replaced: new secrets would invalidate every token and stored key.
 */
function readDevSecrets(file: string): DevSecrets {
  const invalid = () =>
    new ConfigValidationError([
      `${file} is not a valid secrets file (expected {"jwtSecret", "encryptionKey"}); fix or delete it, or set JWT_SECRET and ENCRYPTION_KEY`,
    ]);
  let stored: unknown;
  try {
    stored = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw invalid();
  }
  const { jwtSecret, encryptionKey } = (stored ?? {}) as Partial<Record<keyof DevSecrets, unknown>>;
  if (
    typeof jwtSecret !== 'string' ||
    jwtSecret.length < 32 ||
    typeof encryptionKey !== 'string' ||
    !ENCRYPTION_KEY_PATTERN.test(encryptionKey)
  ) {
    throw invalid();
  }
  return { jwtSecret, encryptionKey };
}

/** DATABASE_URL alone, validated, for the operator's commands (`npm run reprice`). */
export function loadDatabaseUrl(raw: Record<string, string | undefined> = process.env): string | undefined {
  return validateEnvironment({ DATABASE_URL: raw.DATABASE_URL }).DATABASE_URL;
}

/** What `npm run reconcile` needs: the database, Anthropic's base URL, and the operator's Admin API key. */
export function loadReconcileConfig(raw: Record<string, string | undefined> = process.env): {
  databaseUrl: string | undefined;
  anthropicBaseUrl: string;
  adminKey: string | undefined;
} {
  const env = validateEnvironment({ DATABASE_URL: raw.DATABASE_URL, ANTHROPIC_BASE_URL: raw.ANTHROPIC_BASE_URL });
  return {
    databaseUrl: env.DATABASE_URL,
    anthropicBaseUrl: (env.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com').replace(/\/+$/, ''),
    adminKey: raw.ANTHROPIC_ADMIN_API_KEY?.trim() || undefined,
  };
}
