/**
 * The sessions list is ordered by (createdAt, id), newest first. A cursor names the last session
 * of a page by both, with createdAt to the microsecond as PostgreSQL keeps it (a JavaScript Date
 * would round it to the millisecond and skip rows), so sessions sharing a creation time are
 * neither skipped nor repeated. It is opaque to clients: base64url of a versioned string.
 */
export interface SessionCursor {
  /** RFC 3339 in UTC with six fractional digits, e.g. 2026-01-02T03:04:05.123456Z. */
  createdAt: string;
  id: string;
}

/** Where a page starts: strictly before a cursor, or strictly before a plain timestamp. */
export type PageStart = { kind: 'cursor'; cursor: SessionCursor } | { kind: 'timestamp'; before: string };

/**
 * A cursor of the list sorted by cost or tokens (highest first): the last session's value (an
 * integer, nano-USD or tokens) and id. It names its order, so it is refused under another one.
 */
export interface SortedCursor {
  sort: 'cost' | 'tokens';
  value: string;
  id: string;
}

const SORTED_VERSION = 's1';
const INTEGER = /^(0|-?[1-9]\d{0,18})$/;

export function encodeSortedCursor(cursor: SortedCursor): string {
  return Buffer.from(`${SORTED_VERSION}|${cursor.sort}|${cursor.value}|${cursor.id}`, 'utf8').toString('base64url');
}

/** A sorted cursor for this order, or null when the value is anything else (another order's cursor included). */
export function decodeSortedCursor(value: string, sort: 'cost' | 'tokens'): SortedCursor | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(value)) return null;
  const [version, named, amount, id, ...rest] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  if (version !== SORTED_VERSION || named !== sort || rest.length > 0 || !UUID.test(id ?? '')) return null;
  if (!INTEGER.test(amount ?? '')) return null;
  const big = BigInt(amount);
  if (big > 9_223_372_036_854_775_807n || big < -9_223_372_036_854_775_807n) return null;
  return { sort, value: amount, id };
}

const VERSION = 'v1';
const MICROSECOND_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

/** An RFC 3339 date-time that names a real instant (no February 30th, no hour 24), as PostgreSQL will accept it. */
export function isRfc3339(value: unknown): value is string {
  const match = typeof value === 'string' ? RFC3339.exec(value) : null;
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offsetOk = match[9] === undefined || (Number(match[9]) < 24 && Number(match[10]) < 60);
  return (
    year >= 1 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    offsetOk
  );
}

export function encodeCursor(cursor: SessionCursor): string {
  return Buffer.from(`${VERSION}|${cursor.createdAt}|${cursor.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(value: string): SessionCursor | null {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) return null;
  const [version, createdAt, id, ...rest] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  if (version !== VERSION || rest.length > 0 || !UUID.test(id ?? '')) return null;
  if (!MICROSECOND_UTC.test(createdAt ?? '') || !isRfc3339(createdAt)) return null;
  return { createdAt, id };
}

/** A `before` parameter: a plain RFC 3339 timestamp (as the session list takes it), or else a cursor; null when it is neither. */
export function parseBefore(value: string): PageStart | null {
  if (isRfc3339(value)) return { kind: 'timestamp', before: value };
  const cursor = decodeCursor(value);
  return cursor ? { kind: 'cursor', cursor } : null;
}
