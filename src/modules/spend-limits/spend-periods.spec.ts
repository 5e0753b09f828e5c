import fc from 'fast-check';
import { TimeZone } from '../analytics/time-zone';
import { PeriodWindows, periodWindow, secondsUntil, SpendPeriod } from './spend-periods';

describe('periodWindow', () => {
  const paris = TimeZone.of('Europe/Paris')!;
  const tokyo = TimeZone.of('Asia/Tokyo')!;

  it('starts a day at local midnight, not UTC midnight', () => {
    // 23:30 UTC on 31 Jan is 00:30 on 1 Feb in Paris.
    const w = periodWindow(SpendPeriod.Daily, new Date('2026-01-31T23:30:00Z'), paris);
    expect(w.start.toISOString()).toBe('2026-01-31T23:00:00.000Z');
    expect(w.end?.toISOString()).toBe('2026-02-01T23:00:00.000Z');
  });

  it('rolls a month over at the zone boundary', () => {
    const before = periodWindow(SpendPeriod.Monthly, new Date('2026-01-31T14:59:59Z'), tokyo);
    const after = periodWindow(SpendPeriod.Monthly, new Date('2026-01-31T15:00:00Z'), tokyo);
    expect(before.start.toISOString()).toBe('2025-12-31T15:00:00.000Z');
    expect(after.start.toISOString()).toBe('2026-01-31T15:00:00.000Z');
    expect(before.end?.toISOString()).toBe(after.start.toISOString());
  });

  it('makes a daylight-saving day 23 hours long', () => {
    const w = periodWindow(SpendPeriod.Daily, new Date('2026-03-29T12:00:00Z'), paris);
    expect((w.end!.getTime() - w.start.getTime()) / 3_600_000).toBe(23);
  });

  it('starts weeks on Monday', () => {
    const w = periodWindow(SpendPeriod.Weekly, new Date('2026-11-29T12:00:00Z'), TimeZone.UTC); // a Sunday
    expect(w.start.toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(w.end?.toISOString()).toBe('2026-11-30T00:00:00.000Z');
  });

  it('gives a session lifetime no end and no retry-after', () => {
    const w = periodWindow(SpendPeriod.Session, new Date(), TimeZone.UTC);
    expect(w.end).toBeNull();
    expect(secondsUntil(w, new Date())).toBeNull();
  });

  it('counts seconds until the period ends, at least one', () => {
    const w = periodWindow(SpendPeriod.Daily, new Date('2026-11-29T23:59:59.500Z'), TimeZone.UTC);
    expect(secondsUntil(w, new Date('2026-11-29T23:59:59.500Z'))).toBe(1);
    expect(secondsUntil(w, new Date('2026-11-29T00:00:00Z'))).toBe(86_400);
  });
});

describe('PeriodWindows', () => {
  it('answers what periodWindow does, for instants in any order, across day, week and month boundaries', () => {
    const zones = ['UTC', 'Europe/Paris', 'Asia/Tokyo', 'America/New_York', 'Asia/Kolkata'].map((z) => TimeZone.of(z)!);
    const start = Date.parse('2026-01-01T00:00:00Z');
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            // Within a year, to cross daylight-saving changes, month ends and week starts.
            offset: fc.integer({ min: 0, max: 365 * 24 * 3600 }),
            zone: fc.constantFrom(...zones),
            period: fc.constantFrom(SpendPeriod.Daily, SpendPeriod.Weekly, SpendPeriod.Monthly, SpendPeriod.Session),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        (steps) => {
          const windows = new PeriodWindows(3);
          for (const { offset, zone, period } of steps) {
            const now = new Date(start + offset * 1000);
            expect(windows.window(period, now, zone)).toEqual(periodWindow(period, now, zone));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
