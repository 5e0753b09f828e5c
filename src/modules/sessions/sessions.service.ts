import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { PG_POOL } from '../../database/pg-pool';
import { ExpiringCache, OUTAGE_FALLBACK_MAX_AGE_MS, readOrLastKnown } from '../../common/cache/expiring-cache';
import { isDatabaseUnavailable } from '../../common/errors/error-response';
import { CacheInvalidation, SESSION_CACHE_TOPIC } from '../../database/cache-invalidation';
import { Role, roleAtLeast } from '../organizations/membership.entity';
import { User } from '../users/user.entity';
import type {
  ListSessionsQueryDto,
  SessionDeviceDto,
  SessionListResponseDto,
  SessionResponseDto,
  UpdateSessionDto,
} from './dto/session.dto';
import { encodeCursor, parseBefore } from './session-cursor';
import { type Session, type SessionDevice, tokensUsed } from './session.entity';
import { SessionRepository, type SessionListFilter, type SessionSummary } from './session.repository';
import { SessionErrors } from './sessions.errors';

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

const DEFAULT_PAGE_SIZE = 100;

/** How long a live session without a token budget is answered from memory (any change drops it at once). */
const SESSION_CACHE_TTL_MS = 30_000;
const UNKNOWN = 'unknown';

/**
 * Sessions of the current organization: found or created on the proxy's hot path, listed, read
 * and changed. Members read every session; a session is changed by its creator or an admin.
 */
