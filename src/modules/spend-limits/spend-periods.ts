import { TimeZone } from '../analytics/time-zone';

export enum SpendPeriod {
  Daily = 'daily',
  Weekly = 'weekly',
  Monthly = 'monthly',
  /** The lifetime of a session. */
  Session = 'session',
}

/** The window a counter covers: [start, end); a session's lifetime has no end. */
export interface PeriodWindow {
  start: Date;
  end: Date | null;
}

/** A session lifetime's counter is keyed on this fixed start. */
const LIFETIME_START = new Date(0);

/**
 * The period containing `now` in the organization's time zone: local midnight to midnight, the
 * ISO week from Monday, the calendar month. Daylight-saving days are 23 or 25 hours long.
 */
export function periodWindow(period: SpendPeriod, now: Date, zone: TimeZone): PeriodWindow {
  const t = now.getTime();
  switch (period) {
    case SpendPeriod.Daily:
      return { start: new Date(zone.startOfDay(t)), end: new Date(zone.addDays(t, 1)) };
    case SpendPeriod.Weekly: {
      const start = zone.startOfWeek(t);
      return { start: new Date(start), end: new Date(zone.addDays(start, 7)) };
    }
    case SpendPeriod.Monthly:
      return { start: new Date(zone.startOfMonth(t)), end: new Date(zone.addMonths(t, 1)) };
    case SpendPeriod.Session:
      return { start: LIFETIME_START, end: null };
  }
}

/** Whole seconds until the window ends (at least 1), or null for a session's lifetime. */
export function secondsUntil(window: PeriodWindow, now: Date): number | null {
  if (window.end === null) return null;
  return Math.max(1, Math.ceil((window.end.getTime() - now.getTime()) / 1000));
}

/**
 * `periodWindow`, remembered per time zone and period for as long as `now` stays inside the
 * window: the calendar arithmetic goes through Intl and costs about 0.1 ms a window, more than
 * the rest of an admission from a lease.
 */
export class PeriodWindows {
  private readonly known = new Map<string, PeriodWindow>();

  constructor(private readonly maxEntries = 1_000) {}

  window(period: SpendPeriod, now: Date, zone: TimeZone): PeriodWindow {
    if (period === SpendPeriod.Session) return periodWindow(period, now, zone);
    const key = `${zone.name}\u0000${period}`;
    const t = now.getTime();
    const known = this.known.get(key);
    if (known?.end && t >= known.start.getTime() && t < known.end.getTime()) return known;
    const fresh = periodWindow(period, now, zone);
    if (this.known.size >= this.maxEntries) this.known.clear();
    this.known.set(key, fresh);
    return fresh;
  }
}
