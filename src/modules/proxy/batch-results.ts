import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';

/** Splits a JSON Lines stream into parsed lines as its bytes pass by; never holds more than one line. */
export class JsonLines {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(
    private readonly onLine: (value: unknown) => void,
    /** A line longer than this is skipped (its result is not recorded), never buffered without end. */
    private readonly maxLineChars = 64 * 1024 * 1024,
  ) {}

  push(chunk: Buffer): void {
    this.pending += this.decoder.write(chunk);
    let newline = this.pending.indexOf('\n');
    while (newline !== -1) {
      this.line(this.pending.slice(0, newline));
      this.pending = this.pending.slice(newline + 1);
      newline = this.pending.indexOf('\n');
    }
    if (this.pending.length > this.maxLineChars) this.pending = '';
  }

  end(): void {
    this.pending += this.decoder.end();
    this.line(this.pending);
    this.pending = '';
  }

  private line(text: string): void {
    if (!text.trim()) return;
    try {
      this.onLine(JSON.parse(text));
    } catch {
      // Not a result line: nothing to record.
    }
  }
}

/**
 * The interaction id of a batch result: the same however often the results are read, so the
 * recorder (idempotent on the id) stores each result once.
 */
export function batchResultInteractionId(batchId: string, customId: string): string {
  const hex = createHash('sha256').update(`lamplight batch result\0${batchId}\0${customId}`).digest('hex');
  // A UUID of version 8 (custom), variant 10.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
