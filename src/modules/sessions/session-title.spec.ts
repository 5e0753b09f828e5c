import { codePointLength, sanitizeTitle } from './session-title';

describe('session titles', () => {
  it('removes control characters, then trims, and leaves everything else as sent', () => {
    expect(sanitizeTitle('\u0000 a\tb\u0085c\u007f ')).toBe('abc');
    expect(sanitizeTitle('e\u0301 👩‍👩‍👧‍👦')).toBe('e\u0301 👩‍👩‍👧‍👦');
    expect(sanitizeTitle('\udc00x')).toBe('\ufffdx');
    expect(sanitizeTitle(7)).toBe(7);
  });

  it('counts Unicode code points', () => {
    expect(codePointLength('😀')).toBe(1);
    expect(codePointLength('e\u0301')).toBe(2);
    expect(codePointLength('👩‍👩‍👧‍👦')).toBe(7);
  });
});
