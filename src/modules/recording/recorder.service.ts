import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { ShutdownState } from '../../common/lifecycle/shutdown-state.service';
import { MetricsService } from '../metrics/metrics.service';
import { DeadLetters, reasonOf } from './dead-letters';
import { ContentStatus } from './interaction.entity';
import { type InteractionRecord, storableRecord, withoutContent } from './interaction-record';
import { InteractionWriter, writeFailureKind } from './interaction-writer.repository';
import { Journal, type JournalEntry, type Segment } from './journal';

export const RECORDER_LIMITS = {
  /** Rows per write. */
  batchSize: 500,
  /** Longest a queued row waits before its batch is written. */
  flushIntervalMs: 200,
  /** Rows held in memory; beyond this the oldest are left to the journal (replayed from disk later). */
  queueCapacity: 20_000,
  /** How often writing is retried while the database is away, and journal files are looked for. */
  replayIntervalMs: 1_000,
  /** Journal files of another instance untouched this long are taken over. */
  journalStaleAfterMs: 15_000,
  /** A journal segment is closed past this size. */
  journalSegmentBytes: 16 * 1024 * 1024,
};

/** Thrown through a write when the database cannot take it now: the batch is kept for later. */
class DatabaseUnavailable extends Error {
  constructor(override readonly cause: unknown) {
    super('database unavailable');
  }
}

const RESOLVED = Promise.resolve();

/**
 * Records interactions without making any response wait for the database, and without losing one:
 *
 * - `record()` makes the record storable, writes it to the journal (resolving once written — the
 *   proxy sends an answer's last bytes only then) and queues it in memory.
 * - The queue is written in batches (at most every 200 ms, or at once when a batch is full), one
 *   statement a batch, or one per organization in it when the tables are distributed (see
 *   InteractionWriter.statementsOf). What the database cannot take now (an outage)
 *   stays queued and is retried every second; past the queue's capacity the oldest records are
 *   left to the journal and replayed from it later.
 * - A batch the database refuses for what it holds is split until the bad row is isolated: the
 *   good rows are stored, the bad one goes to the dead-letter file and is stored without its
 *   content, so its usage and cost still count. Nothing can wedge the queue or a replay.
 * - Journal files left by a killed process (or an instance that is gone) are replayed on start
 *   and every second, exactly once: writes are idempotent on the interaction id.
 */
