import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  StreamableFile,
} from '@nestjs/common';
import { Readable } from 'node:stream';
import { Counter, Gauge } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';
import { Role, roleAtLeast } from '../organizations/membership.entity';
import { OrganizationsService } from '../organizations/organizations.service';
import type { RetentionResponseDto, UpdateRetentionDto } from './dto/retention.dto';
import { RetentionErrors } from './retention.errors';
import { DELETION_GRACE_DAYS, RetentionPass } from './retention-pass';
import { RetentionRepository, type RetentionRun } from './retention.repository';

/** How often an instance tries a retention pass (one instance at a time runs it). */
const PASS_INTERVAL_MS = 60 * 60 * 1000;
const REMOVALS_SHOWN = 50;
const EXPORT_PAGE = 1_000;

/**
 * Monthly partitions of interactions, per-organization retention and the removal of deleted
 * organizations. Partitions for the coming months are made at start; a pass (hourly, on one
 * instance at a time, or `npm run maintenance`) drops whole months no organization keeps any
 * longer, removes in batches what each organization keeps less long than that, and purges
 * organizations deleted more than the grace period ago.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private timer: NodeJS.Timeout | undefined;
  private readonly removed: Counter<'kind'>;
  private readonly partitionsDropped: Counter;
  private readonly organizationsPurged: Counter;

  constructor(
    private readonly repository: RetentionRepository,
    private readonly organizations: OrganizationsService,
    private readonly pass: RetentionPass,
    metrics: MetricsService,
  ) {
    const registers = [metrics.registry];
    this.removed = new Counter({
      name: 'lamplight_retention_removed_rows_total',
      help: 'Rows removed by retention passes this instance ran, by kind (content cleared, interactions deleted)',
      labelNames: ['kind'],
      registers,
    });
    this.partitionsDropped = new Counter({
      name: 'lamplight_retention_partitions_dropped_total',
      help: 'Monthly interaction partitions dropped whole by passes this instance ran',
      registers,
    });
    this.organizationsPurged = new Counter({
      name: 'lamplight_retention_organizations_purged_total',
      help: 'Deleted organizations removed for good after their grace period by passes this instance ran',
      registers,
    });
    const lastRun = async (): Promise<RetentionRun | null> => this.repository.lastRun().catch(() => null);
    new Gauge({
      name: 'lamplight_retention_last_run_timestamp_seconds',
      help: 'When the latest retention pass (any instance) ended; 0 when none has run',
      registers,
      async collect() {
        const run = await lastRun();
        this.set(run ? run.endedAt.getTime() / 1000 : 0);
      },
    });
    new Gauge({
      name: 'lamplight_retention_last_run_removed_rows',
      help: 'Rows the latest retention pass (any instance) removed, by kind',
      labelNames: ['kind'],
      registers,
      async collect() {
        const run = await lastRun();
        this.set({ kind: 'content' }, run?.contentRemoved ?? 0);
        this.set({ kind: 'interactions' }, run?.interactionsRemoved ?? 0);
        this.set({ kind: 'partitions' }, run?.partitionsDropped.length ?? 0);
        this.set({ kind: 'organizations' }, run?.organizationsPurged ?? 0);
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      const made = await this.ensurePartitions(new Date());
      if (made.length > 0) this.logger.log(`Made interaction partitions: ${made.join(', ')}`);
    } catch (error) {
      // The database may be away at start; the recorder spools, and the next pass makes them.
      this.logger.warn(
        `Could not make interaction partitions at start: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    this.timer = setInterval(() => {
      this.runPass(new Date()).catch((error: unknown) =>
        this.logger.warn(`Retention pass failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    }, PASS_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Makes the month before `now`'s, its own and the next MONTHS_AHEAD, where missing. */
  ensurePartitions(now: Date): Promise<string[]> {
    return this.pass.ensurePartitions(now);
  }

  /** One retention pass; null when another instance is running one. */
  async runPass(now: Date): Promise<RetentionRun | null> {
    const run = await this.pass.run(now);
    if (run) {
      this.removed.inc({ kind: 'content' }, run.contentRemoved);
      this.removed.inc({ kind: 'interactions' }, run.interactionsRemoved);
      this.partitionsDropped.inc(run.partitionsDropped.length);
      this.organizationsPurged.inc(run.organizationsPurged);
    }
    return run;
  }

  /** The organization's retention settings and its latest removals (any member). */
  async get(userId: string, organizationId: string): Promise<RetentionResponseDto> {
    await this.organizations.get(userId, organizationId);
    return this.response(organizationId);
  }

  /** Changes what the organization keeps (admins); a field left out keeps its value, null keeps for ever. */
  async update(
    userId: string,
    organizationId: string,
    dto: UpdateRetentionDto,
    now = new Date(),
  ): Promise<RetentionResponseDto> {
    const organization = await this.organizations.get(userId, organizationId);
    if (!roleAtLeast(organization.role, Role.Admin)) throw RetentionErrors.roleTooLow();
    const current = await this.repository.getSettings(organizationId);
    const contentDays = dto.contentDays === undefined ? current.contentDays : dto.contentDays;
    const interactionsDays = dto.interactionsDays === undefined ? current.interactionsDays : dto.interactionsDays;
    await this.repository.saveSettings(organizationId, contentDays, interactionsDays, now);
    return this.response(organizationId);
  }

  /**
   * Everything the organization recorded, for its owner to keep before deleting it: one JSON line
   * per session and per interaction (content included), streamed a page at a time.
   */
  async export(userId: string, organizationId: string): Promise<StreamableFile> {
    const organization = await this.organizations.get(userId, organizationId);
    if (!roleAtLeast(organization.role, Role.Owner)) throw RetentionErrors.ownerRequired();
    const repository = this.repository;
    async function* lines(): AsyncGenerator<string> {
      yield `${JSON.stringify({ type: 'organization', organization })}\n`;
      for (const table of ['sessions', 'interactions'] as const) {
        let after: string | null = null;
        for (;;) {
          const page = await repository.exportPage(table, organizationId, after, EXPORT_PAGE);
          for (const r of page)
            yield `${JSON.stringify({ type: table === 'sessions' ? 'session' : 'interaction', [table === 'sessions' ? 'session' : 'interaction']: r.row })}\n`;
          if (page.length < EXPORT_PAGE) break;
          after = page[page.length - 1].id;
        }
      }
    }
    return new StreamableFile(Readable.from(lines(), { objectMode: false }), {
      type: 'application/x-ndjson; charset=utf-8',
      disposition: `attachment; filename="organization-${organizationId}.jsonl"`,
    });
  }

  private async response(organizationId: string): Promise<RetentionResponseDto> {
    const settings = await this.repository.getSettings(organizationId);
    const removals = await this.repository.listRemovals(organizationId, REMOVALS_SHOWN);
    return {
      contentDays: settings.contentDays,
      interactionsDays: settings.interactionsDays,
      updatedAt: settings.updatedAt?.toISOString() ?? null,
      deletionGraceDays: DELETION_GRACE_DAYS,
      removals: removals.map((r) => ({
        kind: r.kind,
        rows: r.rows,
        olderThan: r.olderThan.toISOString(),
        removedAt: r.removedAt.toISOString(),
      })),
    };
  }
}
