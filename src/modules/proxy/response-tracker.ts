import { StringDecoder } from 'node:string_decoder';
import { sliceWhole } from '../../common/text/storable-text';
import type { TokenUsage } from './pricing/pricing';
import { type AnthropicUsage, mergeRawUsage, mergeUsage, type RawUsage, ZERO_USAGE } from './anthropic-usage';

/** A response content block as reassembled from the stream (or read from a JSON response). */
export interface ResponseBlock {
  type: string;
  text?: string;
  thinking?: string;
  id?: string;
  name?: string;
  input?: unknown;
  /** Tool input while it is still arriving as partial JSON. */
  partialJson?: string;
}

/** Upstream JSON as parsed: any field may hold anything, so each read states what it expects. */
type UpstreamJson = Record<string, unknown>;

/**
 * Reads what a Messages response says about itself while its bytes pass through untouched:
 * for SSE, frame by frame (usage from message_start and message_delta, blocks from the
 * content_block events, stop reason, an error event); for JSON, once it is complete.
 * Text kept for content capture is bounded by `maxTextChars`.
 */
export class ResponseTracker {
  usage: TokenUsage = { ...ZERO_USAGE };
  /** The usage object as Anthropic sent it; for a stream, message_start's with message_delta's laid over it. */
  rawUsage: RawUsage | null = null;
  model: string | null = null;
  messageId: string | null = null;
  stopReason: string | null = null;
  /** The `error.type` of an SSE error event, or of a JSON error body. */
  errorType: string | null = null;
  completed = false;
  framesSeen = 0;
  blocks: ResponseBlock[] = [];
  textTruncated = false;

  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private json: Buffer[] = [];
  private jsonBytes = 0;

  constructor(
    public streaming: boolean,
    private readonly maxTextChars: number,
    private readonly maxJsonBytes = 64 * 1024 * 1024,
  ) {}

  /**
   * Reads the answer as what it turned out to be, before its first byte: a request for a stream
   * can be answered with JSON (an error, say), whose error type is then read from the JSON body.
   */
  answeredAs(streaming: boolean): void {
    this.streaming = streaming;
  }

  push(chunk: Buffer): void {
    if (!this.streaming) {
      if (this.jsonBytes + chunk.length <= this.maxJsonBytes) this.json.push(chunk);
      this.jsonBytes += chunk.length;
      return;
    }
    this.pending += this.decoder.write(chunk);
    let boundary = this.nextBoundary();
    while (boundary) {
      const frame = this.pending.slice(0, boundary.index);
      this.pending = this.pending.slice(boundary.index + boundary.length);
      this.onFrame(frame);
      boundary = this.nextBoundary();
    }
  }

  /** Call once the body has ended: parses a JSON response. */
  end(): void {
    if (this.streaming) {
      this.pending += this.decoder.end();
      if (this.pending.trim()) this.onFrame(this.pending);
      this.pending = '';
      return;
    }
    if (this.jsonBytes > this.maxJsonBytes) return;
    try {
      this.onMessage(JSON.parse(Buffer.concat(this.json).toString('utf8')) as UpstreamJson);
    } catch {
      // Not JSON: nothing to learn from it.
    }
    this.json = [];
  }

  /** The text of the response's text blocks, joined. */
  finalText(): string {
    return this.blocks
      .filter((b) => b.type === 'text' && b.text)
      .map((b) => b.text)
      .join('');
  }

  private nextBoundary(): { index: number; length: number } | null {
    const lf = this.pending.indexOf('\n\n');
    const crlf = this.pending.indexOf('\r\n\r\n');
    if (lf === -1 && crlf === -1) return null;
    if (crlf !== -1 && (lf === -1 || crlf < lf)) return { index: crlf, length: 4 };
    return { index: lf, length: 2 };
  }