@Injectable()
export class RecorderService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Recorder');
  private readonly journal: Journal;
  private readonly deadLetters: DeadLetters;
  private queue: JournalEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = RESOLVED;
  private databaseDown = false;
  private recovering = false;
  private readonly enabled: boolean;

  constructor(
    private readonly writer: InteractionWriter,
    private readonly metrics: MetricsService,
    private readonly shutdown: ShutdownState,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.enabled = config.recordingEnabled;
    this.journal = new Journal(
      config.dataDir,
      {
        sync: config.journal.sync,
        syncIntervalMs: config.journal.syncIntervalMs,
        segmentBytes: RECORDER_LIMITS.journalSegmentBytes,
        staleAfterMs: RECORDER_LIMITS.journalStaleAfterMs,
      },
      (error) => this.logger.warn(`Journal write failed (${reasonOf(error).code})`),
    );
    this.deadLetters = new DeadLetters(config.dataDir);
  }

  onModuleInit(): void {
    this.shutdown.registerDrain('recorder', () => this.drain());
    if (!this.enabled) return;
    this.journal.start();
    this.retryTimer = setInterval(() => void this.recover(), RECORDER_LIMITS.replayIntervalMs);
    this.retryTimer.unref();
    void this.recover();
  }

  onModuleDestroy(): void {
    clearInterval(this.retryTimer);
  }

  /**
   * Never throws and never rejects: the caller is on the response path. Resolves once the record
   * is in the journal (or the journal could not take it, which is counted).
   */
  record(record: InteractionRecord): Promise<void> {
    if (!this.enabled) return RESOLVED;
    let entry: JournalEntry;
    try {
      entry = { record: storableRecord(record) };
    } catch (error) {
      // Only a record that is not what its type says gets here; it is kept as it came.
      this.logger.warn(`Could not make an interaction storable (${reasonOf(error).code})`);
      entry = { record };
    }
    if (entry.record.cost === null) this.metrics.unpriced.inc({ model: entry.record.model.slice(0, 100) });
    const journaled = this.journal.append(entry).then((written) => {
      if (written) return this.metrics.recorderJournaled.inc();
      this.metrics.recorderJournalFailures.inc();
      // Already left to a journal that could not take it: nothing holds it any more.
      if (entry.evicted) this.dropped();
    });
    this.queue.push(entry);
    while (this.queue.length > RECORDER_LIMITS.queueCapacity) this.evict(this.queue.shift()!);
    this.metrics.recorderQueued.set(this.queue.length);
    if (!this.databaseDown)
      this.scheduleFlush(this.queue.length >= RECORDER_LIMITS.batchSize ? 0 : RECORDER_LIMITS.flushIntervalMs);
    return journaled;
  }

  /** Writes everything queued now; resolves when it is stored (or kept for a retry, if the database is away). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing
      .then(() => this.writeQueued())
      .catch((error: unknown) => this.logger.error(`Recording failed (${reasonOf(error).code})`));
    return this.flushing;
  }

  /** For shutdown: the queue and any journal files, if the database will take them; the journal keeps the rest. */
  async drain(): Promise<void> {
    clearInterval(this.retryTimer);
    if (!this.enabled) return;
    this.databaseDown = false;
    await this.flush();
    if (!this.databaseDown) await this.replayJournalFiles().catch(() => undefined);
    this.journal.close();
    this.metrics.recorderJournalPending.set(this.journal.unsettled);
  }

  private scheduleFlush(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), delayMs);
  }

  /** Leaves a record to the journal alone (memory is full); without a journal line it is lost. */
  private evict(entry: JournalEntry): void {
    if (!this.journal.evict(entry)) this.dropped();
  }

  private dropped(): void {
    this.metrics.recorderDropped.inc();
    this.logger.error('Dropped an interaction: the queue is full and the journal could not take it');
  }

  private async writeQueued(): Promise<void> {
    while (this.queue.length > 0 && !this.databaseDown) {
      const batch = this.queue.splice(0, RECORDER_LIMITS.batchSize);
      this.metrics.recorderQueued.set(this.queue.length);
      // One statement for the batch, or one per organization when the tables are distributed (each
      // goes to one shard); each statement's records are settled in the journal as soon as they are
      // stored, whatever happens to the next.
      const groups = this.writer.statementsOf(batch, (entry) => entry.record.organizationId);
      for (const [index, group] of groups.entries()) {
        try {
          await this.store(group.map((entry) => entry.record));
          for (const entry of group) this.journal.settle(entry);
        } catch (error) {
          if (!(error instanceof DatabaseUnavailable)) throw error;
          this.databaseDown = true;
          const unstored = groups.slice(index).flat();
          this.queue.unshift(...unstored);
          while (this.queue.length > RECORDER_LIMITS.queueCapacity) this.evict(this.queue.shift()!);
          this.metrics.recorderSpooled.inc(unstored.length);
          this.logger.warn(
            `Database write failed (${reasonOf(error.cause).code}); holding ${this.queue.length} interaction(s) for a retry`,
          );
          break;
        }
      }
    }
    this.metrics.recorderQueued.set(this.queue.length);
    this.metrics.recorderJournalPending.set(this.journal.unsettled);
  }

  /**
   * Stores the records of one statement, isolating any the database refuses for what they hold: a
   * failed batch is split in halves until the bad row stands alone. Throws DatabaseUnavailable on
   * an outage.
   */
  private async store(records: InteractionRecord[]): Promise<void> {
    if (records.length === 0) return;
    try {
      await this.writer.write(records);
      this.metrics.recorderWritten.inc(records.length);
      return;
    } catch (error) {
      if (writeFailureKind(error) === 'outage') throw new DatabaseUnavailable(error);
      if (records.length === 1) return this.deadLetter(records[0], error);
    }
    const half = Math.ceil(records.length / 2);
    await this.store(records.slice(0, half));
    await this.store(records.slice(half));
  }

  /** A row the database refused: kept in the dead-letter file, then stored once more without its content. */
  private async deadLetter(record: InteractionRecord, error: unknown): Promise<void> {
    const reason = reasonOf(error);
    if (!this.deadLetters.add(record, error)) this.logger.error(`Could not write to ${this.deadLetters.file}`);
    this.metrics.recorderDeadLettered.inc();
    try {
      await this.writer.write([withoutContent(record, ContentStatus.Dropped)]);
      this.metrics.recorderStoredWithoutContent.inc();
      this.logger.warn(
        `The database refused interaction ${record.id} (${reason.code}); stored it without content, original dead-lettered`,
      );
    } catch (retryError) {
      if (writeFailureKind(retryError) === 'outage') throw new DatabaseUnavailable(retryError);
      this.logger.error(
        `The database refused interaction ${record.id} (${reason.code}) even without content; it is only in the dead-letter file`,
      );
    }
  }

  /** Every second: retry the queue while the database is away; replay journal files once it is back. */
  private async recover(): Promise<void> {
    if (this.recovering) return;
    this.recovering = true;
    try {
      if (this.databaseDown) {
        this.databaseDown = false;
        await this.flush();
      }
      if (!this.databaseDown) await this.replayJournalFiles();
    } catch (error) {
      if (error instanceof DatabaseUnavailable) this.databaseDown = true;
      else this.logger.error(`Journal replay failed (${reasonOf(error).code})`);
    } finally {
      this.recovering = false;
      this.metrics.recorderJournalPending.set(this.journal.unsettled);
    }
  }

  /** Segments holding evicted records, then files of instances that are gone. */
  private async replayJournalFiles(): Promise<void> {
    for (const segment of this.journal.segmentsToReplay()) {
      await this.replayFile(segment.path, segment);
    }
    for (const path of this.journal.claimOrphans()) {
      await this.replayFile(path);
    }
  }

  private async replayFile(path: string, segment?: Segment): Promise<void> {
    const records = Journal.read(path).map(storableRecord);
    for (let i = 0; i < records.length; i += RECORDER_LIMITS.batchSize) {
      const batch = records.slice(i, i + RECORDER_LIMITS.batchSize);
      for (const group of this.writer.statementsOf(batch, (record) => record.organizationId)) await this.store(group);
    }
    if (segment) this.journal.replayed(segment);
    else Journal.remove(path);
    this.metrics.recorderReplayed.inc(records.length);
    if (records.length > 0) this.logger.log(`Stored ${records.length} interaction(s) from the journal`);
  }
}
