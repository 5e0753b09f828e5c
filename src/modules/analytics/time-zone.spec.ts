import { percentChange } from './analytics.service';
import { ceilToHour, floorToHour, TimeZone } from './time-zone';
import { nanoToUsdExact } from './usage-figures';

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('TimeZone', () => {
  it('accepts IANA names only, canonicalised', () => {
    expect(TimeZone.of('UTC')).toBe(TimeZone.UTC);
    expect(TimeZone.of('Etc/UTC')).toBe(TimeZone.UTC);
    expect(TimeZone.of('Europe/Paris')?.name).toBe('Europe/Paris');
    expect(TimeZone.of('europe/paris')?.name).toBe('Europe/Paris');
    expect(TimeZone.of('Asia/Kolkata')?.name).toBe('Asia/Kolkata');
    for (const bad of ['+05:30', 'Not/AZone', '', 'Europe/Paris; drop', '../etc', 'x'.repeat(65)])
      expect(TimeZone.of(bad)).toBeNull();
  });

  it('starts UTC days at midnight and weeks on Monday', () => {
    const z = TimeZone.UTC;
    expect(iso(z.startOfDay(t('2026-11-25T10:30:00Z')))).toBe('2026-11-25T00:00:00.000Z');
    expect(iso(z.startOfWeek(t('2026-11-25T10:30:00Z')))).toBe('2026-11-23T00:00:00.000Z'); // a Wednesday
    expect(iso(z.startOfWeek(t('2026-11-23T00:00:00Z')))).toBe('2026-11-23T00:00:00.000Z'); // Monday itself
    expect(iso(z.startOfWeek(t('2026-11-29T23:59:59Z')))).toBe('2026-11-23T00:00:00.000Z'); // Sunday belongs to the week before
    expect(iso(z.startOfMonth(t('2026-03-31T23:00:00Z')))).toBe('2026-03-01T00:00:00.000Z');
    expect(iso(z.addMonths(t('2026-03-01T00:00:00Z'), -1))).toBe('2026-02-01T00:00:00.000Z');
    expect(iso(z.addDays(t('2026-01-01T00:00:00Z'), -1))).toBe('2025-12-31T00:00:00.000Z');
  });

  it('follows daylight saving time: a month that starts in summer time and ends in winter time', () => {
    const ny = TimeZone.of('America/New_York')!;
    // DST ended on Sunday 2026-11-01 at 02:00 local; November 1 began at 00:00 EDT (UTC-4).
    expect(iso(ny.startOfMonth(t('2026-11-25T10:30:00Z')))).toBe('2026-11-01T04:00:00.000Z');
    expect(iso(ny.startOfDay(t('2026-11-25T10:30:00Z')))).toBe('2026-11-25T05:00:00.000Z');
    expect(iso(ny.startOfDay(t('2026-11-25T04:59:59Z')))).toBe('2026-11-24T05:00:00.000Z');
    expect(iso(ny.startOfWeek(t('2026-11-25T10:30:00Z')))).toBe('2026-11-23T05:00:00.000Z');
    expect(iso(ny.addDays(t('2026-11-01T04:00:00Z'), 1))).toBe('2026-11-02T05:00:00.000Z'); // a 25-hour day
  });

  it('starts a day whose midnight does not exist at the jump', () => {
    const santiago = TimeZone.of('America/Santiago')!;
    // Chile moved from UTC-4 to UTC-3 at 2026-09-06 00:00 local: that day began at 01:00 local.
    expect(iso(santiago.startOfDay(t('2026-09-06T12:00:00Z')))).toBe('2026-09-06T04:00:00.000Z');
    expect(santiago.formatOffset(t('2026-09-06T12:00:00Z'))).toBe('-03:00');
  });

  it('reports offsets that are not whole hours', () => {
    const kolkata = TimeZone.of('Asia/Kolkata')!;
    expect(kolkata.formatOffset(t('2026-11-25T00:00:00Z'))).toBe('+05:30');
    expect(iso(kolkata.startOfDay(t('2026-11-25T10:00:00Z')))).toBe('2026-11-24T18:30:00.000Z');
  });

  it('rounds to whole hours', () => {
    expect(iso(floorToHour(t('2026-11-25T10:59:59.999Z')))).toBe('2026-11-25T10:00:00.000Z');
    expect(iso(ceilToHour(t('2026-11-25T10:00:00.001Z')))).toBe('2026-11-25T11:00:00.000Z');
    expect(iso(ceilToHour(t('2026-11-25T10:00:00.000Z')))).toBe('2026-11-25T10:00:00.000Z');
  });
});

describe('money and change', () => {
  it('turns nano-USD into the USD number nearest the exact amount', () => {
    expect(nanoToUsdExact(1n)).toBe(0.000000001);
    expect(nanoToUsdExact(16_275_000n)).toBe(0.016275);
    expect(nanoToUsdExact(-2_500_000_000n)).toBe(-2.5);
    // 123456789.012345678 as the nearest double, written as JavaScript prints it.
    expect(nanoToUsdExact(123_456_789_012_345_678n)).toBe(123456789.01234567);
    expect(nanoToUsdExact(0n)).toBe(0);
  });

  it('gives the change in percent to two decimals, or null without a base', () => {
    expect(percentChange(150n, 100n)).toBe(50);
    expect(percentChange(1n, 3n)).toBe(-66.67);
    expect(percentChange(5n, 0n)).toBeNull();
    expect(percentChange(0n, 7n)).toBe(-100);
  });
});
