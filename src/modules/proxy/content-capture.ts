import { personalText } from '../../common/text/personal-text';
import { cutToBytes, storableJson, TRUNCATION_MARKER } from '../../common/text/storable-text';
import { ContentStatus } from '../recording/interaction.entity';
import type { ResponseBlock } from './response-tracker';

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
  return messages.slice(start) as MessageParam[];
}

/**
 * The text the person typed in this turn: the text blocks of its user messages, without what a
 * coding agent injected there (see personalText), or null. Tool results are not the person's text.
 */
export function userQueryOf(body: unknown): string | null {
  const texts: string[] = [];
  for (const message of turnMessages(body)) {
    if (message?.role !== 'user') continue;
    const blocks =
      typeof message.content === 'string'
        ? [{ type: 'text', text: message.content }]
        : Array.isArray(message.content)
          ? message.content
          : [];
    for (const block of blocks as { type?: unknown; text?: unknown }[]) {
      if (block?.type !== 'text' || typeof block.text !== 'string') continue;
      const text = personalText(block.text);
      if (text) texts.push(text);
    }
  }
  return texts.length > 0 ? texts.join('\n') : null;
}

/**
 * Fits content into `maxBytes` of JSON by shortening its longest strings, each cut string
 * ending in a marker, so the structure (roles, block types, tool names) survives. The value is
 * made storable first (well-formed text, bounded depth), so measuring it can never overflow.
 */
export function capContent(value: unknown, maxBytes: number): { value: unknown; truncated: boolean } {
  const storable = storableJson(value);
  const fits = (candidate: unknown) => Buffer.byteLength(JSON.stringify(candidate) ?? '') <= maxBytes;
  if (fits(storable.value)) return { value: storable.value, truncated: storable.cut };
  for (let limit = Math.max(64, Math.floor(maxBytes / 2)); limit >= 16; limit = Math.floor(limit / 2)) {
    const cut = truncateStrings(storable.value, limit);
    if (fits(cut)) return { value: cut, truncated: true };
  }
  return { value: { truncated: TRUNCATION_MARKER }, truncated: true };
}

/** At most `maxBytes` of UTF-8, cut on a code-point boundary with a marker. */
export function capText(text: string | null, maxBytes: number): { text: string | null; truncated: boolean } {
  if (text === null) return { text, truncated: false };
  return cutToBytes(text, maxBytes);
}

/** Strings longer than `limit` bytes cut (with the marker); `value` is storable, so at most 64 deep. */
function truncateStrings(value: unknown, limit: number): unknown {
  if (typeof value === 'string') return cutToBytes(value, limit).text;
  if (Array.isArray(value)) return value.map((v) => truncateStrings(v, limit));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, truncateStrings(v, limit)]));
  }
  return value;
}

export interface CapturedContent {
  userQuery: string | null;
  finalOutput: string | null;
  content: { request: unknown; response: unknown } | null;
  truncated: boolean;
  status: ContentStatus;
}

/** What is recorded when content is not kept: by the organization's choice, or because capturing it failed. */
export function noContent(status: ContentStatus.NotStored | ContentStatus.CaptureFailed): CapturedContent {
  return { userQuery: null, finalOutput: null, content: null, truncated: false, status };
}

/** What an interaction keeps of the conversation, within the size cap; nothing when storing is off. */
export function captureContent(
  body: unknown,
  blocks: ResponseBlock[],
  finalText: string,
  options: { store: boolean; maxBytes: number; textTruncated: boolean },
): CapturedContent {
  if (!options.store) return noContent(ContentStatus.NotStored);
  const query = capText(userQueryOf(body), options.maxBytes);
  const output = capText(finalText || null, options.maxBytes);
  const content = capContent({ request: turnMessages(body), response: blocks }, options.maxBytes);
  const truncated = query.truncated || output.truncated || content.truncated || options.textTruncated;
  return {
    userQuery: query.text,
    finalOutput: output.text,
    content: content.value as CapturedContent['content'],
    truncated,
    status: truncated ? ContentStatus.Truncated : ContentStatus.Complete,
  };
}
