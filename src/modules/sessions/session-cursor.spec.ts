import fc from 'fast-check';
import {
  decodeCursor,
  decodeSortedCursor,
  encodeCursor,
  encodeSortedCursor,
  isRfc3339,
  parseBefore,
} from './session-cursor';

describe('session cursors', () => {
  const cursor = { createdAt: '2026-03-04T05:06:07.123456Z', id: '6f1c3a9e-8a4e-4f53-9a57-0d2f6f0b9c11' };

  it('round-trips (createdAt to the microsecond, id) through an opaque base64url string', () => {
    const encoded = encodeCursor(cursor);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(encoded).not.toContain(cursor.id);
    expect(decodeCursor(encoded)).toEqual(cursor);
    expect(parseBefore(encoded)).toEqual({ kind: 'cursor', cursor });
  });

  it.each([
    ['not base64url', 'a+b/c'],
    ['another version', Buffer.from(`v2|${cursor.createdAt}|${cursor.id}`).toString('base64url')],
    ['milliseconds only', Buffer.from(`v1|2026-03-04T05:06:07.123Z|${cursor.id}`).toString('base64url')],
    ['an impossible date', Buffer.from(`v1|2026-02-30T05:06:07.123456Z|${cursor.id}`).toString('base64url')],
    ['an upper-case id', Buffer.from(`v1|${cursor.createdAt}|${cursor.id.toUpperCase()}`).toString('base64url')],
    ['extra parts', Buffer.from(`v1|${cursor.createdAt}|${cursor.id}|x`).toString('base64url')],
  ])('refuses %s', (_name, value) => {
    expect(decodeCursor(value)).toBeNull();
    expect(parseBefore(value)).toBeNull();
  });

  it('takes a plain RFC 3339 timestamp as the session list does, and only real instants', () => {
    expect(parseBefore('2026-03-04T05:06:07Z')).toEqual({ kind: 'timestamp', before: '2026-03-04T05:06:07Z' });
    expect(parseBefore('2026-03-04T05:06:07.5+02:00')).toEqual({
      kind: 'timestamp',
      before: '2026-03-04T05:06:07.5+02:00',
    });
    for (const value of [
      '2026-02-29T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T00:00:60Z',
      '2026-01-01T00:00:00+24:00',
      '2026-01-01',
      '0000-01-01T00:00:00Z',
    ]) {
      expect(isRfc3339(value)).toBe(false);
    }
    expect(isRfc3339('2024-02-29T23:59:59.999999999Z')).toBe(true);
  });

  describe('cursors of the cost and tokens orders', () => {
    const id = cursor.id;

    it('round-trip any 64-bit value and id, and only under the order they name', () => {
      fc.assert(
        fc.property(
          fc.bigInt({ min: -(2n ** 63n) + 1n, max: 2n ** 63n - 1n }),
          fc.constantFrom('cost', 'tokens'),
          (value, sort) => {
            const encoded = encodeSortedCursor({ sort, value: String(value), id });
            expect(decodeSortedCursor(encoded, sort)).toEqual({ sort, value: String(value), id });
            expect(decodeSortedCursor(encoded, sort === 'cost' ? 'tokens' : 'cost')).toBeNull();
            expect(decodeCursor(encoded)).toBeNull();
          },
        ),
      );
    });

    it.each([
      ['a created-at cursor', encodeCursor(cursor)],
      ['past 64 bits', Buffer.from(`s1|cost|9223372036854775808|${id}`).toString('base64url')],
      ['a leading zero', Buffer.from(`s1|cost|012|${id}`).toString('base64url')],
      ['a decimal', Buffer.from(`s1|cost|1.5|${id}`).toString('base64url')],
      ['no id', Buffer.from('s1|cost|12|').toString('base64url')],
      ['extra parts', Buffer.from(`s1|cost|12|${id}|x`).toString('base64url')],
      ['too long', 'A'.repeat(201)],
    ])('refuses %s', (_label, value) => {
      expect(decodeSortedCursor(value, 'cost')).toBeNull();
    });
  });
});
