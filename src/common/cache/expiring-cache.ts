/**
 * While the database cannot be reached, the proxy serves a warm caller (its key, its
 * organization's provider key, its live session) from values read at most this long ago, so an
 * outage of seconds costs no proxied call. Beyond it, or for anyone not seen recently: 503.
 */
export const OUTAGE_FALLBACK_MAX_AGE_MS = 60_000;

/**
 * Runs `read`; when it fails because the database is unreachable, answers `fallback()` instead
 * if that has a value, and otherwise rethrows.
 */
export async function readOrLastKnown<T>(
  read: () => Promise<T>,
  fallback: () => T | undefined,
  unreachable: (error: unknown) => boolean,
): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!unreachable(error)) throw error;
    const known = fallback();
    if (known === undefined) throw error;
    return known;
  }
}

/**
 * A small in-process cache with a time to live and a size bound (cleared whole when full, which
 * is rare and cheap). For short-lived, per-instance caches on the proxy's hot path; cross-instance
 * invalidation comes from {@link CacheInvalidation}.
 */
export class ExpiringCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  /**
   * The last value read from the source for each key, and when: kept when the listener connection
   * is lost (see `forgetLive`), dropped by an invalidation unless the cache keeps it through one
   * (see CacheInvalidation.cache). Answered only by `lastKnown`, when the source itself cannot be
   * reached.
   */
  private readonly known = new Map<string, { value: V; readAt: number }>();
  /** Bumped by every invalidation: a value read from the database before one is not stored after it. */
  private generation = 0;

  /** `usable`: whether entries may be answered now at all (see CacheInvalidation.cache). */
  constructor(
    readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly usable: () => boolean = () => true,
  ) {}

  get(key: string, now = Date.now()): V | undefined {
    if (!this.usable()) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Take this before reading the source, and pass it to `set`. */
  get version(): number {
    return this.generation;
  }

  /** Stores the value unless an invalidation happened since `version` was taken. */
  set(key: string, value: V, version: number, now = Date.now()): void {
    if (this.ttlMs <= 0 || version !== this.generation) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    if (this.known.size >= this.maxEntries) this.known.clear();
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
    this.known.set(key, { value, readAt: now });
  }

  /**
   * The value last read for `key`, if read within `maxAgeMs` and not dropped since: for while
   * the source (the database) cannot be reached, and only then. Whether or not notifications
   * are being received: during an outage no change can be committed anyway.
   */
  lastKnown(key: string, maxAgeMs: number, now = Date.now()): V | undefined {
    const entry = this.known.get(key);
    return entry && now - entry.readAt <= maxAgeMs ? entry.value : undefined;
  }

  delete(key: string): void {
    this.generation++;
    this.entries.delete(key);
    this.known.delete(key);
  }

  /** Drops every entry whose value matches. */
  deleteWhere(match: (value: V, key: string) => boolean): void {
    this.forgetLiveWhere(match);
    for (const [key, entry] of this.known) if (match(entry.value, key)) this.known.delete(key);
  }

  clear(): void {
    this.forgetLive();
    this.known.clear();
  }

  /** Drops what `get` answers but keeps what `lastKnown` does (the listener connection was lost). */
  forgetLive(): void {
    this.generation++;
    this.entries.clear();
  }

  /** Drops what `get` answers for every entry whose value matches, but keeps what `lastKnown` does. */
  forgetLiveWhere(match: (value: V, key: string) => boolean): void {
    this.generation++;
    for (const [key, entry] of this.entries) if (match(entry.value, key)) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
