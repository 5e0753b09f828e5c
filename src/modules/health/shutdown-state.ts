import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';

/**
 * Shutdown coordination. Draining begins when shutdown does (readiness then fails, new proxy
 * calls are refused); the drains registered here (the recorder's flush) run after the HTTP
 * server has closed and before the database connections go.
 */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private readonly drains: { name: string; run: () => Promise<void> }[] = [];
  draining = false;

  beforeApplicationShutdown(): void {
    this.draining = true;
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
