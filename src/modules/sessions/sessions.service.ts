import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Clock } from '../../common/time/clock.service';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
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
import {
  decodeSortedCursor,
  encodeCursor,
  encodeSortedCursor,
  type PageStart,
  parseBefore,
  type SortedCursor,
} from './session-cursor';
import { type Session, type SessionDevice, tokensUsed } from './session.entity';
import { OrganizationSettingsService } from '../organizations/organization-settings.service';
import { LiveSessionRepository } from './live-session.repository';
import {
  SessionRepository,
  type SessionListFilter,
  type SessionSortKey,
  type SessionSummary,
} from './session.repository';
import { SessionErrors } from './sessions.errors';

export interface LiveSession {
  id: string;
  externalId: string;
  tokensUsed: number;
  tokenBudget: number | null;
  /** The organization's storeContent setting (organization settings), kept with the session. */
  storeContent: boolean;
}

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
    private readonly em: EntityManager,
    private readonly sessions: SessionRepository,
    private readonly liveSessions: LiveSessionRepository,
    private readonly organizationSettings: OrganizationSettingsService,
    private readonly invalidation: CacheInvalidation,
    private readonly clock: Clock,
  ) {
    this.live = invalidation.cache(SESSION_CACHE_TOPIC, {
      ttlMs: SESSION_CACHE_TTL_MS,
      maxEntries: 50_000,
      owner: (entry) => entry.organizationId,
    });
  }

  /**
   * Writes a change to sessions of this organization that the proxy's live-session caches depend
   * on, announcing it in the same transaction (every instance drops the organization's live
   * sessions on commit); then this instance forgets them at once.
   */
  private async flushAnnounced(organizationId: string): Promise<void> {
    await this.em.transactional(async () => {
      await this.em.flush();
      await this.invalidation.announce(this.em, SESSION_CACHE_TOPIC, organizationId);
    });
    this.invalidation.clearLocal(SESSION_CACHE_TOPIC, organizationId);
  }

  /**
   * A session of the current organization by UUID or external id, or null when it does not
   * exist, belongs to another organization, or was deleted (all look the same to the caller).
   */
  findVisible(organizationId: string, idOrExternalId: string): Promise<Session | null> {
    return this.sessions.findByIdOrExternalId(organizationId, idOrExternalId);
  }

  /** As findVisible, or SESSION_NOT_FOUND. */
  async getVisible(organizationId: string, idOrExternalId: string): Promise<Session> {
    const session = await this.findVisible(organizationId, idOrExternalId);
    if (!session) throw SessionErrors.notFound();
    return session;
  }

  /**
   * Newest first (or by cost or tokens), by cursor (`before`) or by `offset`; the list envelope.
   * The deleted sessions are listed for admins only.
   */
  async list(organization: OrganizationContext, query: ListSessionsQueryDto): Promise<SessionListResponseDto> {
    if (query.before !== undefined && query.offset !== undefined) throw SessionErrors.cursorWithOffset();
    const deleted = query.deleted === 'true';
    if (deleted && !(organization.role && roleAtLeast(organization.role, Role.Admin)))
      throw SessionErrors.deletedForAdmins();
    const sort = query.sort === 'cost' || query.sort === 'tokens' ? query.sort : undefined;
    let start: PageStart | undefined;
    let sorted: SortedCursor | undefined;
    if (query.before !== undefined) {
      if (sort) sorted = decodeSortedCursor(query.before, sort) ?? undefined;
      else start = parseBefore(query.before) ?? undefined;
      if (!start && !sorted) throw SessionErrors.invalidCursor();
    }
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const filter: SessionListFilter = {
      organizationId: organization.organizationId,
      externalId: query.externalId,
      q: query.q,
      createdAfter: query.createdAfter,
      createdBefore: query.createdBefore,
      userId: query.user?.toLowerCase(),
      model: query.model,
      outcome: query.outcome,
      agent: query.agent,
      deleted: deleted || undefined,
    };
    const rows = await this.sessions.listPage(filter, {
      limit,
      sort: sort ?? 'createdAt',
      start,
      sorted,
      offset: query.offset,
    });
    const page = rows.slice(0, limit);
    const response: SessionListResponseDto = { object: 'list', data: page.map(toSessionResponse) };
    const last = page.at(-1);
    if (rows.length > limit && last)
      response.nextCursor = sort
        ? encodeSortedCursor({ sort, value: last.sortValue, id: last.id })
        : encodeCursor({ createdAt: last.createdAtKey, id: last.id });
    if (query.offset !== undefined) response.totalCount = await this.sessions.countMatching(filter);
    return response;
  }

  /** A page of the organization's live sessions by start time, cost or tokens, with their number (analytics). */
  pageSorted(
    organizationId: string,
    page: { limit: number; offset: number; sort: SessionSortKey; descending: boolean },
  ): Promise<{ rows: SessionSummary[]; totalCount: number }> {
    return this.sessions.pageSorted(organizationId, page);
  }

  async get(organizationId: string, idOrExternalId: string): Promise<SessionResponseDto> {
    return toSessionResponse(await this.getVisible(organizationId, idOrExternalId));
  }

  async update(
    organization: OrganizationContext,
    principal: Principal,
    idOrExternalId: string,
    dto: UpdateSessionDto,
  ): Promise<SessionResponseDto> {
    if (dto.title === undefined && dto.tokenBudget === undefined) throw SessionErrors.emptyUpdate();
    const session = await this.getVisible(organization.organizationId, idOrExternalId);
    assertMayChange(session, organization, principal);
    if (dto.title !== undefined) session.title = dto.title;
    if (dto.tokenBudget !== undefined) session.tokenBudget = dto.tokenBudget;
    if (dto.tokenBudget !== undefined) await this.flushAnnounced(session.organization.id);
    else await this.em.flush();
    return toSessionResponse(session);
  }

  /** Soft delete, idempotent: deleting a deleted session changes nothing and still succeeds. */
  async delete(
    organization: OrganizationContext,
    principal: Principal,
    idOrExternalId: string,
    now = this.clock.now(),
  ): Promise<void> {
    const session = await this.sessions.findIncludingDeleted(organization.organizationId, idOrExternalId);
    if (!session) throw SessionErrors.notFound();
    assertMayChange(session, organization, principal);
    if (session.deletedAt) return;
    session.deletedAt = now;
    session.deletedBy = this.em.getReference(User, principal.userId);
    await this.flushAnnounced(session.organization.id);
  }

  /**
   * Undoes a delete (admins). A session that is not deleted is returned as it is. When a newer
   * open session took the external id meanwhile, the restored one comes back released, so the
   * open one keeps the id and the proxy's routing does not change.
   */
  async restore(organizationId: string, idOrExternalId: string, now = this.clock.now()): Promise<SessionResponseDto> {
    const session = await this.sessions.findDeleted(organizationId, idOrExternalId);
    if (!session) return this.get(organizationId, idOrExternalId);
    if (!session.releasedAt && (await this.sessions.openSessionHolds(organizationId, session.externalId, session.id)))
      session.releasedAt = now;
    session.deletedAt = null;
    session.deletedBy = null;
    try {
      await this.flushAnnounced(session.organization.id);
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw SessionErrors.externalIdTaken();
      throw error;
    }
    return toSessionResponse(session);
  }

  /** Closes the session: the next proxied call with its external id opens a new one. Idempotent. */
  async release(
    organization: OrganizationContext,
    principal: Principal,
    idOrExternalId: string,
    now = this.clock.now(),
  ): Promise<SessionResponseDto> {
    const session = await this.getVisible(organization.organizationId, idOrExternalId);
    assertMayChange(session, organization, principal);
    if (!session.releasedAt) {
      session.releasedAt = now;
      await this.flushAnnounced(session.organization.id);
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
    const settings = await this.organizationSettings.get(organizationId);
    let row = await this.liveSessions.find(organizationId, externalId);
    if (!row) {
      if (!settings.exists) throw new Error('the organization of a proxied call no longer exists');
      await this.liveSessions.createIfAbsent(organizationId, {
        userId,
        externalId,
        device,
        tokenBudget: settings.defaultSessionTokenBudget,
      });
      row = await this.liveSessions.find(organizationId, externalId);
      if (!row) throw new Error('session vanished right after creation');
    }
    const session: LiveSession = { ...row, storeContent: settings.storeContent };
    if (session.tokenBudget === null) this.live.set(key, { ...session, organizationId }, version);
    return session;
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
    errorRequests: session.errorRequests,
    models: session.models,
    ...(session.deletedAt ? { deletedAt: session.deletedAt.toISOString() } : {}),
  };
}
