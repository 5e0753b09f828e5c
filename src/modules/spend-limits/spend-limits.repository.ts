import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { CacheInvalidation, SPEND_LIMIT_CACHE_TOPIC } from '../../database/cache-invalidation';
import { PG_POOL } from '../../database/pg-pool';
import { TenantSql } from '../../database/tenant-sql';
import { SpendPeriod } from './spend-periods';

export enum SpendScopeType {
  Organization = 'organization',
  ApiKey = 'api_key',
  User = 'user',
  Session = 'session',
}

export enum SpendUnit {
  Usd = 'usd',
  Tokens = 'tokens',
}

export enum FailureMode {
  Closed = 'closed',
  Open = 'open',
}

/** The scope id stored for an organization-wide limit (the key needs a value). */
export const ORGANIZATION_SCOPE_ID = '00000000-0000-0000-0000-000000000000';

export const DEFAULT_ALERT_THRESHOLDS = [50, 80, 100];

export interface SpendLimitRecord {
  id: string;
  organizationId: string;
  scopeType: SpendScopeType;
  /** null for the organization scope. */
  scopeId: string | null;
  period: SpendPeriod;
  unit: SpendUnit;
  /** micro-USD, or tokens. */
  amount: number;
  /** null: the organization's thresholds. */
  alertThresholds: number[] | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface SpendSettingsRecord {
  timeZone: string;
  failureMode: FailureMode;
  /** micro-USD an instance may let through per organization while the counters cannot be reached. */
  failOpenAmount: number;
  alertThresholds: number[];
  webhookUrl: string | null;
  webhookSecretSet: boolean;
}

export interface CounterRow {
  counterKey: string;
  spent: number;
  reserved: number;
}

/**
 * One counter in a lease statement: what this instance flushes into it and gives back, and what
 * it asks for. Amounts are micro-USD or tokens, as the counter counts.
 */
export interface LeaseEntry {
  key: string;
  periodStart: Date;
  /** Settled spend to add to `spent` (and to take out of the lease). */
  spent: number;
  /** How much of this instance's lease to release (the flushed spend plus any unused headroom returned). */
  release: number;
  /** The least grant that lets a waiting call in; 0 when nothing waits. Less room than this: refused. */
  need: number;
  /** What the waiting calls need in all (0 for a flush alone). */
  demand: number;
  /** The most granted beyond `demand` while the counter is far from its cap. */
  extra: number;
  /** Room under which grants are exact (`demand`, no more). */
  exactBelow: number;
  cap: number;
  /**
   * The least the counter holds: a session's recorded tokens, so a budget set (or set again)
   * after calls were made counts them. 0 for limits.
   */
  seed: number;
}

/** A counter after a lease statement, with this instance's lease on it. */
export interface LeaseRow {
  counterKey: string;
  periodStart: Date;
  spent: number;
  /** Everything reserved on the counter: every instance's leases (this one's included). */
  reserved: number;
  /** This instance's lease now. */
  lease: number;
  granted: number;
  /** The room before the grant was under `exactBelow`. */
  exact: boolean;
  /** Less room than `need`: nothing was granted on any counter of the statement. */
  full: boolean;
}

export interface WebhookDeliveryRecord {
  id: string;
  event: string;
  url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt: Date | null;
}

interface LimitRow {
  id: string;
  organization_id: string;
  scope_type: SpendScopeType;
  scope_id: string;
  period: SpendPeriod;
  unit: SpendUnit;
  amount: string;
  alert_thresholds: number[] | null;
  created_at: Date;
  updated_at: Date;
}

const LIMIT_COLUMNS = `id, organization_id, scope_type, scope_id, period, unit, amount, alert_thresholds, created_at, updated_at`;

function toLimit(row: LimitRow): SpendLimitRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    scopeType: row.scope_type,
    scopeId: row.scope_type === SpendScopeType.Organization ? null : row.scope_id,
    period: row.period,
    unit: row.unit,
    amount: Number(row.amount),
    alertThresholds: row.alert_thresholds,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Every statement of spend limits, counters, settings, alerts and deliveries. The organization is
 * the first argument of every method and a condition of every statement: another organization's
 * limits do not exist here.
 */
@Injectable()
export class SpendLimitsRepository {
  /**
   * Lease statements commit without waiting for the WAL flush (synchronous_commit off):
   * a commit that waits costs milliseconds, and a call waiting for a lease to grow waits for it.
   * Isolation is unchanged (row locks, one statement per organization at a time); what a PostgreSQL crash can lose is the last few
   * hundred milliseconds of counter updates, never half of one.
   */
  private readonly counterPool: Pool;

