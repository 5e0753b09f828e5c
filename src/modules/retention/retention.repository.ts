import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { PG_POOL } from '../../database/pg-pool';
import { TenantSql } from '../../database/tenant-sql';

export interface RetentionSettings {
  contentDays: number | null;
  interactionsDays: number | null;
  updatedAt: Date | null;
}

export interface RetentionRemoval {
  id: string;
  kind: 'content' | 'interactions';
  rows: number;
  olderThan: Date;
  removedAt: Date;
}

export interface MonthPartition {
  name: string;
  from: Date;
  to: Date;
}

export interface RetentionRun {
  startedAt: Date;
  endedAt: Date;
  partitionsCreated: string[];
  partitionsDropped: string[];
  contentRemoved: number;
  interactionsRemoved: number;
  organizationsPurged: number;
}

/** The columns of an interaction that hold conversation content (usage and cost are not content). */
const CONTENT_CLEARED = `content = NULL, user_query = NULL, final_output = NULL, content_truncated = false, content_status = 'not_stored'`;
const HAS_CONTENT = `(i.content IS NOT NULL OR i.user_query IS NOT NULL OR i.final_output IS NOT NULL)`;
const NO_CURSOR = '00000000-0000-0000-0000-000000000000';

/**
 * Every query of partitions, retention settings and removals. Tenant conditions: each statement
 * on tenant rows names its organization; partition statements are whole-table maintenance.
 */
@Injectable()
export class RetentionRepository {
  private readonly sql: TenantSql;

  constructor(@Inject(PG_POOL) private readonly pool: Pool) {
    this.sql = TenantSql.overPool(pool);
  }

  /** Makes the month holding `at` if missing (moving any of its rows out of the default partition); its name if made. */
  async ensureMonth(at: Date): Promise<string | null> {
    const { rows } = await this.pool.query<{ made: string | null }>(
      'SELECT lamplight_ensure_interactions_partition($1::timestamptz) AS made',
      [at.toISOString()],
    );
    return rows[0]?.made ?? null;
  }

