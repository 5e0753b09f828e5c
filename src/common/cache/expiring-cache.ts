/**
 * A small in-process cache with a time to live and a size bound (cleared whole when full, which
 * is rare and cheap). For short-lived, per-instance caches on the proxy's hot path; cross-instance
 * invalidation comes from {@link CacheInvalidation}.
 */
export class ExpiringCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
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
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
  }

  delete(key: string): void {
    this.generation++;
    this.entries.delete(key);
  }

  /** Drops every entry whose value matches. */
  deleteWhere(match: (value: V, key: string) => boolean): void {
    this.generation++;
    for (const [key, entry] of this.entries) if (match(entry.value, key)) this.entries.delete(key);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
