import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';

/** A proxied call in progress, as shutdown sees it. */
export interface LiveCall {
  /** Ends the call now: a stream gets an SSE error event and is closed, its partial usage recorded. */
  interrupt(): void;
  /** Settles once the call has ended and been recorded. */
  finished: Promise<void>;
}

/** The reason a live call is aborted with when shutdown interrupts it (as opposed to a client gone). */
export const SHUTDOWN_INTERRUPT = Symbol('shutdown');

/**
 * Shutdown coordination. Draining begins when shutdown does (readiness then fails, new requests
 * get 503); live proxied calls then have the grace period (SHUTDOWN_GRACE_MS) to finish, after
 * which they are interrupted. The drains registered here (the recorder's flush) run after the
 * HTTP server has closed and before the database connections go.
 */
@Injectable()
export class ShutdownState implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private readonly drains: { name: string; run: () => Promise<void> }[] = [];
  private readonly live = new Set<LiveCall>();
  draining = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** The first shutdown hook Nest calls: refuse new work as early as possible. */
  onModuleDestroy(): void {
    this.draining = true;
  }

  /** Nest calls this after the destroy hooks and before the HTTP server closes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.draining = true;
    await this.settleLiveCalls(this.config.shutdownGraceMs);
  }

  /** Counts a proxied call as live until `finished` settles; shutdown waits for it, then interrupts it. */
  trackCall(call: LiveCall): void {
    this.live.add(call);
    void call.finished.finally(() => this.live.delete(call));
  }

  /** Waits up to `graceMs` for the live calls to end, then interrupts the rest and waits for them. */
  private async settleLiveCalls(graceMs: number): Promise<void> {
    if (this.live.size === 0) return;
    this.logger.log(`Draining: waiting up to ${graceMs} ms for ${this.live.size} live call(s)`);
    const all = () => Promise.allSettled([...this.live].map((call) => call.finished)).then(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const expired = await Promise.race([
      all().then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (!expired || this.live.size === 0) return;
    this.logger.warn(`Grace period over: interrupting ${this.live.size} live call(s)`);
    for (const call of this.live) call.interrupt();
    await Promise.race([all(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  }

  registerDrain(name: string, run: () => Promise<void>): void {
    this.drains.push({ name, run });
  }

  async runDrains(): Promise<void> {
    this.draining = true;
    for (const drain of this.drains.splice(0)) {
      try {
        await drain.run();
      } catch (error) {
        this.logger.error(`Drain "${drain.name}" failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
