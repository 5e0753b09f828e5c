import { ExpiringCache } from './expiring-cache';

describe('ExpiringCache', () => {
  it('returns a value until its time to live ends', () => {
    const cache = new ExpiringCache<string>(1_000);
    cache.set('a', 'x', cache.version, 0);
    expect(cache.get('a', 999)).toBe('x');
    expect(cache.get('a', 1_000)).toBeUndefined();
  });

  it('does not store a value read before an invalidation (the read raced the change)', () => {
    const cache = new ExpiringCache<string>(1_000);
    const before = cache.version;
    cache.delete('a'); // an invalidation arrives while the database read is in flight
    cache.set('a', 'stale', before, 0);
    expect(cache.get('a', 1)).toBeUndefined();
    cache.set('a', 'fresh', cache.version, 0);
    expect(cache.get('a', 1)).toBe('fresh');
  });

  it('drops entries by predicate and all at once', () => {
    const cache = new ExpiringCache<{ id: string }>(1_000);
    cache.set('d1', { id: 'k1' }, cache.version, 0);
    cache.set('d2', { id: 'k2' }, cache.version, 0);
    cache.deleteWhere((value) => value.id === 'k1');
    expect(cache.get('d1', 1)).toBeUndefined();
    expect(cache.get('d2', 1)).toEqual({ id: 'k2' });
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('stays within its size bound', () => {
    const cache = new ExpiringCache<number>(1_000, 2);
    for (let i = 0; i < 5; i++) cache.set(`k${i}`, i, cache.version, 0);
    expect(cache.size).toBeLessThanOrEqual(2);
  });

  it('answers nothing while it may not be used, and its entries again once it may', () => {
    let usable = false;
    const cache = new ExpiringCache<string>(1_000, 10, () => usable);
    cache.set('a', 'x', cache.version, 0);
    expect(cache.get('a', 1)).toBeUndefined();
    usable = true;
    expect(cache.get('a', 1)).toBe('x');
  });

  it('keeps the last-known value through a lost connection, not through an invalidation, and only so long', () => {
    const cache = new ExpiringCache<string>(1_000);
    cache.set('a', 'A', cache.version, 0);
    cache.set('b', 'B', cache.version, 0);
    cache.forgetLive();
    expect(cache.get('a', 1)).toBeUndefined();
    expect(cache.lastKnown('a', 60_000, 30_000)).toBe('A');
    expect(cache.lastKnown('a', 60_000, 60_001)).toBeUndefined();
    cache.delete('a');
    expect(cache.lastKnown('a', 60_000, 1)).toBeUndefined();
    cache.deleteWhere((value) => value === 'B');
    expect(cache.lastKnown('b', 60_000, 1)).toBeUndefined();
    cache.set('c', 'C', cache.version, 0);
    cache.clear();
    expect(cache.lastKnown('c', 60_000, 1)).toBeUndefined();
  });

  it('can drop live entries by predicate and keep their last-known values, which the next read replaces', () => {
    const cache = new ExpiringCache<string>(1_000);
    cache.set('a', 'A', cache.version, 0);
    cache.set('b', 'B', cache.version, 0);
    const before = cache.version;
    cache.forgetLiveWhere((_value, key) => key === 'a');
    expect(cache.get('a', 1)).toBeUndefined();
    expect(cache.get('b', 1)).toBe('B');
    expect(cache.lastKnown('a', 60_000, 1)).toBe('A');
    cache.set('a', 'raced', before, 2); // read before the change: not stored, not the last-known value
    expect(cache.lastKnown('a', 60_000, 3)).toBe('A');
    cache.set('a', 'A2', cache.version, 4);
    expect(cache.lastKnown('a', 60_000, 5)).toBe('A2');
    expect(cache.lastKnown('a', 60_000, 60_005)).toBeUndefined();
  });
});
