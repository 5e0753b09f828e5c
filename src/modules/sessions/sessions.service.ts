import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { PG_POOL } from '../../database/pg-pool';
import type { Session, SessionDevice } from './session.entity';
import { SessionRepository } from './session.repository';

export interface LiveSession {
  id: string;
  externalId: string;
  tokensUsed: number;
  tokenBudget: number | null;
  /** The organization's storeContent setting, read with the session to save a query. */
  storeContent: boolean;
}

interface LiveSessionRow {
  id: string;
  external_id: string;
  tokens_used: string;
  token_budget: string | null;
  store_content: boolean | null;
}

// Tenant and soft-delete conditions are explicit: this SQL runs outside the ORM and its filters.
const FIND_LIVE_SQL = `
  SELECT s.id, s.external_id, s.token_budget, (o.settings->>'storeContent')::boolean AS store_content,
    s.input_tokens + s.output_tokens + s.cache_read_tokens + s.cache_write5m_tokens + s.cache_write1h_tokens AS tokens_used
  FROM sessions s JOIN organizations o ON o.id = s.organization_id
  WHERE s.organization_id = $1 AND s.external_id = $2 AND s.deleted_at IS NULL AND s.released_at IS NULL`;

const CREATE_SQL = `
  INSERT INTO sessions (id, created_at, organization_id, user_id, external_id, device, token_budget, last_activity_at)
  SELECT $1, now(), $2, $3, $4, $5::jsonb, (o.settings->>'defaultSessionTokenBudget')::bigint, now()
  FROM organizations o WHERE o.id = $2
  ON CONFLICT (organization_id, external_id) WHERE deleted_at IS NULL AND released_at IS NULL DO NOTHING`;

@Injectable()
export class SessionsService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly sessions: SessionRepository,
  ) {}

  /**
   * A session of the current organization by UUID or external id, or null when it does not
   * exist, belongs to another organization, or was deleted (all look the same to the caller).
   */
  findVisible(idOrExternalId: string): Promise<Session | null> {
    return this.sessions.findByIdOrExternalId(idOrExternalId);
  }

  /**
   * For the proxy's hot path, in plain SQL: the organization's live session with this external
   * id, created on first use. Race-safe:
   * concurrent first calls insert at most one row (the partial unique index) and all read it back.
   */
  async findOrCreateLive(
    organizationId: string,
    userId: string,
    externalId: string,
    device: SessionDevice,
  ): Promise<LiveSession> {
    const found = await this.findLive(organizationId, externalId);
    if (found) return found;
    await this.pool.query(CREATE_SQL, [randomUUID(), organizationId, userId, externalId, JSON.stringify(device)]);
    const created = await this.findLive(organizationId, externalId);
    if (!created) throw new Error('session vanished right after creation');
    return created;
  }

  private async findLive(organizationId: string, externalId: string): Promise<LiveSession | null> {
    const { rows } = await this.pool.query<LiveSessionRow>(FIND_LIVE_SQL, [organizationId, externalId]);
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      externalId: row.external_id,
      tokensUsed: Number(row.tokens_used),
      tokenBudget: row.token_budget === null ? null : Number(row.token_budget),
      storeContent: row.store_content !== false,
    };
  }
}
