import { CacheInvalidation } from './cache-invalidation';

describe('CacheInvalidation.cache', () => {
  // Not listening: entries are never answered by `get`, but `lastKnown` shows what an invalidation did.
  const invalidation = new CacheInvalidation('postgres://unused', false);
  const owner = (_value: string, key: string) => key;

  it('drops the last-known value of a changed entry by default', () => {
    const cache = invalidation.cache<string>('dropping', { ttlMs: 1_000, owner });
    cache.set('org-1', 'v1', cache.version, 0);
    cache.set('org-2', 'v2', cache.version, 0);
    invalidation.clearLocal('dropping', 'org-1');
    expect(cache.lastKnown('org-1', 60_000, 1)).toBeUndefined();
    expect(cache.lastKnown('org-2', 60_000, 1)).toBe('v2');
    invalidation.clearLocal('dropping', '*');
    expect(cache.lastKnown('org-2', 60_000, 1)).toBeUndefined();
  });

  it('with keepLastKnown, makes the next lookup read again but keeps the last-known value for an outage', () => {
    const cache = invalidation.cache<string>('keeping', { ttlMs: 1_000, owner, keepLastKnown: true });
    cache.set('org-1', 'v1', cache.version, 0);
    const before = cache.version;
    invalidation.clearLocal('keeping', 'org-1');
    expect(cache.version).not.toBe(before);
    expect(cache.lastKnown('org-1', 60_000, 1)).toBe('v1');
    invalidation.clearLocal('keeping', '*');
    expect(cache.lastKnown('org-1', 60_000, 1)).toBe('v1');
  });
});