  /** The monthly partitions of interactions (not the default one), oldest first. */
  async listMonths(): Promise<MonthPartition[]> {
    const { rows } = await this.pool.query<{ name: string; bound: string }>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'interactions'::regclass AND c.relname ~ '^interactions_p[0-9]{4}_[0-9]{2}$'
        ORDER BY c.relname`,
    );
    return rows.map((r) => {
      const [from, to] = [...r.bound.matchAll(/'([^']+)'/g)].map((m) => new Date(m[1]));
      return { name: r.name, from, to };
    });
  }

  /**
   * Drops a whole month: first records, per organization, how many of its interactions went with
   * it; then detaches and drops it, all in one transaction.
   */
  async dropMonth(partition: MonthPartition, now: Date): Promise<{ organizationId: string; rows: number }[]> {
    if (!/^interactions_p\d{4}_\d{2}$/.test(partition.name))
      throw new Error(`not a monthly partition: ${partition.name}`);
    return this.transaction(async (client) => {
      const counts = await client.query<{ organization_id: string; n: string }>(
        `SELECT organization_id, count(*)::text AS n FROM "${partition.name}" GROUP BY organization_id ORDER BY organization_id`,
      );
      for (const c of counts.rows)
        await this.insertRemoval(client, c.organization_id, 'interactions', Number(c.n), partition.to, now);
      await client.query(`ALTER TABLE interactions DETACH PARTITION "${partition.name}"`);
      await client.query(`DROP TABLE "${partition.name}"`);
      return counts.rows.map((c) => ({ organizationId: c.organization_id, rows: Number(c.n) }));
    });
  }

  async getSettings(organizationId: string): Promise<RetentionSettings> {
    const { rows } = await this.sql.query<{
      content_days: number | null;
      interactions_days: number | null;
      updated_at: Date;
    }>(
      organizationId,
      'SELECT content_days, interactions_days, updated_at FROM organization_retention WHERE organization_id = $1',
      [],
    );
    const row = rows[0];
    return {
      contentDays: row?.content_days ?? null,
      interactionsDays: row?.interactions_days ?? null,
      updatedAt: row?.updated_at ?? null,
    };
  }

  async saveSettings(
    organizationId: string,
    contentDays: number | null,
    interactionsDays: number | null,
    now: Date,
  ): Promise<void> {
    await this.sql.query(
      organizationId,
      `INSERT INTO organization_retention (organization_id, content_days, interactions_days, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (organization_id) DO UPDATE SET content_days = excluded.content_days,
         interactions_days = excluded.interactions_days, updated_at = excluded.updated_at`,
      [contentDays, interactionsDays, now],
    );
  }

  /** Live organizations with a retention setting. */
  async organizationsWithRetention(): Promise<
    { organizationId: string; contentDays: number | null; interactionsDays: number | null }[]
  > {
    const { rows } = await this.pool.query<{
      organization_id: string;
      content_days: number | null;
      interactions_days: number | null;
    }>(
      `SELECT r.organization_id, r.content_days, r.interactions_days FROM organization_retention r
         JOIN organizations o ON o.id = r.organization_id
        WHERE o.deleted_at IS NULL AND (r.content_days IS NOT NULL OR r.interactions_days IS NOT NULL)
        ORDER BY r.organization_id`,
    );
    return rows.map((r) => ({
      organizationId: r.organization_id,
      contentDays: r.content_days,
      interactionsDays: r.interactions_days,
    }));
  }

  /**
   * The longest any live organization keeps interactions, in days; null when one keeps them for
   * ever (then no month can be dropped whole).
   */
  async longestInteractionRetentionDays(): Promise<number | null> {
    // Inner joins only (a reference table on the outer side of a join to a distributed one is
    // what Citus plans least well): live organizations, and those of them with a bound.
    const { rows } = await this.pool.query<{ live: string; bounded: string; longest: number | null }>(
      `SELECT (SELECT count(*) FROM organizations WHERE deleted_at IS NULL)::text AS live,
         count(*)::text AS bounded, max(r.interactions_days) AS longest
       FROM organization_retention r JOIN organizations o ON o.id = r.organization_id
       WHERE o.deleted_at IS NULL AND r.interactions_days IS NOT NULL`,
    );
    const row = rows[0];
    if (!row || Number(row.live) === 0 || Number(row.bounded) < Number(row.live)) return null;
    return row.longest ?? 0;
  }

  /**
   * Clears the content of one organization's interactions started before `olderThan`, walking
   * its primary key in batches of `batch` rows (one short transaction each). Rows cleared.
   */
  async removeContent(organizationId: string, olderThan: Date, batch: number): Promise<number> {
    return this.inBatches(async (cursor) => {
      const { rows } = await this.sql.query<{ id: string | null; n: string }>(
        organizationId,
        `WITH picked AS (
           SELECT organization_id, id, started_at FROM interactions
            WHERE organization_id = $1 AND started_at < $2 AND id > $3 ORDER BY id LIMIT $4
         ), cleared AS (
           UPDATE interactions i SET ${CONTENT_CLEARED} FROM picked p
            WHERE i.organization_id = $1 AND i.organization_id = p.organization_id AND i.id = p.id AND i.started_at = p.started_at AND ${HAS_CONTENT}
           RETURNING 1
         )
         SELECT (SELECT id FROM picked ORDER BY id DESC LIMIT 1) AS id, (SELECT count(*) FROM cleared)::text AS n`,
        [olderThan, cursor, batch],
      );
      return rows[0];
    });
  }

  /** Deletes one organization's interactions started before `olderThan` (all with null), in batches. Rows deleted. */
  async removeInteractions(organizationId: string, olderThan: Date | null, batch: number): Promise<number> {
    return this.inBatches(async (cursor) => {
      const { rows } = await this.sql.query<{ id: string | null; n: string }>(
        organizationId,
        `WITH picked AS (
           SELECT organization_id, id, started_at FROM interactions
            WHERE organization_id = $1 AND ($2::timestamptz IS NULL OR started_at < $2) AND id > $3 ORDER BY id LIMIT $4
         ), deleted AS (
           DELETE FROM interactions i USING picked p
            WHERE i.organization_id = $1 AND i.organization_id = p.organization_id AND i.id = p.id AND i.started_at = p.started_at
           RETURNING 1
         )
         SELECT (SELECT id FROM picked ORDER BY id DESC LIMIT 1) AS id, (SELECT count(*) FROM deleted)::text AS n`,
        [olderThan, cursor, batch],
      );
      return rows[0];
    });
  }

  async recordRemoval(
    organizationId: string,
    kind: 'content' | 'interactions',
    rows: number,
    olderThan: Date,
    now: Date,
  ): Promise<void> {
    await this.insertRemoval(this.pool, organizationId, kind, rows, olderThan, now);
  }

  async listRemovals(organizationId: string, limit: number): Promise<RetentionRemoval[]> {
    const { rows } = await this.sql.query<{
      id: string;
      kind: 'content' | 'interactions';
      rows: string;
      older_than: Date;
      removed_at: Date;
    }>(
      organizationId,
      `SELECT id, kind, rows::text AS rows, older_than, removed_at FROM retention_removals
        WHERE organization_id = $1 ORDER BY removed_at DESC, id LIMIT $2`,
      [limit],
    );
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      rows: Number(r.rows),
      olderThan: r.older_than,
      removedAt: r.removed_at,
    }));
  }

  /**
   * A page of an organization's rows of `table` (sessions or interactions) as JSON, in primary key
   * order after `afterId`. Nothing secret lives in either table.
   */
  async exportPage(
    table: 'sessions' | 'interactions',
    organizationId: string,
    afterId: string | null,
    size: number,
  ): Promise<{ id: string; row: Record<string, unknown> }[]> {
    const { rows } = await this.sql.query<{ id: string; row: Record<string, unknown> }>(
      organizationId,
      `SELECT t.id, to_jsonb(t) AS row FROM ${table === 'sessions' ? 'sessions' : 'interactions'} t
        WHERE t.organization_id = $1 AND t.id > $2 ORDER BY t.id LIMIT $3`,
      [afterId ?? NO_CURSOR, size],
      { includeDeleted: true },
    );
    return rows;
  }

  /** Organizations deleted before `deletedBefore`: their grace period is over. */
  async organizationsPastGrace(deletedBefore: Date): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      'SELECT id FROM organizations WHERE deleted_at IS NOT NULL AND deleted_at < $1 ORDER BY id',
      [deletedBefore],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Removes a deleted organization for good, in one transaction: its row is locked first, which
   * waits for any recorder statement writing its calls (each holds its organizations FOR KEY SHARE)
   * and makes those that start later find it gone and refuse their calls; then its calls
   * (`interactions` has no foreign key to cascade from: the caller removes them in batches
   * beforehand, this takes any written since), then the organization, with every other row of it
   * by the foreign keys' cascade.
   */
  async purgeOrganization(organizationId: string): Promise<boolean> {
    return this.transaction(async (client) => {
      const locked = await client.query(
        'SELECT id FROM organizations WHERE id = $1 AND deleted_at IS NOT NULL FOR UPDATE',
        [organizationId],
      );
      if ((locked.rowCount ?? 0) === 0) return false;
      await client.query('DELETE FROM interactions WHERE organization_id = $1', [organizationId]);
      await client.query('DELETE FROM organizations WHERE id = $1', [organizationId]);
      return true;
    });
  }

  async recordRun(run: RetentionRun): Promise<void> {
    await this.pool.query(
      `INSERT INTO retention_runs (id, started_at, ended_at, partitions_created, partitions_dropped, content_removed,
         interactions_removed, organizations_purged) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        randomUUID(),
        run.startedAt,
        run.endedAt,
        run.partitionsCreated,
        run.partitionsDropped,
        run.contentRemoved,
        run.interactionsRemoved,
        run.organizationsPurged,
      ],
    );
  }

  async lastRun(): Promise<RetentionRun | null> {
    const { rows } = await this.pool.query<{
      started_at: Date;
      ended_at: Date;
      partitions_created: string[];
      partitions_dropped: string[];
      content_removed: string;
      interactions_removed: string;
      organizations_purged: number;
    }>(`SELECT started_at, ended_at, partitions_created, partitions_dropped, content_removed::text, interactions_removed::text,
          organizations_purged FROM retention_runs ORDER BY started_at DESC LIMIT 1`);
    const r = rows[0];
    if (!r) return null;
    return {
      startedAt: r.started_at,
      endedAt: r.ended_at,
      partitionsCreated: r.partitions_created,
      partitionsDropped: r.partitions_dropped,
      contentRemoved: Number(r.content_removed),
      interactionsRemoved: Number(r.interactions_removed),
      organizationsPurged: r.organizations_purged,
    };
  }

  /**
   * Runs `work` under a session-level advisory lock on one connection, if no other instance holds
   * it; null when another does.
   */
  async exclusively<T>(work: () => Promise<T>): Promise<T | null> {
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        "SELECT pg_try_advisory_lock(hashtext('lamplight_retention')) AS locked",
      );
      if (!rows[0]?.locked) return null;
      try {
        return await work();
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtext('lamplight_retention'))");
      }
    } finally {
      client.release();
    }
  }

  /** Runs `step` from the first key on, each time after the last key it saw, until it sees none. */
  private async inBatches(
    step: (cursor: string) => Promise<{ id: string | null; n: string } | undefined>,
  ): Promise<number> {
    let cursor = NO_CURSOR;
    let total = 0;
    for (;;) {
      const row = await step(cursor);
      if (!row?.id) return total;
      total += Number(row.n);
      cursor = row.id;
    }
  }

  private async insertRemoval(
    db: Pick<Pool | PoolClient, 'query'>,
    organizationId: string,
    kind: 'content' | 'interactions',
    rows: number,
    olderThan: Date,
    now: Date,
  ): Promise<void> {
    await db.query(
      'INSERT INTO retention_removals (organization_id, id, kind, rows, older_than, removed_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [organizationId, randomUUID(), kind, rows, olderThan, now],
    );
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
