import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { InteractionRecord } from './interaction-record';

/**
 * Interactions the database refused for what they hold (not for being unreachable), kept as JSON
 * lines in DATA_DIR/dead-letter/interactions.jsonl with the reason: the SQLSTATE and PostgreSQL's
 * message, never its detail (which can quote the data). Each is also stored without its content,
 * so its usage and cost still count; the file keeps what was sent for a person to look at.
 */
export class DeadLetters {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'dead-letter', 'interactions.jsonl');
  }

  /** Appends one record; false when the file cannot be written (the caller counts it). */
  add(record: InteractionRecord, error: unknown): boolean {
    const { code, message } = reasonOf(error);
    const at = new Date().toISOString();
    try {
      let line: string;
      try {
        line = JSON.stringify({ at, code, reason: message, record });
      } catch {
        // What JSON cannot carry (the reason it was refused, then) is left out; the rest is kept.
        line = JSON.stringify({ at, code, reason: message, record: { ...record, content: '[not JSON-serialisable]' } });
      }
      mkdirSync(join(this.file, '..'), { recursive: true });
      appendFileSync(this.file, `${line}\n`);
      return true;
    } catch {
      return false;
    }
  }
}

export function reasonOf(error: unknown): { code: string; message: string } {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown',
    message: message.slice(0, 500),
  };
}