  private readonly sql: TenantSql;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly invalidation: CacheInvalidation,
  ) {
    this.sql = TenantSql.overPool(pool);
    this.counterPool = new Pool({
      connectionString: pool.options.connectionString,
      max: 4,
      idleTimeoutMillis: 10_000,
      connectionTimeoutMillis: 5_000,
      options: '-c synchronous_commit=off',
    });
    this.counterPool.on('error', () => undefined);
  }

  async listLimits(organizationId: string): Promise<SpendLimitRecord[]> {
    const { rows } = await this.sql.query<LimitRow>(
      organizationId,
      `SELECT ${LIMIT_COLUMNS} FROM spend_limits WHERE organization_id = $1 ORDER BY created_at, id`,
      [],
    );
    return rows.map(toLimit);
  }

  async findLimit(organizationId: string, id: string): Promise<SpendLimitRecord | null> {
    const { rows } = await this.sql.query<LimitRow>(
      organizationId,
      `SELECT ${LIMIT_COLUMNS} FROM spend_limits WHERE organization_id = $1 AND id = $2`,
      [id],
    );
    return rows[0] ? toLimit(rows[0]) : null;
  }

  /** Creates the limit, or replaces the amount (and thresholds) of the one with the same scope, period and unit. */
  async upsertLimit(
    organizationId: string,
    limit: {
      id: string;
      scopeType: SpendScopeType;
      scopeId: string | null;
      period: SpendPeriod;
      unit: SpendUnit;
      amount: number;
      alertThresholds: number[] | null;
    },
    now: Date,
  ): Promise<{ limit: SpendLimitRecord; created: boolean }> {
    const { rows } = await this.announced(organizationId, (sql) =>
      sql.query<LimitRow & { created: boolean }>(
        organizationId,
        `INSERT INTO spend_limits (organization_id, id, scope_type, scope_id, period, unit, amount, alert_thresholds, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
       ON CONFLICT (organization_id, scope_type, scope_id, period, unit)
       DO UPDATE SET amount = excluded.amount, alert_thresholds = excluded.alert_thresholds, updated_at = excluded.updated_at
       RETURNING ${LIMIT_COLUMNS}, (xmax = 0) AS created`,
        [
          limit.id,
          limit.scopeType,
          limit.scopeId ?? ORGANIZATION_SCOPE_ID,
          limit.period,
          limit.unit,
          limit.amount,
          limit.alertThresholds,
          now,
        ],
      ),
    );
    return { limit: toLimit(rows[0]), created: rows[0].created };
  }

  async updateLimit(
    organizationId: string,
    id: string,
    change: { amount?: number; alertThresholds?: number[] | null },
    now: Date,
  ): Promise<SpendLimitRecord | null> {
    const { rows } = await this.announced(organizationId, (sql) =>
      sql.query<LimitRow>(
        organizationId,
        `UPDATE spend_limits SET amount = COALESCE($3, amount),
         alert_thresholds = CASE WHEN $4 THEN $5::smallint[] ELSE alert_thresholds END, updated_at = $6
       WHERE organization_id = $1 AND id = $2 RETURNING ${LIMIT_COLUMNS}`,
        [id, change.amount ?? null, change.alertThresholds !== undefined, change.alertThresholds ?? null, now],
      ),
    );
    return rows[0] ? toLimit(rows[0]) : null;
  }

