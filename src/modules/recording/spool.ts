import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { InteractionRecord } from './interaction-record';

/**
 * An append-only local file of batches the database would not take. Replay moves the file
 * aside, writes its records (idempotent on interaction id, so a crash mid-replay repeats
 * nothing), and deletes it only once every batch is stored.
 */
export class Spool {
  private readonly file: string;
  private readonly replaying: string;

  constructor(private readonly directory: string) {
    this.file = join(directory, 'interactions.spool.jsonl');
    this.replaying = join(directory, 'interactions.replaying.jsonl');
  }

  /** Appends and fsyncs: once this resolves, the records survive a crash. */
  async append(records: InteractionRecord[]): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const handle = await open(this.file, 'a');
    try {
      await handle.appendFile(`${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async hasPending(): Promise<boolean> {
    return (await sizeOf(this.file)) > 0 || (await sizeOf(this.replaying)) > 0;
  }

  /** Replays pending records through `write` in batches; returns how many records were replayed. */
  async replay(write: (records: InteractionRecord[]) => Promise<unknown>, batchSize: number): Promise<number> {
    if ((await sizeOf(this.replaying)) === 0) {
      if ((await sizeOf(this.file)) === 0) return 0;
      await rename(this.file, this.replaying);
    }
    const lines = (await readFile(this.replaying, 'utf8')).split('\n').filter((line) => line.trim().length > 0);
    const records: InteractionRecord[] = [];
    for (const line of lines) {
      try {
        records.push(JSON.parse(line) as InteractionRecord);
      } catch {
        // A torn last line from a crash mid-append: the batch it belonged to was never acknowledged.
      }
    }
    for (let i = 0; i < records.length; i += batchSize) await write(records.slice(i, i + batchSize));
    await rm(this.replaying, { force: true });
    return records.length;
  }
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}
