/** Local calendar fields of an instant in a zone; `weekday` is ISO (1 = Monday … 7 = Sunday). */
export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/** IANA names only ("Europe/Paris", "UTC", "Etc/GMT-5"); bare offsets such as "+05:30" are not zones. */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/**
 * Calendar arithmetic in one IANA time zone, from the runtime's own zone data (Intl), so periods
 * such as "today" or "this week" are computed without a second source of zone rules.
 */
export class TimeZone {
  private readonly formatter: Intl.DateTimeFormat;

  private constructor(readonly name: string) {
    this.formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
  }

  static readonly UTC = new TimeZone('UTC');

  /** The zone by its IANA name, or null when it is not one. */
  static of(name: string): TimeZone | null {
    if (name.length > 64 || !ZONE_NAME.test(name)) return null;
    try {
      const canonical = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
      if (canonical === 'UTC') return TimeZone.UTC;
      // Keep the caller's name (ICU would turn Asia/Kolkata into Asia/Calcutta), in its proper case.
      return new TimeZone(canonical.toLowerCase() === name.toLowerCase() ? canonical : name);
    } catch {
      return null;
    }
  }

  parts(instant: number): LocalParts {
    const out: Record<string, string> = {};
    for (const part of this.formatter.formatToParts(new Date(instant))) out[part.type] = part.value;
    return {
      year: Number(out.year),
      month: Number(out.month),
      day: Number(out.day),
      hour: Number(out.hour),
      minute: Number(out.minute),
      second: Number(out.second),
      weekday: WEEKDAYS[out.weekday] ?? 0,
    };
  }

  /** The zone's offset from UTC at an instant, in milliseconds (local = UTC + offset). */
  offsetMs(instant: number): number {
    const whole = Math.floor(instant / 1000) * 1000;
    const p = this.parts(whole);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - whole;
  }

  /**
   * The first instant of a local calendar day. Where midnight does not exist (a daylight-saving
   * jump at midnight) the day starts at the jump; where it occurs twice, at the first one.
   */
  startOfLocalDate(year: number, month: number, day: number): number {
    const naive = Date.UTC(year, month - 1, day);
    const offsets = new Set([this.offsetMs(naive - DAY_MS), this.offsetMs(naive), this.offsetMs(naive + DAY_MS)]);
    const candidates = [...offsets].map((offset) => naive - offset);
    const valid = candidates.filter((t) => naive - this.offsetMs(t) === t);
    return valid.length > 0 ? Math.min(...valid) : Math.max(...candidates);
  }

  startOfDay(instant: number): number {
    const p = this.parts(instant);
    return this.startOfLocalDate(p.year, p.month, p.day);
  }

  /** The start of the local day `days` calendar days after the one containing `instant`. */
  addDays(instant: number, days: number): number {
    const p = this.parts(instant);
    const d = new Date(Date.UTC(p.year, p.month - 1, p.day + days));
    return this.startOfLocalDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
  }

  /** The Monday that starts the ISO week containing `instant`. */
  startOfWeek(instant: number): number {
    return this.addDays(instant, 1 - this.parts(instant).weekday);
  }

  startOfMonth(instant: number): number {
    const p = this.parts(instant);
    return this.startOfLocalDate(p.year, p.month, 1);
  }

  /** The start of the local month `months` after the one containing `instant`. */
  addMonths(instant: number, months: number): number {
    const p = this.parts(instant);
    const d = new Date(Date.UTC(p.year, p.month - 1 + months, 1));
    return this.startOfLocalDate(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }

  /** "+05:30"-style offset at an instant, for messages. */
  formatOffset(instant: number): string {
    const minutes = Math.round(this.offsetMs(instant) / 60_000);
    const sign = minutes < 0 ? '-' : '+';
    const abs = Math.abs(minutes);
    return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  }
}

export function floorToHour(instant: number): number {
  return Math.floor(instant / HOUR_MS) * HOUR_MS;
}

export function ceilToHour(instant: number): number {
  return Math.ceil(instant / HOUR_MS) * HOUR_MS;
}

export function isWholeHour(instant: number): boolean {
  return instant % HOUR_MS === 0;
}
