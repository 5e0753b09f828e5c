import fc from 'fast-check';
import { rollupPieces } from './analytics.repository';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('rollupPieces', () => {
  it('reads whole UTC days from the daily rollup and the partial days at the ends from the hourly one', () => {
    const at = (iso: string) => Date.parse(iso);
    expect(rollupPieces({ start: at('2026-11-22T22:00:00Z'), end: at('2026-11-25T03:00:00Z') })).toEqual([
      { table: 'usage_hourly', start: at('2026-11-22T22:00:00Z'), end: at('2026-11-23T00:00:00Z') },
      { table: 'usage_daily', start: at('2026-11-23T00:00:00Z'), end: at('2026-11-25T00:00:00Z') },
      { table: 'usage_hourly', start: at('2026-11-25T00:00:00Z'), end: at('2026-11-25T03:00:00Z') },
    ]);
    expect(rollupPieces({ start: at('2026-11-23T00:00:00Z'), end: at('2026-11-24T00:00:00Z') })).toEqual([
      { table: 'usage_daily', start: at('2026-11-23T00:00:00Z'), end: at('2026-11-24T00:00:00Z') },
    ]);
    // Across a midnight but no whole day: hours only.
    expect(rollupPieces({ start: at('2026-11-23T20:00:00Z'), end: at('2026-11-24T04:00:00Z') })).toEqual([
      { table: 'usage_hourly', start: at('2026-11-23T20:00:00Z'), end: at('2026-11-24T04:00:00Z') },
    ]);
  });

  it('covers every hour of any range exactly once, with daily pieces on UTC midnights only', () => {
    const hours = fc.integer({ min: 0, max: 2_000 * 24 });
    fc.assert(
      fc.property(hours, fc.integer({ min: 1, max: 800 * 24 }), (startHour, length) => {
        const range = { start: startHour * HOUR, end: (startHour + length) * HOUR };
        const pieces = rollupPieces(range);
        expect(pieces[0].start).toBe(range.start);
        expect(pieces.at(-1)!.end).toBe(range.end);
        for (let i = 0; i < pieces.length; i++) {
          expect(pieces[i].start).toBeLessThan(pieces[i].end);
          if (i > 0) expect(pieces[i].start).toBe(pieces[i - 1].end);
          if (pieces[i].table === 'usage_daily') {
            expect(pieces[i].start % DAY).toBe(0);
            expect(pieces[i].end % DAY).toBe(0);
          } else {
            // An hourly piece never holds a whole UTC day.
            expect(Math.floor(pieces[i].end / DAY) * DAY - Math.ceil(pieces[i].start / DAY) * DAY).toBeLessThan(DAY);
          }
        }
        expect(pieces.filter((p) => p.table === 'usage_daily').length).toBeLessThanOrEqual(1);
      }),
    );
  });
});