  /** Deletes the limit with its counters and alerts, in one transaction. */
  async deleteLimit(organizationId: string, id: string): Promise<boolean> {
    return this.announced(organizationId, async (sql) => {
      const deleted = await sql.run(organizationId, `DELETE FROM spend_limits WHERE organization_id = $1 AND id = $2`, [
        id,
      ]);
      await sql.run(organizationId, `DELETE FROM spend_counters WHERE organization_id = $1 AND counter_key = $2`, [id]);
      await sql.run(organizationId, `DELETE FROM spend_leases WHERE organization_id = $1 AND counter_key = $2`, [id]);
      await sql.run(organizationId, `DELETE FROM spend_alerts WHERE organization_id = $1 AND limit_id = $2`, [id]);
      return deleted > 0;
    });
  }

  /**
   * Runs a change to the organization's limits or settings in one transaction that also announces
   * it (every instance drops its copy of them on commit, see CacheInvalidation).
   */
  private async announced<T>(organizationId: string, work: (sql: TenantSql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(TenantSql.overPool(client));
      await this.invalidation.announce(client, SPEND_LIMIT_CACHE_TOPIC, organizationId);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Current counters by key for the given (key, period start) pairs. */
  async counters(organizationId: string, keys: string[], starts: Date[]): Promise<Map<string, CounterRow>> {
    const { rows } = await this.sql.query<{ counter_key: string; period_start: Date; spent: string; reserved: string }>(
      organizationId,
      `SELECT c.counter_key, c.period_start, c.spent, c.reserved
       FROM spend_counters c JOIN unnest($2::text[], $3::timestamptz[]) AS w(k, s) ON c.counter_key = w.k AND c.period_start = w.s
       WHERE c.organization_id = $1`,
      [keys, starts],
    );
    return new Map(
      rows.map((r) => [
        `${r.counter_key}@${r.period_start.getTime()}`,
        { counterKey: r.counter_key, spent: Number(r.spent), reserved: Number(r.reserved) },
      ]),
    );
  }

  /**
   * One statement for an organization's leases held by this instance (see the migration
   * spend_leases): flushes spent, returns unused headroom, renews, and grows every counter in
   * `entries` or none (entries sorted by the caller, so statements lock counters in one order).
   */
  async lease(organizationId: string, instanceId: string, ttlMs: number, entries: LeaseEntry[]): Promise<LeaseRow[]> {
    const { rows } = await this.counterPool.query<{
      out_key: string;
      out_start: Date;
      out_spent: string;
      out_reserved: string;
      out_lease: string;
      out_granted: string;
      out_exact: boolean;
      out_full: boolean;
    }>(
      `SELECT * FROM lamplight_spend_lease($1, $2, $3, $4::text[], $5::timestamptz[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[])`,
      [
        organizationId,
        instanceId,
        ttlMs,
        entries.map((e) => e.key),
        entries.map((e) => e.periodStart),
        entries.map((e) => e.spent),
        entries.map((e) => e.release),
        entries.map((e) => e.need),
        entries.map((e) => e.demand),
        entries.map((e) => e.extra),
        entries.map((e) => e.exactBelow),
        entries.map((e) => e.cap),
        entries.map((e) => e.seed),
      ],
    );
    return rows.map((r) => ({
      counterKey: r.out_key,
      periodStart: r.out_start,
      spent: Number(r.out_spent),
      reserved: Number(r.out_reserved),
      lease: Number(r.out_lease),
      granted: Number(r.out_granted),
      exact: r.out_exact,
      full: r.out_full,
    }));
  }

  /** Closes the counters' connections (after the last flush, on shutdown). */
  async close(): Promise<void> {
    await this.counterPool.end().catch(() => undefined);
  }

  async settings(organizationId: string): Promise<SpendSettingsRecord> {
    const { rows } = await this.sql.query<{
      time_zone: string;
      failure_mode: FailureMode;
      fail_open_amount: string;
      alert_thresholds: number[];
      webhook_url: string | null;
      secret_set: boolean;
    }>(
      organizationId,
      `SELECT time_zone, failure_mode, fail_open_amount, alert_thresholds, webhook_url,
         (webhook_secret_sealed IS NOT NULL OR webhook_secret IS NOT NULL) AS secret_set
       FROM spend_limit_settings WHERE organization_id = $1`,
      [],
    );
    const row = rows[0];
    if (!row) {
      return {
        timeZone: 'UTC',
        failureMode: FailureMode.Closed,
        failOpenAmount: 0,
        alertThresholds: [...DEFAULT_ALERT_THRESHOLDS],
        webhookUrl: null,
        webhookSecretSet: false,
      };
    }
    return {
      timeZone: row.time_zone,
      failureMode: row.failure_mode,
      failOpenAmount: Number(row.fail_open_amount),
      alertThresholds: row.alert_thresholds,
      webhookUrl: row.webhook_url,
      webhookSecretSet: row.secret_set,
    };
  }

  async saveSettings(
    organizationId: string,
    settings: Omit<SpendSettingsRecord, 'webhookSecretSet'>,
    now: Date,
  ): Promise<void> {
    await this.announced(organizationId, (sql) =>
      sql.query(
        organizationId,
        `INSERT INTO spend_limit_settings (organization_id, time_zone, failure_mode, fail_open_amount, alert_thresholds, webhook_url, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (organization_id) DO UPDATE SET time_zone = excluded.time_zone, failure_mode = excluded.failure_mode,
         fail_open_amount = excluded.fail_open_amount, alert_thresholds = excluded.alert_thresholds, webhook_url = excluded.webhook_url,
         updated_at = excluded.updated_at`,
        [
          settings.timeZone,
          settings.failureMode,
          settings.failOpenAmount,
          settings.alertThresholds,
          settings.webhookUrl,
          now,
        ],
      ),
    );
  }

  /** Stores the organization's new signing secret, sealed (the plain column is cleared). */
  async setWebhookSecret(organizationId: string, sealed: string, now: Date): Promise<void> {
    await this.announced(organizationId, (sql) =>
      sql.query(
        organizationId,
        `INSERT INTO spend_limit_settings (organization_id, webhook_secret_sealed, webhook_secret, updated_at) VALUES ($1, $2, NULL, $3)
       ON CONFLICT (organization_id) DO UPDATE SET webhook_secret_sealed = excluded.webhook_secret_sealed, webhook_secret = NULL,
         updated_at = excluded.updated_at`,
        [sealed, now],
      ),
    );
  }

  /** The webhook URL and its signing secret as stored, for delivery only (never returned by the API). */
  async webhookTarget(
    organizationId: string,
  ): Promise<{ url: string | null; sealed: string | null; plain: string | null } | null> {
    const { rows } = await this.sql.query<{
      webhook_url: string | null;
      webhook_secret_sealed: string | null;
      webhook_secret: string | null;
    }>(
      organizationId,
      `SELECT webhook_url, webhook_secret_sealed, webhook_secret FROM spend_limit_settings WHERE organization_id = $1`,
      [],
    );
    const row = rows[0];
    return row ? { url: row.webhook_url, sealed: row.webhook_secret_sealed, plain: row.webhook_secret } : null;
  }

  /** Organizations whose signing secret is still stored in plain text (from before secrets were sealed). */
  async plainWebhookSecrets(): Promise<{ organizationId: string; secret: string }[]> {
    const { rows } = await this.sql.acrossOrganizations<{ organization_id: string; webhook_secret: string }>(
      'a start-up pass seals every secret stored before secrets were sealed',
      `SELECT organization_id, webhook_secret FROM spend_limit_settings WHERE webhook_secret IS NOT NULL`,
    );
    return rows.map((r) => ({ organizationId: r.organization_id, secret: r.webhook_secret }));
  }

  /** Replaces a plain secret by its sealed form, unless it changed meanwhile (another instance, a rotation). */
  async sealPlainWebhookSecret(organizationId: string, plain: string, sealed: string): Promise<void> {
    await this.sql.query(
      organizationId,
      `UPDATE spend_limit_settings SET webhook_secret_sealed = $3, webhook_secret = NULL
       WHERE organization_id = $1 AND webhook_secret = $2`,
      [plain, sealed],
    );
  }

  /** Records that a threshold was reached in a period; false when it already was (another call or instance). */
  async recordAlert(
    organizationId: string,
    limitId: string,
    periodStart: Date,
    threshold: number,
    now: Date,
  ): Promise<boolean> {
    const { rowCount } = await this.sql.query(
      organizationId,
      `INSERT INTO spend_alerts (organization_id, limit_id, period_start, threshold, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING`,
      [limitId, periodStart, threshold, now],
    );
    return (rowCount ?? 0) > 0;
  }

  /** A new delivery, due at once. */
  async addDelivery(
    organizationId: string,
    delivery: { id: string; event: string; url: string; payload: unknown },
    now: Date,
  ): Promise<void> {
    await this.sql.query(
      organizationId,
      `INSERT INTO spend_webhook_deliveries (organization_id, id, event, url, payload, status, attempts, next_attempt_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, 'pending', 0, $6, $6, $6)`,
      [delivery.id, delivery.event, delivery.url, JSON.stringify(delivery.payload), now],
    );
  }

  /** Pending deliveries of every organization whose next attempt is due, oldest first. */
  async dueDeliveries(now: Date, limit: number): Promise<{ organizationId: string; id: string }[]> {
    const { rows } = await this.sql.acrossOrganizations<{ organization_id: string; id: string }>(
      'any instance retries the due webhook deliveries of every organization',
      `SELECT organization_id, id FROM spend_webhook_deliveries
       WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => ({ organizationId: r.organization_id, id: r.id }));
  }

  /**
   * Claims a due delivery for one attempt: counts the attempt and moves its next attempt to
   * `leaseUntil`, so no other instance takes it meanwhile (and another does if this one stops).
   * A row another instance is claiming is skipped, not waited for. Null when it is not (or no
   * longer) due.
   */
  async claimDelivery(
    organizationId: string,
    id: string,
    now: Date,
    leaseUntil: Date,
  ): Promise<{ url: string; body: string; attempts: number } | null> {
    const { rows } = await this.sql.query<{ url: string; body: string; attempts: number }>(
      organizationId,
      `UPDATE spend_webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $4, updated_at = $3
       WHERE organization_id = $1 AND id = (
         SELECT id FROM spend_webhook_deliveries
         WHERE organization_id = $1 AND id = $2 AND status = 'pending' AND next_attempt_at <= $3
         FOR UPDATE SKIP LOCKED)
       RETURNING url, payload::text AS body, attempts`,
      [id, now, leaseUntil],
    );
    return rows[0] ?? null;
  }

  /** What a claimed attempt came to: delivered, failed for good, or pending until `nextAttemptAt`. */
  async finishAttempt(
    organizationId: string,
    id: string,
    attempt: {
      status: 'pending' | 'delivered' | 'failed';
      nextAttemptAt: Date | null;
      statusCode: number | null;
      error: string | null;
    },
    now: Date,
  ): Promise<void> {
    await this.sql.query(
      organizationId,
      `UPDATE spend_webhook_deliveries SET status = $2::varchar, next_attempt_at = $3::timestamptz, last_status_code = $4::int,
         last_error = $5::varchar, updated_at = $6::timestamptz,
         delivered_at = CASE WHEN $2::varchar = 'delivered' THEN $6::timestamptz ELSE delivered_at END
       WHERE organization_id = $1 AND id = $7`,
      [attempt.status, attempt.nextAttemptAt, attempt.statusCode, attempt.error?.slice(0, 200) ?? null, now, id],
    );
  }

  async listDeliveries(organizationId: string, limit: number): Promise<WebhookDeliveryRecord[]> {
    const { rows } = await this.sql.query<{
      id: string;
      event: string;
      url: string;
      status: 'pending' | 'delivered' | 'failed';
      attempts: number;
      last_status_code: number | null;
      last_error: string | null;
      created_at: Date;
      updated_at: Date;
      delivered_at: Date | null;
    }>(
      organizationId,
      `SELECT id, event, url, status, attempts, last_status_code, last_error, created_at, updated_at, delivered_at
       FROM spend_webhook_deliveries WHERE organization_id = $1 ORDER BY created_at DESC, id LIMIT $2`,
      [limit],
    );
    return rows.map((r) => ({
      id: r.id,
      event: r.event,
      url: r.url,
      status: r.status,
      attempts: r.attempts,
      lastStatusCode: r.last_status_code,
      lastError: r.last_error,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      deliveredAt: r.delivered_at,
    }));
  }
}
