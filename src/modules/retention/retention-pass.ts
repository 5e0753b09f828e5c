import { Injectable } from '@nestjs/common';
import { RetentionRepository, type RetentionRun } from './retention.repository';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Months made ahead of time, beyond the current one (and the one before it, for late replays). */
const MONTHS_AHEAD = 3;
/** Rows per statement when removing row by row: each batch is one short transaction. */
const REMOVAL_BATCH = 5_000;
/** A deleted organization's data stays this long (the owner can still export it before deleting). */
export const DELETION_GRACE_DAYS = 30;

const monthsFrom = (now: Date, offset: number) =>
  new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));

/**
 * One retention pass, on one instance at a time (a session advisory lock): make the coming months'
 * partitions; drop whole months no live organization keeps any longer; remove in batches what each
 * organization keeps less long than that (interactions, then content); purge organizations deleted
 * more than the grace period ago. Used by the app's hourly timer and by `npm run maintenance`.
 */
@Injectable()
export class RetentionPass {
  constructor(private readonly repository: RetentionRepository) {}

  /** Makes the month before `now`'s, its own and the next MONTHS_AHEAD, where missing. */
  async ensurePartitions(now: Date): Promise<string[]> {
    const made: string[] = [];
    for (let offset = -1; offset <= MONTHS_AHEAD; offset++) {
      const name = await this.repository.ensureMonth(monthsFrom(now, offset));
      if (name) made.push(name);
    }
    return made;
  }

  /** One retention pass; null when another instance is running one. */
  async run(now: Date): Promise<RetentionRun | null> {
    return this.repository.exclusively(async () => {
      const run: RetentionRun = {
        startedAt: new Date(),
        endedAt: new Date(),
        partitionsCreated: await this.ensurePartitions(now),
        partitionsDropped: [],
        contentRemoved: 0,
        interactionsRemoved: 0,
        organizationsPurged: 0,
      };
      const longest = await this.repository.longestInteractionRetentionDays();
      if (longest !== null) {
        const keptFrom = new Date(now.getTime() - longest * DAY_MS);
        for (const month of await this.repository.listMonths()) {
          if (month.to > keptFrom) continue;
          const removed = await this.repository.dropMonth(month, now);
          run.partitionsDropped.push(month.name);
          run.interactionsRemoved += removed.reduce((sum, r) => sum + r.rows, 0);
        }
      }
      for (const org of await this.repository.organizationsWithRetention()) {
        if (org.interactionsDays !== null) {
          const olderThan = new Date(now.getTime() - org.interactionsDays * DAY_MS);
          const rows = await this.repository.removeInteractions(org.organizationId, olderThan, REMOVAL_BATCH);
          if (rows > 0) await this.repository.recordRemoval(org.organizationId, 'interactions', rows, olderThan, now);
          run.interactionsRemoved += rows;
        }
        if (org.contentDays !== null) {
          const olderThan = new Date(now.getTime() - org.contentDays * DAY_MS);
          const rows = await this.repository.removeContent(org.organizationId, olderThan, REMOVAL_BATCH);
          if (rows > 0) await this.repository.recordRemoval(org.organizationId, 'content', rows, olderThan, now);
          run.contentRemoved += rows;
        }
      }
      for (const organizationId of await this.repository.organizationsPastGrace(
        new Date(now.getTime() - DELETION_GRACE_DAYS * DAY_MS),
      )) {
        // The interactions first, in batches, so the cascade that removes the rest stays small.
        run.interactionsRemoved += await this.repository.removeInteractions(organizationId, null, REMOVAL_BATCH);
        if (await this.repository.purgeOrganization(organizationId)) run.organizationsPurged++;
      }
      run.endedAt = new Date();
      await this.repository.recordRun(run);
      return run;
    });
  }
}
