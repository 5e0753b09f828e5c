// The period the overview shows, as whole hours, and where its buckets start in the
// organization's time zone (what the analytics API does with `tz`): every hour, or the period's
// start and every local midnight after it.

const HOUR_MS = 3_600_000;

export const RANGES = {
  '24h': { label: 'Last 24 hours', hours: 24, granularity: 'hour' },
  '7d': { label: 'Last 7 days', hours: 24 * 7, granularity: 'day' },
  '30d': { label: 'Last 30 days', hours: 24 * 30, granularity: 'day' },
} as const;
export type RangeKey = keyof typeof RANGES;

export interface Period {
  start: number;
  end: number;
  granularity: 'hour' | 'day';
  /** The zone the day buckets follow. */
  timeZone: string;
  /** Every bucket's start (ms since the epoch), so empty hours or days show as zero. */
  buckets: number[];
}

function isLocalMidnight(at: number, format: Intl.DateTimeFormat): boolean {
  const parts = format.formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value;
  return Number(part('hour')) === 0 && Number(part('minute')) === 0;
}

/**
 * The period ending with the current hour. A zone whose midnight is not on a whole UTC hour
 * cannot be served from hourly rollups: its days are UTC days instead (the footnote says which).
 */
export function periodOf(rangeKey: RangeKey, zone: string, now = Date.now()): Period {
  const range = RANGES[rangeKey];
  const end = Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS;
  let start = end - range.hours * HOUR_MS;
  if (range.granularity === 'hour') {
    const buckets = Array.from({ length: range.hours }, (_, i) => start + i * HOUR_MS);
    return { start, end, granularity: 'hour', timeZone: zone, buckets };
  }
  let timeZone = zone;
  let format = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', minute: 'numeric', hourCycle: 'h23' });
  const midnight = Array.from({ length: 24 }, (_, i) => start - i * HOUR_MS).find((at) => isLocalMidnight(at, format));
  if (midnight === undefined) {
    timeZone = 'UTC';
    format = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', minute: 'numeric', hourCycle: 'h23' });
    start = Math.floor(start / (24 * HOUR_MS)) * 24 * HOUR_MS;
  } else start = midnight;
  const buckets = [start];
  for (let at = start + HOUR_MS; at < end; at += HOUR_MS) if (isLocalMidnight(at, format)) buckets.push(at);
  return { start, end, granularity: 'day', timeZone, buckets };
}

/** The query every series request of the period carries. */
export function periodQuery(period: Period) {
  return {
    start: new Date(period.start).toISOString(),
    end: new Date(period.end).toISOString(),
    granularity: period.granularity,
    tz: period.timeZone,
  };
}

/**
 * One line per key: each bucket's value from the API's series (`bucket_start` per bucket), zero
 * where a bucket has no row (or null, with `gaps`, where nothing was measured).
 */
export function linesOf<Row extends { bucket_start: string }>(
  period: Period,
  rows: Row[],
  lines: Array<{ label: string; value: (row: Row) => number | null | undefined }>,
  gaps = false,
): Array<{ label: string; values: Array<number | null> }> {
  const byStart = new Map(rows.map((row) => [Date.parse(row.bucket_start), row]));
  return lines.map((line) => ({
    label: line.label,
    values: period.buckets.map((at) => {
      const row = byStart.get(at);
      const value = row ? line.value(row) : undefined;
      return value ?? (gaps ? null : 0);
    }),
  }));
}
