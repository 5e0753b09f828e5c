import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../../common/auth/principal';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { ProxyErrors } from './proxy.errors';

interface Bucket {
  /** Requests the caller may still make now (a token bucket, refilled evenly over a minute). */
  tokens: number;
  refilledAt: number;
  inFlight: number;
}

/** How many idle callers are kept before the map is swept of full, idle buckets. */
const SWEEP_THRESHOLD = 10_000;

/**
 * Per-caller limits on the proxy routes: requests per minute and calls in flight, keyed by the
 * platform API key, or by the user for a JWT. In memory, per instance: N instances behind a load
 * balancer allow up to N times the configured figures. Never touches the database.
 */
@Injectable()
export class ProxyLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMinute: number;
  private readonly concurrent: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.perMinute = config.proxyLimits.requestsPerMinute;
    this.concurrent = config.proxyLimits.concurrent;
  }

  get enabled(): boolean {
    return this.perMinute > 0 || this.concurrent > 0;
  }

  /** Admits one call or throws a 429; the returned function releases its concurrency slot (once). */
  acquire(callerKey: string, now = Date.now()): () => void {
    let bucket = this.buckets.get(callerKey);
    if (!bucket) {
      if (this.buckets.size >= SWEEP_THRESHOLD) this.sweep(now);
      bucket = { tokens: this.perMinute, refilledAt: now, inFlight: 0 };
      this.buckets.set(callerKey, bucket);
    }
    if (this.concurrent > 0 && bucket.inFlight >= this.concurrent)
      throw ProxyErrors.concurrencyLimited(this.concurrent);
    if (this.perMinute > 0) {
      const refillPerMs = this.perMinute / 60_000;
      bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.refilledAt) * refillPerMs);
      bucket.refilledAt = now;
      if (bucket.tokens < 1) {
        throw ProxyErrors.rateLimited(Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerMs / 1000)), this.perMinute);
      }
      bucket.tokens -= 1;
    }
    bucket.inFlight += 1;
    let released = false;
    const held = bucket;
    return () => {
      if (released) return;
      released = true;
      held.inFlight -= 1;
    };
  }

  /**
   * Runs one call of `principal` within its limits: admitted or refused with a 429 before it
   * starts, its concurrency slot held until `call` has settled (a stream's last byte, a client
   * that went away, a failure). Guards have run by then; no interceptor, so nothing is added to
   * the hot path when the limits are off.
   */
  async run<T>(principal: Principal, call: () => Promise<T>): Promise<T> {
    if (!this.enabled) return call();
    const release = this.acquire(callerKey(principal));
    try {
      return await call();
    } finally {
      release();
    }
  }

  /** Calls in flight for a caller (tests, metrics). */
  inFlight(callerKey: string): number {
    return this.buckets.get(callerKey)?.inFlight ?? 0;
  }

  private sweep(now: number): void {
    const refillPerMs = this.perMinute / 60_000;
    for (const [key, bucket] of this.buckets) {
      const full = this.perMinute === 0 || bucket.tokens + (now - bucket.refilledAt) * refillPerMs >= this.perMinute;
      if (bucket.inFlight === 0 && full) this.buckets.delete(key);
    }
  }
}

/** The caller a proxy call is counted against: its API key, or its user when it came with a JWT. */
function callerKey(principal: Principal): string {
  return principal.kind === 'apiKey' ? `key:${principal.apiKeyId}` : `user:${principal.userId}`;
}
