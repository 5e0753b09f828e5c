import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import type { InteractionRecord } from './interaction-record';

/**
 * When an answered call's journal line reaches the disk itself (not only the operating system):
 * `always` before the answer's last bytes are sent (a group of calls shares one fdatasync);
 * `interval` every JOURNAL_SYNC_INTERVAL_MS. Either way the line is written before the last bytes,
 * so a killed process loses nothing; `interval` can lose that interval's calls to a machine loss.
 */
export type JournalSync = 'always' | 'interval';

/** One record on its way: which segment holds it, and whether it is stored in the database yet. */
export interface JournalEntry {
  record: InteractionRecord;
  /** The segment its line was written to; unset until written. */
  segment?: Segment;
  /** The journal could not take it: it exists in memory only. */
  unjournaled?: boolean;
  /** Stored in the database (or dead-lettered): its segment need not keep it. */
  settled?: boolean;
  /** Dropped from memory: only its segment holds it, and that segment must be replayed from disk. */
  evicted?: boolean;
}

/** One file of the journal: appended to while current, deleted once every record in it is stored. */
export class Segment {
  written = 0;
  settled = 0;
  bytes = 0;
  closed = false;
  /** Some of its records are held only here: replay the file before deleting it. */
  replayFromDisk = false;
  removed = false;

  constructor(
    readonly path: string,
    readonly fd: number,
  ) {}
}

export interface JournalOptions {
  sync: JournalSync;
  syncIntervalMs: number;
  /** A segment is closed and a new one started past this size. */
  segmentBytes: number;
  /** A file of another instance not touched for this long is taken over (its instance is gone). */
  staleAfterMs: number;
}

const SEPARATOR = '~';
const CLAIMED = 'claimed';

/**
 * An append-only journal of answered calls under DATA_DIR/journal, written before each answer's
 * last bytes leave, so a call a client saw answered survives a kill of the process. Lines are
 * written in groups (everything appended in one turn of the event loop goes in one write), in
 * segments named after the instance (`<host>~<pid>~<nonce>~<seq>.jsonl`). A segment is deleted
 * once all its records are in PostgreSQL; the segments of an instance that died are taken over by
 * the next one to start on this data directory (at once on the same host when its process is gone,
 * or once they are stale) and replayed, idempotent on the interaction id.
 */