  private onFrame(frame: string): void {
    let event = '';
    const data: string[] = [];
    for (const line of frame.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length === 0) return;
    this.framesSeen += 1;
    let payload: UpstreamJson;
    try {
      payload = JSON.parse(data.join('\n')) as UpstreamJson;
    } catch {
      return;
    }
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- an upstream JSON value of any type, made text as it comes
    this.onEvent(event || String(payload.type ?? ''), payload);
  }

  private onEvent(type: string, event: UpstreamJson): void {
    switch (type) {
      case 'message_start': {
        const message = (event.message ?? {}) as UpstreamJson;
        this.messageId = typeof message.id === 'string' ? message.id : this.messageId;
        this.model = typeof message.model === 'string' ? message.model : this.model;
        this.usage = mergeUsage(this.usage, message.usage as AnthropicUsage);
        this.rawUsage = mergeRawUsage(this.rawUsage, message.usage);
        break;
      }
      case 'content_block_start': {
        const block = { ...(event.content_block ?? {}) } as ResponseBlock;
        if (block.type === 'tool_use' || block.type === 'server_tool_use') {
          block.partialJson = '';
          if (block.input && typeof block.input === 'object' && Object.keys(block.input).length === 0)
            delete block.input;
        }
        this.blocks[Number(event.index) || 0] = block;
        break;
      }
      case 'content_block_delta': {
        const block = this.blocks[Number(event.index) || 0];
        const delta = (event.delta ?? {}) as UpstreamJson;
        if (!block) break;
        if (delta.type === 'text_delta') block.text = this.appendBounded(block.text, delta.text);
        else if (delta.type === 'thinking_delta') block.thinking = this.appendBounded(block.thinking, delta.thinking);
        else if (delta.type === 'input_json_delta')
          block.partialJson = this.appendBounded(block.partialJson, delta.partial_json);
        break;
      }
      case 'content_block_stop': {
        const block = this.blocks[Number(event.index) || 0];
        if (block?.partialJson !== undefined) {
          try {
            block.input = block.partialJson ? (JSON.parse(block.partialJson) as unknown) : {};
          } catch {
            block.input = block.partialJson;
          }
          delete block.partialJson;
        }
        break;
      }
      case 'message_delta':
        this.stopReason =
          ((event.delta as UpstreamJson | undefined)?.stop_reason as string | null | undefined) ?? this.stopReason;
        this.usage = mergeUsage(this.usage, event.usage as AnthropicUsage);
        this.rawUsage = mergeRawUsage(this.rawUsage, event.usage);
        break;
      case 'message_stop':
        this.completed = true;
        break;
      case 'error':
        this.errorType = ((event.error as UpstreamJson | undefined)?.type as string | null | undefined) ?? 'api_error';
        break;
      default:
        break;
    }
  }

  private onMessage(body: UpstreamJson): void {
    if (body?.type === 'error') {
      this.errorType = ((body.error as UpstreamJson | undefined)?.type as string | null | undefined) ?? 'api_error';
      return;
    }
    this.messageId = typeof body.id === 'string' ? body.id : null;
    this.model = typeof body.model === 'string' ? body.model : null;
    this.stopReason = (body.stop_reason as string | null | undefined) ?? null;
    this.usage = mergeUsage(this.usage, body.usage as AnthropicUsage);
    this.rawUsage = mergeRawUsage(this.rawUsage, body.usage);
    if (Array.isArray(body.content)) {
      this.blocks = (body.content as ResponseBlock[]).map((block) => {
        const copy = { ...block };
        if (typeof copy.text === 'string') copy.text = this.appendBounded('', copy.text);
        return copy;
      });
    }
    this.completed = true;
  }

  private appendBounded(current: string | undefined, addition: unknown): string {
    const text = current ?? '';
    if (typeof addition !== 'string') return text;
    if (text.length >= this.maxTextChars) {
      this.textTruncated = true;
      return text;
    }
    const room = this.maxTextChars - text.length;
    if (addition.length > room) this.textTruncated = true;
    return text + sliceWhole(addition, room);
  }
}
