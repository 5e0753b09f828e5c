import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, type Dispatcher } from 'undici';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';

const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504, 529]);
const MAX_RETRIES = 2;
const BASE_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 8_000;
/** The most all retry waits of one call may add up to. */
const RETRY_BUDGET_MS = 20_000;

export interface UpstreamCall {
  /** POST when omitted. */
  method?: 'GET' | 'POST' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  /** A buffer can be sent again on a retry; a stream (a file upload) is sent once, never retried. */
  body?: Buffer | NodeJS.ReadableStream | null;
  signal: AbortSignal;
}

export interface UpstreamResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Dispatcher.ResponseData['body'];
  attempts: number;
  /** True when the last answer was retryable but our retries were used up. */
  retriesExhausted: boolean;
}

/** Connection-level failures worth another attempt (nothing reached the model). */
function isConnectError(error: unknown): boolean {
  const code = (error as { code?: string })?.code ?? '';
  return [
    'ECONNREFUSED',
    'ECONNRESET',
    'EPIPE',
    'UND_ERR_SOCKET',
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_CLOSED',
  ].includes(code);
}

export function isHeadersTimeout(error: unknown): boolean {
  return (error as { code?: string })?.code === 'UND_ERR_HEADERS_TIMEOUT';
}

/** Seconds in `retry-after` (delta seconds or an HTTP date), as milliseconds; 0 when absent. */
function retryAfterMs(headers: IncomingHttpHeaders, now = Date.now()): number {
  const value: string | string[] | undefined = headers['retry-after'];
  const text = typeof value === 'string' ? value : value?.[0];
  if (!text) return 0;
  const seconds = Number(text);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(text);
  return Number.isFinite(date) ? Math.max(0, date - now) : 0;
}

/**
 * The only way Lamplight talks to Anthropic: a keep-alive undici pool to the configured base
 * URL (never one taken from a request). Retries connect errors and 429/5xx/529 answers, at most
 * twice, with exponential backoff and jitter but never sooner than `retry-after`, and only
 * here, before any byte has gone to the client. The seam tests and benchmarks replace.
 */
@Injectable()
export class UpstreamClient implements OnApplicationShutdown {
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const base = new URL(config.anthropicBaseUrl);
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.pool = new Pool(base.origin, {
      connections: 256,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: config.upstream.headersTimeoutMs,
      bodyTimeout: config.upstream.idleTimeoutMs,
      connect: { timeout: 10_000 },
    });
  }

  /** After the HTTP server has closed: live calls have the shutdown grace period until then. */
  async onApplicationShutdown(): Promise<void> {
    await this.pool.close().catch(() => undefined);
  }

  async send(call: UpstreamCall, random: () => number = Math.random): Promise<UpstreamResponse> {
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      const retriesLeft = attempt <= MAX_RETRIES && (call.body == null || Buffer.isBuffer(call.body));
      let response: Dispatcher.ResponseData;
      try {
        response = await this.pool.request({
          method: call.method ?? 'POST',
          path: `${this.basePath}${call.path}`,
          headers: call.headers,
          body: (call.body ?? null) as Dispatcher.DispatchOptions['body'],
          signal: call.signal,
        });
      } catch (error) {
        if (!retriesLeft || !isConnectError(error) || call.signal.aborted) throw error;
        const delay = backoff(attempt, 0, random);
        if (waited + delay > RETRY_BUDGET_MS) throw error;
        waited += delay;
        await sleep(delay, undefined, { signal: call.signal });
        continue;
      }
      const retryable = RETRYABLE_STATUSES.has(response.statusCode) && response.headers['x-should-retry'] !== 'false';
      if (!retryable) return { ...response, attempts: attempt, retriesExhausted: false };
      const delay = backoff(attempt, retryAfterMs(response.headers), random);
      if (!retriesLeft || waited + delay > RETRY_BUDGET_MS || call.signal.aborted) {
        return { ...response, attempts: attempt, retriesExhausted: true };
      }
      await response.body.dump().catch(() => undefined);
      waited += delay;
      await sleep(delay, undefined, { signal: call.signal });
    }
  }
}

/** Exponential backoff with full jitter, never below the server's `retry-after`. */
function backoff(attempt: number, retryAfter: number, random: () => number): number {
  const exponential = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (attempt - 1));
  return Math.max(retryAfter, Math.round(exponential * (0.5 + random() / 2)));
}
