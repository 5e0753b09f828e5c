import type { SessionInteractionDto } from './dto/session-history.dto';

/** The CSV columns, in order: every scalar of an interaction (content blocks are JSONL only). */
export const CSV_COLUMNS = [
  'id',
  'startedAt',
  'endedAt',
  'model',
  'stream',
  'outcome',
  'httpStatus',
  'stopReason',
  'errorType',
  'agentId',
  'inputTokens',
  'outputTokens',
  'cacheReadTokens',
  'cacheWrite5mTokens',
  'cacheWrite1hTokens',
  'totalTokens',
  'costUsd',
  'pricingVersion',
  'latencyMs',
  'timeToFirstTokenMs',
  'upstreamRequestId',
  'userQuery',
  'finalOutput',
  'contentTruncated',
  'contentStatus',
] as const satisfies readonly (keyof SessionInteractionDto)[];

// A spreadsheet runs a cell that starts like a formula; such text cells get a leading apostrophe.
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One RFC 4180 field: quoted when it holds a comma, a quote or a line break, quotes doubled.
 * Text that a spreadsheet would take for a formula is defused with a leading apostrophe.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- whatever a column holds becomes its text, as written
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

export function csvRow(interaction: SessionInteractionDto): string {
  return `${CSV_COLUMNS.map((column) => csvField(interaction[column])).join(',')}\r\n`;
}

/** One JSON Lines record: the interaction with its content (JSON escapes every line break inside strings). */
export function jsonlRow(interaction: SessionInteractionDto & { sessionId: string; content: unknown }): string {
  return `${JSON.stringify(interaction)}\n`;
}
