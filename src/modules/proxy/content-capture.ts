import type { ResponseBlock } from './response-tracker';

export const TRUNCATION_MARKER = '…[truncated]';

interface MessageParam {
  role?: unknown;
  content?: unknown;
}

/** The messages of the current turn: everything after the last assistant message. */
export function turnMessages(body: unknown): MessageParam[] {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return [];
  let start = 0;
  messages.forEach((m: MessageParam, i) => {
    if (m?.role === 'assistant') start = i + 1;
  });
  return messages.slice(start);
}

/** The text the user typed in this turn (text blocks of its user messages), or null. */
export function userQueryOf(body: unknown): string | null {
  const texts: string[] = [];
  for (const message of turnMessages(body)) {
    if (message.role !== 'user') continue;
    if (typeof message.content === 'string') texts.push(message.content);
    else if (Array.isArray(message.content)) {
      for (const block of message.content as { type?: unknown; text?: unknown }[]) {
        if (block?.type === 'text' && typeof block.text === 'string') texts.push(block.text);
      }
    }
  }
  return texts.length > 0 ? texts.join('\n') : null;
}

/**
 * Fits content into `maxBytes` of JSON by shortening its longest strings, each cut string
 * ending in a marker, so the structure (roles, block types, tool names) survives.
 */
export function capContent<T>(value: T, maxBytes: number): { value: T; truncated: boolean } {
  const fits = (candidate: unknown) => Buffer.byteLength(JSON.stringify(candidate) ?? '') <= maxBytes;
  if (fits(value)) return { value, truncated: false };
  for (let limit = Math.max(64, Math.floor(maxBytes / 2)); limit >= 16; limit = Math.floor(limit / 2)) {
    const cut = truncateStrings(value, limit) as T;
    if (fits(cut)) return { value: cut, truncated: true };
  }
  return { value: { truncated: TRUNCATION_MARKER } as T, truncated: true };
}

export function capText(text: string | null, maxChars: number): { text: string | null; truncated: boolean } {
  if (text === null || text.length <= maxChars) return { text, truncated: false };
  return { text: text.slice(0, maxChars) + TRUNCATION_MARKER, truncated: true };
}

function truncateStrings(value: unknown, limit: number): unknown {
  if (typeof value === 'string') return value.length > limit ? value.slice(0, limit) + TRUNCATION_MARKER : value;
  if (Array.isArray(value)) return value.map((v) => truncateStrings(v, limit));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, truncateStrings(v, limit)]));
  }
  return value;
}

export interface CapturedContent {
  userQuery: string | null;
  finalOutput: string | null;
  content: { request: MessageParam[]; response: ResponseBlock[] } | null;
  truncated: boolean;
}

/** What an interaction keeps of the conversation, within the size cap; nothing when storing is off. */
export function captureContent(
  body: unknown,
  blocks: ResponseBlock[],
  finalText: string,
  options: { store: boolean; maxBytes: number; textTruncated: boolean },
): CapturedContent {
  if (!options.store) return { userQuery: null, finalOutput: null, content: null, truncated: false };
  const query = capText(userQueryOf(body), options.maxBytes);
  const output = capText(finalText || null, options.maxBytes);
  const content = capContent({ request: turnMessages(body), response: blocks }, options.maxBytes);
  return {
    userQuery: query.text,
    finalOutput: output.text,
    content: content.value,
    truncated: query.truncated || output.truncated || content.truncated || options.textTruncated,
  };
}