@Injectable()
export class SessionsService {
  /**
   * `<organization id> <external id>` → the live session, for the proxy's hot path. Only sessions
   * without a token budget are kept (a budget check must see the usage every instance recorded),
   * and only while invalidations are received; a release, delete, restore, budget or settings
   * change, here or anywhere, drops the organization's entries (migration session_cache_invalidation).
   */
  private readonly live: ExpiringCache<LiveSession & { organizationId: string }>;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly em: EntityManager,
    private readonly sessions: SessionRepository,
    private readonly invalidation: CacheInvalidation,
  ) {
    this.live = invalidation.cache(SESSION_CACHE_TOPIC, { ttlMs: SESSION_CACHE_TTL_MS, maxEntries: 50_000, owner: (entry) => entry.organizationId });
  }

  /** After a committed change to a session of this organization: this instance forgets its live sessions at once. */
  private forgetLive(organizationId: string): Promise<void> {
    return this.invalidation.publish(SESSION_CACHE_TOPIC, organizationId);
  }

  /**
   * A session of the current organization by UUID or external id, or null when it does not
   * exist, belongs to another organization, or was deleted (all look the same to the caller).
   */
  findVisible(idOrExternalId: string): Promise<Session | null> {
    return this.sessions.findByIdOrExternalId(idOrExternalId);
  }

  /** As findVisible, or SESSION_NOT_FOUND. */
  async getVisible(idOrExternalId: string): Promise<Session> {
    const session = await this.findVisible(idOrExternalId);
    if (!session) throw SessionErrors.notFound();
    return session;
  }

  /** Newest first, by cursor (`before`) or by `offset`; the list envelope. */
  async list(organization: OrganizationContext, query: ListSessionsQueryDto): Promise<SessionListResponseDto> {
    if (query.before !== undefined && query.offset !== undefined) throw SessionErrors.cursorWithOffset();
    const start = query.before === undefined ? undefined : (parseBefore(query.before) ?? undefined);
    if (query.before !== undefined && !start) throw SessionErrors.invalidCursor();
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const filter: SessionListFilter = {
      organizationId: organization.organizationId,
      externalId: query.externalId,
      q: query.q,
      createdAfter: query.createdAfter,
      createdBefore: query.createdBefore,
    };
    const rows = await this.sessions.listPage(filter, { limit, start, offset: query.offset });
    const page = rows.slice(0, limit);
    const response: SessionListResponseDto = { object: 'list', data: page.map(toSessionResponse) };
    const last = page.at(-1);
    if (rows.length > limit && last) response.nextCursor = encodeCursor({ createdAt: last.createdAtKey, id: last.id });
    if (query.offset !== undefined) response.totalCount = await this.sessions.countMatching(filter);
    return response;
  }

  async get(idOrExternalId: string): Promise<SessionResponseDto> {
    return toSessionResponse(await this.getVisible(idOrExternalId));
  }

  async update(
    organization: OrganizationContext,
    principal: Principal,
    idOrExternalId: string,
    dto: UpdateSessionDto,
  ): Promise<SessionResponseDto> {
    if (dto.title === undefined && dto.tokenBudget === undefined) throw SessionErrors.emptyUpdate();
    const session = await this.getVisible(idOrExternalId);
    assertMayChange(session, organization, principal);
    if (dto.title !== undefined) session.title = dto.title;
    if (dto.tokenBudget !== undefined) session.tokenBudget = dto.tokenBudget;
    await this.em.flush();
    if (dto.tokenBudget !== undefined) await this.forgetLive(session.organization.id);
    return toSessionResponse(session);
  }

  /** Soft delete, idempotent: deleting a deleted session changes nothing and still succeeds. */
  async delete(organization: OrganizationContext, principal: Principal, idOrExternalId: string, now = new Date()): Promise<void> {
    const session = await this.sessions.findIncludingDeleted(idOrExternalId);
    if (!session) throw SessionErrors.notFound();
    assertMayChange(session, organization, principal);
    if (session.deletedAt) return;
    session.deletedAt = now;
    session.deletedBy = this.em.getReference(User, principal.userId);
    await this.em.flush();
    await this.forgetLive(session.organization.id);
  }

  /**
   * Undoes a delete (admins). A session that is not deleted is returned as it is. When a newer
   * open session took the external id meanwhile, the restored one comes back released, so the
   * open one keeps the id and the proxy's routing does not change.
   */
  async restore(idOrExternalId: string, now = new Date()): Promise<SessionResponseDto> {
    const session = await this.sessions.findDeleted(idOrExternalId);
    if (!session) return this.get(idOrExternalId);
    if (!session.releasedAt && (await this.sessions.openSessionHolds(session.externalId, session.id))) session.releasedAt = now;
    session.deletedAt = null;
    session.deletedBy = null;
    try {
      await this.em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw SessionErrors.externalIdTaken();
      throw error;
    }
    await this.forgetLive(session.organization.id);
    return toSessionResponse(session);
  }

  /** Closes the session: the next proxied call with its external id opens a new one. Idempotent. */
  async release(
    organization: OrganizationContext,
    principal: Principal,
    idOrExternalId: string,
    now = new Date(),
  ): Promise<SessionResponseDto> {
    const session = await this.getVisible(idOrExternalId);
    assertMayChange(session, organization, principal);
    if (!session.releasedAt) {
      session.releasedAt = now;
      await this.em.flush();
      await this.forgetLive(session.organization.id);
    }
    return toSessionResponse(session);
  }

  /**
   * For the proxy's hot path, in plain SQL (or from memory, see `live`): the organization's live
   * session with this external id, created on first use. Race-safe: concurrent first calls
   * insert at most one row (the partial unique index) and all read it back.
   */
  async findOrCreateLive(
    organizationId: string,
    userId: string,
    externalId: string,
    device: SessionDevice,
  ): Promise<LiveSession> {
    const key = `${organizationId} ${externalId}`;
    const cached = this.live.get(key);
    if (cached) return cached;
    const version = this.live.version;
    // The database is away: a session used here recently keeps serving (see OUTAGE_FALLBACK_MAX_AGE_MS).
    return readOrLastKnown(
      () => this.readOrCreateLive(key, version, organizationId, userId, externalId, device),
      () => this.live.lastKnown(key, OUTAGE_FALLBACK_MAX_AGE_MS),
      isDatabaseUnavailable,
    );
  }

  private async readOrCreateLive(
    key: string,
    version: number,
    organizationId: string,
    userId: string,
    externalId: string,
    device: SessionDevice,
  ): Promise<LiveSession> {
    let session = await this.findLive(organizationId, externalId);
    if (!session) {
      await this.pool.query(CREATE_SQL, [randomUUID(), organizationId, userId, externalId, JSON.stringify(device)]);
      session = await this.findLive(organizationId, externalId);
      if (!session) throw new Error('session vanished right after creation');
    }
    if (session.tokenBudget === null) this.live.set(key, { ...session, organizationId }, version);
    return session;
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

/** The session's creator may change it, and so may an organization's admins and owners (not API keys: they have no role). */
function assertMayChange(session: Session, organization: OrganizationContext, principal: Principal): void {
  if (organization.role && roleAtLeast(organization.role, Role.Admin)) return;
  if (session.user.id === principal.userId) return;
  throw SessionErrors.notCreator();
}

/** Every device field present, "unknown" where the client said nothing. */
function completeDevice(device: Partial<SessionDevice> | null | undefined): SessionDeviceDto {
  const field = (value: unknown) => (typeof value === 'string' && value.trim() ? value : UNKNOWN);
  return {
    id: field(device?.id),
    platform: field(device?.platform),
    type: field(device?.type),
    name: field(device?.name),
    osVersion: field(device?.osVersion),
  };
}

export function toSessionResponse(session: SessionSummary): SessionResponseDto {
  return {
    id: session.id,
    organization: session.organization.id,
    user: session.user.id,
    device: completeDevice(session.device),
    createdAt: session.createdAt.toISOString(),
    releasedAt: session.releasedAt?.toISOString() ?? null,
    externalId: session.externalId,
    title: session.title ?? null,
    taskCount: session.requestCount,
    tokensUsed: tokensUsed(session),
    tokenBudget: session.tokenBudget ?? null,
    lastActivityAt: session.lastActivityAt.toISOString(),
    costUsd: session.costNanoUsd / 1e9,
    costNanoUsd: session.costNanoUsd,
    unpricedRequests: session.unpricedRequests,
    inputTokens: session.inputTokens,
    outputTokens: session.outputTokens,
    cacheReadTokens: session.cacheReadTokens,
    cacheWrite5mTokens: session.cacheWrite5mTokens,
    cacheWrite1hTokens: session.cacheWrite1hTokens,
  };
}
