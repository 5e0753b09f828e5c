import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { join } from 'node:path';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { ShutdownState } from '../health/shutdown-state';
import { MetricsService } from '../metrics/metrics.service';
import type { InteractionRecord } from './interaction-record';
import { InteractionWriter } from './interaction-writer';
import { Spool } from './spool';

export const RECORDER_LIMITS = {
  /** Rows per write. */
  batchSize: 500,
  /** Longest a queued row waits before its batch is written. */
  flushIntervalMs: 200,
  /** Rows held in memory; beyond this they go straight to the spool. */
  queueCapacity: 20_000,
  /** How often the spool is retried while the database is away. */
  replayIntervalMs: 1_000,
};

/**
 * Records interactions without making any response wait for the database: a bounded in-process
 * queue, flushed in batches (at most every 200 ms, or at once when a batch is full) by the
 * InteractionWriter. A batch the database refuses goes to the append-only spool and is replayed
 * when the database is back. On shutdown the queue and the spool are flushed.
 */
@Injectable()
export class RecorderService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Recorder');
  private readonly spool: Spool;
  private queue: InteractionRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private replayTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private databaseDown = false;
  private readonly enabled: boolean;

  constructor(
    private readonly writer: InteractionWriter,
    private readonly metrics: MetricsService,
    private readonly shutdown: ShutdownState,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.spool = new Spool(join(config.dataDir, 'spool'));
    this.enabled = config.recordingEnabled;
  }

  onModuleInit(): void {
    this.shutdown.registerDrain('recorder', () => this.drain());
    this.replayTimer = setInterval(() => void this.replaySpool(), RECORDER_LIMITS.replayIntervalMs);
    this.replayTimer.unref();
    void this.replaySpool();
  }

  onModuleDestroy(): void {
    clearInterval(this.replayTimer);
  }

  /** Never blocks and never throws: the caller is on the response path. */
  record(record: InteractionRecord): void {
    if (!this.enabled) return;
    if (record.cost === null) this.metrics.unpriced.inc({ model: record.model.slice(0, 100) });
    if (this.queue.length >= RECORDER_LIMITS.queueCapacity) {
      void this.toSpool([record]);
      return;
    }
    this.queue.push(record);
    this.metrics.recorderQueued.set(this.queue.length);
    if (this.queue.length >= RECORDER_LIMITS.batchSize) this.scheduleFlush(0);
    else this.scheduleFlush(RECORDER_LIMITS.flushIntervalMs);
  }

  /** Writes everything queued now; resolves when it is stored (or spooled). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(() => this.writeQueued());
    return this.flushing;
  }

  /** For shutdown: the queue, then whatever is in the spool if the database will take it. */
  async drain(): Promise<void> {
    await this.flush();
    await this.replaySpool();
    clearInterval(this.replayTimer);
  }

  private scheduleFlush(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), delayMs);
  }

  private async writeQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, RECORDER_LIMITS.batchSize);
      this.metrics.recorderQueued.set(this.queue.length);
      if (this.databaseDown) {
        await this.toSpool(batch);
        continue;
      }
      try {
        await this.writer.write(batch);
        this.metrics.recorderWritten.inc(batch.length);
      } catch (error) {
        this.databaseDown = true;
        this.logger.warn(`Database write failed (${describe(error)}); spooling ${batch.length} interaction(s)`);
        await this.toSpool(batch);
      }
    }
  }

  private async toSpool(records: InteractionRecord[]): Promise<void> {
    try {
      await this.spool.append(records);
      this.metrics.recorderSpooled.inc(records.length);
    } catch (error) {
      this.metrics.recorderDropped.inc(records.length);
      this.logger.error(`Could not spool ${records.length} interaction(s): ${describe(error)}`);
    }
  }

  private replaying = false;

  private async replaySpool(): Promise<void> {
    if (this.replaying || !(await this.spool.hasPending())) {
      if (!this.replaying) this.databaseDown = false;
      return;
    }
    this.replaying = true;
    try {
      const replayed = await this.spool.replay((batch) => this.writer.write(batch), RECORDER_LIMITS.batchSize);
      this.metrics.recorderReplayed.inc(replayed);
      this.databaseDown = false;
      if (replayed > 0) this.logger.log(`Replayed ${replayed} spooled interaction(s)`);
    } catch {
      this.databaseDown = true;
    } finally {
      this.replaying = false;
    }
  }
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown error';
}
