import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';

/** The longest a (client address, account) pair is held back after failures. */
const MAX_BLOCK_MS = 60 * 60 * 1000;
/** Pairs tracked per instance; beyond it, the oldest are forgotten. */
const MAX_PAIRS = 100_000;

interface Failures {
  count: number;
  lastFailureAt: number;
  blockedUntil: number;
}

/**
 * Failed sign-ins per (client address, account). After `perAccount` failures from one address
 * on one account, that pair waits: the window, then twice as long after each further failure (at
 * most an hour). A success clears the pair. Nobody else is held back: the same account from a
 * clean address signs in with the right password, so failures cannot lock its owner out. The
 * per-address limit on all attempts (LoginThrottlerGuard) still bounds guessing across accounts.
 * Kept in memory per instance, as the throttler's counters are.
 */
@Injectable()
export class LoginAttempts {
  private readonly pairs = new Map<string, Failures>();
  private readonly limit: number;
  private readonly windowMs: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.limit = config.loginRateLimit.perAccount;
    this.windowMs = config.loginRateLimit.windowSeconds * 1000;
  }

  /** The clock; the seam tests set. */
  now(): number {
    return Date.now();
  }

  /** Seconds this pair must still wait, or 0. */
  retryAfterSeconds(address: string, email: string): number {
    const entry = this.current(pairKey(address, email));
    if (!entry || entry.blockedUntil <= this.now()) return 0;
    return Math.max(1, Math.ceil((entry.blockedUntil - this.now()) / 1000));
  }

  failed(address: string, email: string): void {
    const key = pairKey(address, email);
    const now = this.now();
    const entry = this.current(key) ?? { count: 0, lastFailureAt: now, blockedUntil: 0 };
    entry.count += 1;
    entry.lastFailureAt = now;
    if (entry.count >= this.limit) {
      entry.blockedUntil = now + Math.min(MAX_BLOCK_MS, this.windowMs * 2 ** (entry.count - this.limit));
    }
    this.pairs.delete(key);
    if (this.pairs.size >= MAX_PAIRS) this.pairs.delete(this.pairs.keys().next().value!);
    this.pairs.set(key, entry);
  }

  succeeded(address: string, email: string): void {
    this.pairs.delete(pairKey(address, email));
  }

  /** The pair's record, unless it has gone quiet: no failure and no wait within the last window. */
  private current(key: string): Failures | undefined {
    const entry = this.pairs.get(key);
    if (!entry) return undefined;
    const now = this.now();
    if (now - Math.max(entry.lastFailureAt, entry.blockedUntil) > this.windowMs) {
      this.pairs.delete(key);
      return undefined;
    }
    return entry;
  }
}

function pairKey(address: string, email: string): string {
  return `${address} ${email}`;
}
