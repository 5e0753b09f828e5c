import fc from 'fast-check';
import {
  cutToBytes,
  DEPTH_MARKER,
  jsonForPostgres,
  sliceWhole,
  storableJson,
  TRUNCATION_MARKER,
  wellFormed,
} from './storable-text';

/** What PostgreSQL should end up holding: every string and key without NUL, lone surrogates as U+FFFD. */
const storedForm = (value: unknown): unknown => {
  // eslint-disable-next-line no-control-regex -- NUL is the character this removes
  if (typeof value === 'string') return value.toWellFormed().replace(/\u0000/g, '');
  if (Array.isArray(value)) return value.map(storedForm);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storedForm(k), storedForm(v)]));
  return value;
};

/** Any UTF-16 text, lone surrogates and NUL included. */
const anyText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\u0000', '\ud800', '\udfff', '😀', 'é', '\\', 'u', '"'),
    fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
  ),
});

const isWellFormedUtf16 = (text: string) => text.isWellFormed() && !text.includes('\0');

describe('jsonForPostgres (the batch JSON sent to PostgreSQL)', () => {
  it('drops NUL characters and nothing else, whatever backslashes surround them', () => {
    expect(jsonForPostgres(JSON.stringify({ text: 'a\u0000b' }))).toBe('{"text":"ab"}');
    // A literal backslash followed by "u0000" is text, not a NUL.
    expect(JSON.parse(jsonForPostgres(JSON.stringify({ text: 'C:\\u0000dir' })))).toEqual({ text: 'C:\\u0000dir' });
    expect(JSON.parse(jsonForPostgres(JSON.stringify({ text: '\\\u0000\\\\\u0000' })))).toEqual({ text: '\\\\\\' });
  });

  it('turns lone surrogates into U+FFFD and leaves pairs and escaped backslashes alone', () => {
    expect(JSON.parse(jsonForPostgres(JSON.stringify({ t: 'a\ud800b\udc00c😀' })))).toEqual({ t: 'a\ufffdb\ufffdc😀' });
    expect(JSON.parse(jsonForPostgres(JSON.stringify({ t: '\\ud800' })))).toEqual({ t: '\\ud800' });
  });

  it('round-trips any JSON value to the same value, well-formed and without NUL', () => {
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        anyText,
        fc.integer(),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(anyText, tie('node'), { maxKeys: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        const cleaned = jsonForPostgres(JSON.stringify(v));
        expect(cleaned).not.toMatch(/(?<!\\)(?:\\\\)*\\u(0000|d[89a-f])/i);
        expect(JSON.parse(cleaned)).toEqual(storedForm(v));
      }),
      { numRuns: 500 },
    );
  });
});

describe('wellFormed, sliceWhole and cutToBytes', () => {
  it('make any text well-formed, and cut only on code-point boundaries', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 0, max: 80 }), (text, limit) => {
        const formed = wellFormed(text);
        expect(isWellFormedUtf16(formed)).toBe(true);
        const sliced = sliceWhole(formed, limit);
        expect(sliced.length).toBeLessThanOrEqual(limit);
        expect(isWellFormedUtf16(sliced)).toBe(true);
        expect(formed.startsWith(sliced)).toBe(true);

        const cut = cutToBytes(text, limit + Buffer.byteLength(TRUNCATION_MARKER));
        expect(isWellFormedUtf16(cut.text)).toBe(true);
        expect(Buffer.byteLength(cut.text)).toBeLessThanOrEqual(limit + Buffer.byteLength(TRUNCATION_MARKER));
        if (cut.truncated) {
          expect(cut.text.endsWith(TRUNCATION_MARKER)).toBe(true);
          expect(formed.startsWith(cut.text.slice(0, -TRUNCATION_MARKER.length))).toBe(true);
        } else {
          expect(cut.text).toBe(formed);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('cuts a 4-byte character whole at every position around the limit', () => {
    const marker = Buffer.byteLength(TRUNCATION_MARKER);
    for (let prefix = 0; prefix < 8; prefix += 1) {
      const text = `${'a'.repeat(prefix)}😀😀😀`;
      for (let max = marker; max < marker + 20; max += 1) {
        const cut = cutToBytes(text, max);
        expect(cut.text.isWellFormed()).toBe(true);
        expect(Buffer.byteLength(cut.text)).toBeLessThanOrEqual(Math.max(max, Buffer.byteLength(text)));
      }
    }
  });
});

describe('storableJson', () => {
  it('copies any depth without recursion, replacing what is too deep', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    const { value, cut } = storableJson({ a: deep }, 10);
    expect(cut).toBe(true);
    expect(JSON.stringify(value)).toBe(`{"a":${'['.repeat(9)}"${DEPTH_MARKER}"${']'.repeat(9)}}`);
  });

  it('keeps a shallow value as JSON would, with keys and strings well-formed', () => {
    expect(storableJson({ 'k\ud800': ['\u0000x', 1, null, true, { n: Infinity }] }).value).toEqual({
      'k\ufffd': ['x', 1, null, true, { n: null }],
    });
    expect(storableJson({ a: 1 }).cut).toBe(false);
  });
});