export class Journal {
  readonly directory: string;
  private readonly tag: string;
  private readonly host = encodeURIComponent(hostname());
  private current: Segment | undefined;
  private readonly open = new Set<Segment>();
  private sequence = 0;
  private pending: { entry: JournalEntry; line: string; done: (written: boolean) => void }[] = [];
  private scheduled = false;
  private dirty = false;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly dataDir: string,
    private readonly options: JournalOptions,
    private readonly onError: (error: unknown) => void,
  ) {
    this.directory = join(dataDir, 'journal');
    this.tag = [this.host, process.pid, randomBytes(6).toString('hex')].join(SEPARATOR);
  }

  start(): void {
    if (this.options.sync === 'interval') this.every(this.options.syncIntervalMs, () => this.syncCurrent());
    // Live segments are touched so that other instances on a shared directory never take them over.
    this.every(Math.max(500, Math.floor(this.options.staleAfterMs / 4)), () => this.heartbeat());
  }

  /** Resolves true once the record's line is written (and synced, with `always`); false if the journal could not take it. */
  append(entry: JournalEntry): Promise<boolean> {
    let line: string;
    try {
      line = `${JSON.stringify(entry.record)}\n`;
    } catch (error) {
      entry.unjournaled = true;
      this.onError(error);
      return Promise.resolve(false);
    }
    return new Promise((done) => {
      this.pending.push({ entry, line, done });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.writePending());
      }
    });
  }

  /** The entry is stored in the database: its segment may go once all of its entries are. */
  settle(entry: JournalEntry): void {
    entry.settled = true;
    const segment = entry.segment;
    if (!segment) return;
    segment.settled += 1;
    this.removeIfDone(segment);
  }

  /** The entry leaves memory: its segment must be read back from disk before it is deleted. */
  evict(entry: JournalEntry): boolean {
    if (entry.unjournaled) return false;
    entry.evicted = true;
    if (entry.segment) entry.segment.replayFromDisk = true;
    return true;
  }

  /** Closed segments holding evicted records; the current one is closed first if it holds some. */
  segmentsToReplay(): Segment[] {
    if (this.current?.replayFromDisk) this.rotate();
    return [...this.open].filter((segment) => segment.closed && segment.replayFromDisk && !segment.removed);
  }

  /** A replayed segment: every record in it is stored. */
  replayed(segment: Segment): void {
    segment.replayFromDisk = false;
    segment.settled = segment.written;
    this.removeIfDone(segment);
  }

  /**
   * Files of instances that are gone (this host, process no longer running), or not touched for
   * `staleAfterMs`, renamed to this instance's claim (a rename succeeds for one claimant only).
   * Also the spool files of earlier versions. Returns every file this instance holds to replay:
   * claimed now, or claimed earlier and not stored yet (the database was away meanwhile).
   */
  claimOrphans(): string[] {
    this.claimLegacySpool();
    if (!existsSync(this.directory)) return [];
    const mine = `${CLAIMED}${SEPARATOR}${this.tag}${SEPARATOR}`;
    const claimed: string[] = [];
    for (const name of readdirSync(this.directory)) {
      if (!name.endsWith('.jsonl')) continue;
      const path = join(this.directory, name);
      if (name.startsWith(mine)) {
        claimed.push(path);
        continue;
      }
      if (!this.isOrphan(name, path)) continue;
      const target = join(this.directory, [CLAIMED, this.tag, stripClaim(name)].join(SEPARATOR));
      try {
        renameSync(path, target);
        claimed.push(target);
      } catch {
        // Claimed by another instance first, or gone.
      }
    }
    return claimed;
  }

  /** The spool files of versions before the journal (their records were never stored), claimed as journal files. */
  private claimLegacySpool(): void {
    for (const name of ['interactions.replaying.jsonl', 'interactions.spool.jsonl']) {
      const path = join(this.dataDir, 'spool', name);
      if (!existsSync(path)) continue;
      mkdirSync(this.directory, { recursive: true });
      try {
        renameSync(path, join(this.directory, [CLAIMED, this.tag, `legacy-${name}`].join(SEPARATOR)));
      } catch {
        // Taken by another instance.
      }
    }
  }

  /** The records of a claimed file; a torn last line (a crash mid-write) was never acknowledged. */
  static read(path: string): InteractionRecord[] {
    const records: InteractionRecord[] = [];
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        records.push(JSON.parse(line) as InteractionRecord);
      } catch {
        // A torn line.
      }
    }
    return records;
  }

  static remove(path: string): void {
    rmSync(path, { force: true });
  }

  /** Records written but not yet stored, across this instance's segments. */
  get unsettled(): number {
    let count = 0;
    for (const segment of this.open) count += segment.written - segment.settled;
    return count;
  }

  /** Writes what is pending and syncs; files with unstored records stay for the next start. */
  close(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.writePending();
    for (const segment of [...this.open]) {
      try {
        if (!segment.closed) fdatasyncSync(segment.fd);
      } catch {
        // Nothing more can be done for it here; the lines were written.
      }
      this.closeSegment(segment);
      this.removeIfDone(segment);
    }
    this.current = undefined;
  }

  private writePending(): void {
    this.scheduled = false;
    const group = this.pending;
    this.pending = [];
    if (group.length === 0) return;
    let segment: Segment;
    try {
      segment = this.segmentForWrite();
      const buffer = Buffer.from(group.map((p) => p.line).join(''), 'utf8');
      let offset = 0;
      while (offset < buffer.length) offset += writeSync(segment.fd, buffer, offset);
      segment.bytes += buffer.length;
      segment.written += group.length;
      this.dirty = true;
    } catch (error) {
      this.onError(error);
      for (const { entry, done } of group) {
        entry.unjournaled = true;
        done(false);
      }
      return;
    }
    for (const { entry } of group) {
      entry.segment = segment;
      if (entry.settled) segment.settled += 1;
      if (entry.evicted) segment.replayFromDisk = true;
    }
    if (this.options.sync === 'always') {
      fdatasync(segment.fd, (error) => {
        if (error) this.onError(error);
        for (const { done } of group) done(true);
      });
    } else {
      for (const { done } of group) done(true);
    }
    if (segment.bytes >= this.options.segmentBytes) this.rotate();
    this.removeIfDone(segment);
  }

  private segmentForWrite(): Segment {
    if (this.current) return this.current;
    mkdirSync(this.directory, { recursive: true });
    this.sequence += 1;
    const path = join(this.directory, `${[this.tag, String(this.sequence).padStart(6, '0')].join(SEPARATOR)}.jsonl`);
    const segment = new Segment(path, openSync(path, 'a'));
    this.open.add(segment);
    this.current = segment;
    return segment;
  }

  private rotate(): void {
    const segment = this.current;
    if (!segment) return;
    this.current = undefined;
    try {
      fdatasyncSync(segment.fd);
    } catch (error) {
      this.onError(error);
    }
    this.closeSegment(segment);
    this.removeIfDone(segment);
  }

  private closeSegment(segment: Segment): void {
    if (segment.closed) return;
    segment.closed = true;
    try {
      closeSync(segment.fd);
    } catch {
      // Already closed.
    }
  }

  private removeIfDone(segment: Segment): void {
    if (segment.removed || !segment.closed || segment.replayFromDisk || segment.settled < segment.written) return;
    segment.removed = true;
    this.open.delete(segment);
    rmSync(segment.path, { force: true });
  }

  private syncCurrent(): void {
    const segment = this.current;
    if (!segment || !this.dirty) return;
    this.dirty = false;
    fdatasync(segment.fd, (error) => {
      if (error && !segment.closed) this.onError(error);
    });
  }

  private heartbeat(): void {
    const now = new Date();
    for (const segment of this.open) {
      try {
        utimesSync(segment.path, now, now);
      } catch {
        // Removed meanwhile.
      }
    }
  }

  private isOrphan(name: string, path: string): boolean {
    const parts = stripClaim(name).split(SEPARATOR);
    const owner = name.startsWith(`${CLAIMED}${SEPARATOR}`) ? name.split(SEPARATOR).slice(1, 4) : parts.slice(0, 3);
    if (owner.join(SEPARATOR) === this.tag) return false;
    const [host, pid] = owner;
    if (host === this.host && Number(pid) !== process.pid && !processAlive(Number(pid))) return true;
    try {
      return Date.now() - statSync(path).mtimeMs > this.options.staleAfterMs;
    } catch {
      return false;
    }
  }

  private every(ms: number, run: () => void): void {
    const timer = setInterval(run, ms);
    timer.unref();
    this.timers.push(timer);
  }
}

/** A claimed file's original name. */
function stripClaim(name: string): string {
  return name.startsWith(`${CLAIMED}${SEPARATOR}`) ? name.split(SEPARATOR).slice(4).join(SEPARATOR) : basename(name);
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}
