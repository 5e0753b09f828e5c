import fc from 'fast-check';
import { withoutNul } from './interaction-writer';

const dropNul = (value: unknown): unknown => {
  if (typeof value === 'string') return value.replace(/\u0000/g, '');
  if (Array.isArray(value)) return value.map(dropNul);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [dropNul(k), dropNul(v)]));
  return value;
};

describe('withoutNul (the batch JSON sent to PostgreSQL)', () => {
  it('drops NUL characters and nothing else, whatever backslashes surround them', () => {
    expect(withoutNul(JSON.stringify({ text: 'a\u0000b' }))).toBe('{"text":"ab"}');
    // A literal backslash followed by "u0000" is text, not a NUL.
    expect(JSON.parse(withoutNul(JSON.stringify({ text: 'C:\\u0000dir' })))).toEqual({ text: 'C:\\u0000dir' });
    expect(JSON.parse(withoutNul(JSON.stringify({ text: '\\\u0000\\\\\u0000' })))).toEqual({ text: '\\\\\\' });
  });

  it('round-trips any JSON value to the same value without its NULs', () => {
    const text = fc.string({ unit: fc.constantFrom('a', '\\', 'u', '0', '\u0000', '"', 'é', '\n') });
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(text, tie('node'), { maxKeys: 3 })),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        const cleaned = withoutNul(JSON.stringify(v));
        expect(cleaned).not.toMatch(/(?<!\\)(?:\\\\)*\\u0000/);
        expect(JSON.parse(cleaned)).toEqual(dropNul(v));
      }),
      { numRuns: 500 },
    );
  });
});
