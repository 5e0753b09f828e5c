/**
 * Text as PostgreSQL will store it. A client may send anything JSON can carry: lone UTF-16
 * surrogates (`"\ud800"`), NUL characters, nesting thousands of levels deep. PostgreSQL's `text`
 * and `jsonb` refuse NUL and ill-formed UTF-16, and a recursive walk of deep JSON overflows the
 * stack, so everything Lamplight records from a request or a response passes through here first:
 * lone surrogates become U+FFFD, NUL is removed, cuts fall on code-point boundaries and say so.
 */

export const TRUNCATION_MARKER = '…[truncated]';

/** What stands in for a value nested deeper than a recording keeps. */
export const DEPTH_MARKER = '…[nested too deep]';

/** How deep recorded JSON may nest; deeper values are replaced by {@link DEPTH_MARKER}. */
const MAX_STORED_DEPTH = 64;

/** The string with lone surrogates replaced by U+FFFD and NUL characters removed. */
export function wellFormed(text: string): string {
  const formed = text.isWellFormed() ? text : text.toWellFormed();
  return formed.includes('\0') ? formed.replaceAll('\0', '') : formed;
}

/** The first `maxUnits` UTF-16 units of `text`, one fewer when the cut would split a surrogate pair. */
export function sliceWhole(text: string, maxUnits: number): string {
  if (text.length <= maxUnits) return text;
  const end = maxUnits > 0 && isHighSurrogate(text.charCodeAt(maxUnits - 1)) ? maxUnits - 1 : maxUnits;
  return text.slice(0, end);
}

/** `wellFormed`, then cut to at most `maxUnits` UTF-16 units on a code-point boundary (for ids and names). */
export function storableId(text: string, maxUnits: number): string {
  return sliceWhole(wellFormed(text), maxUnits);
}

/**
 * Well-formed text of at most `maxBytes` UTF-8 bytes (the marker included): cut on a code-point
 * boundary, ending in {@link TRUNCATION_MARKER} when anything was cut.
 */
export function cutToBytes(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const formed = wellFormed(text);
  // Every UTF-16 unit is at most 3 UTF-8 bytes: short text needs no measuring.
  if (formed.length * 3 <= maxBytes || Buffer.byteLength(formed) <= maxBytes) return { text: formed, truncated: false };
  const room = Math.max(0, maxBytes - Buffer.byteLength(TRUNCATION_MARKER));
  const bytes = Buffer.from(sliceWhole(formed, room), 'utf8');
  let end = Math.min(room, bytes.length);
  // Back up to the first byte of a UTF-8 sequence (continuation bytes are 10xxxxxx).
  if (end < bytes.length) while (end > 0 && (bytes[end] & 0xc0) === 0x80) end -= 1;
  return { text: bytes.toString('utf8', 0, end) + TRUNCATION_MARKER, truncated: true };
}

/**
 * A copy of a JSON value that PostgreSQL's jsonb will take: every string and key well-formed,
 * nothing deeper than `maxDepth` (deeper values become {@link DEPTH_MARKER}). Iterative, so no
 * input depth can overflow the stack. Values JSON cannot carry (functions, undefined) are dropped
 * from objects and become null in arrays, as JSON.stringify would.
 */
export function storableJson(value: unknown, maxDepth = MAX_STORED_DEPTH): { value: unknown; cut: boolean } {
  let cut = false;
  const convert = (input: unknown, depth: number, enqueue: (source: object, target: object) => void): unknown => {
    if (typeof input === 'string') return wellFormed(input);
    if (input === null || typeof input === 'boolean') return input;
    if (typeof input === 'number') return Number.isFinite(input) ? input : null;
    if (typeof input === 'bigint') return input.toString();
    if (typeof input !== 'object') return undefined;
    if (depth >= maxDepth) {
      cut = true;
      return DEPTH_MARKER;
    }
    const target = Array.isArray(input) ? [] : {};
    enqueue(input, target);
    return target;
  };

  const work: { source: object; target: object; depth: number }[] = [];
  const root = convert(value, 0, (source, target) => work.push({ source, target, depth: 1 }));
  while (work.length > 0) {
    const { source, target, depth } = work.pop()!;
    const enqueue = (s: object, t: object) => work.push({ source: s, target: t, depth: depth + 1 });
    if (Array.isArray(source)) {
      const out = target as unknown[];
      for (const item of source) {
        const converted = convert(item, depth, enqueue);
        out.push(converted === undefined ? null : converted);
      }
    } else {
      const out = target as Record<string, unknown>;
      for (const [key, item] of Object.entries(source)) {
        const converted = convert(item, depth, enqueue);
        if (converted !== undefined) out[wellFormed(key)] = converted;
      }
    }
  }
  return { value: root === undefined ? null : root, cut };
}

/**
 * The last line of defence before PostgreSQL, on JSON text made by JSON.stringify: NUL escapes
 * are removed and lone-surrogate escapes become U+FFFD. JSON.stringify writes paired surrogates
 * as characters and only lone ones as `\udXXX` escapes, so every such escape is a lone one. An
 * escape counts only after an even number of backslashes (an odd number escapes the backslash).
 */
export function jsonForPostgres(json: string): string {
  if (!json.includes('\\u0000') && !LONE_SURROGATE_HINT.test(json)) return json;
  return json.replace(ESCAPES_POSTGRES_REFUSES, (_match, backslashes: string, nul: string | undefined) =>
    nul ? backslashes : `${backslashes}\\ufffd`,
  );
}

const LONE_SURROGATE_HINT = /\\ud[89a-f]/i;
const ESCAPES_POSTGRES_REFUSES = /(?<!\\)((?:\\\\)*)\\u(?:(0000)|d[89a-f][0-9a-f]{2})/gi;

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}
