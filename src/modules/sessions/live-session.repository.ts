import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { PG_POOL } from '../../database/pg-pool';
import { TenantSql } from '../../database/tenant-sql';
import type { SessionDevice } from './session.entity';

/** A live session as the proxy's hot path needs it. */
export interface LiveSessionRow {
  id: string;
  externalId: string;
  tokensUsed: number;
  tokenBudget: number | null;
}

const FIND_LIVE_SQL = `
  SELECT s.id, s.external_id, s.token_budget,
    s.input_tokens + s.output_tokens + s.cache_read_tokens + s.cache_write5m_tokens + s.cache_write1h_tokens AS tokens_used
  FROM sessions s
  WHERE s.organization_id = $1 AND s.external_id = $2 AND s.deleted_at IS NULL AND s.released_at IS NULL`;

const CREATE_SQL = `
  INSERT INTO sessions (organization_id, id, created_at, user_id, external_id, device, token_budget, last_activity_at)
  VALUES ($1, $2, now(), $3, $4, $5::jsonb, $6, now())
  ON CONFLICT (organization_id, external_id) WHERE deleted_at IS NULL AND released_at IS NULL DO NOTHING`;

/**
 * The proxy's hot path on sessions, in plain SQL on the shared pool (outside the ORM's unit of
 * work), through the tenant SQL rule: the organization comes first.
 */
@Injectable()
export class LiveSessionRepository {
  private readonly sql: TenantSql;

  constructor(@Inject(PG_POOL) pool: Pool) {
    this.sql = TenantSql.overPool(pool);
  }

  /** The organization's open, live session with this external id. */
  async find(organizationId: string, externalId: string): Promise<LiveSessionRow | null> {
    const row = await this.sql.one<{
      id: string;
      external_id: string;
      tokens_used: string;
      token_budget: string | null;
    }>(organizationId, FIND_LIVE_SQL, [externalId]);
    if (!row) return null;
    return {
      id: row.id,
      externalId: row.external_id,
      tokensUsed: Number(row.tokens_used),
      tokenBudget: row.token_budget === null ? null : Number(row.token_budget),
    };
  }

  /**
   * Opens a session with this external id unless the organization has an open one already
   * (concurrent first calls insert at most one row: the partial unique index).
   */
  async createIfAbsent(
    organizationId: string,
    session: { userId: string; externalId: string; device: SessionDevice; tokenBudget: number | null },
  ): Promise<void> {
    await this.sql.run(organizationId, CREATE_SQL, [
      randomUUID(),
      session.userId,
      session.externalId,
      JSON.stringify(session.device),
      session.tokenBudget,
    ]);
  }
}
