import { Injectable } from '@nestjs/common';
import {
  type AgentTotals,
  type CacheWriteOutcomes,
  type EarlierTurn,
  InteractionRepository,
  type InteractionView,
  type SessionCacheSums,
} from './interaction.repository';

/**
 * The recorded calls, for the modules that show them (sessions, analytics, sharing, tasks). Each
 * read names the organization first; whether the caller may see the session is decided by the
 * sessions module before it asks.
 */
@Injectable()
export class InteractionsService {
  constructor(private readonly interactions: InteractionRepository) {}

  /** Per agent of a session: calls, tokens per bucket, cost, first and last call. */
  agentsOfSession(organizationId: string, sessionId: string): Promise<AgentTotals[]> {
    return this.interactions.agents(organizationId, sessionId);
  }

  /** A session's calls, oldest first; content only when asked for. */
  pageOfSession(
    organizationId: string,
    sessionId: string,
    page: { limit: number; offset: number; withContent: boolean },
  ): Promise<InteractionView[]> {
    return this.interactions.page(organizationId, sessionId, page);
  }

  /** The next `size` calls of a session after a (started_at, id) position (keyset paging, for exports). */
  pageOfSessionAfter(
    organizationId: string,
    sessionId: string,
    after: { startedAtKey: string; id: string } | null,
    size: number,
    withContent: boolean,
  ): Promise<InteractionView[]> {
    return this.interactions.pageAfter(organizationId, sessionId, after, size, withContent);
  }

  countOfSession(organizationId: string, sessionId: string): Promise<number> {
    return this.interactions.count(organizationId, sessionId);
  }

  find(organizationId: string, id: string): Promise<InteractionView | null> {
    return this.interactions.find(organizationId, id);
  }

  earlierTurns(organizationId: string, sessionId: string, max: number): Promise<EarlierTurn[]> {
    return this.interactions.earlierTurns(organizationId, sessionId, max);
  }

  /** Recorded spend in [from, to) per API key and per member (spend-limit reports). */
  spendByKeyAndMember(
    organizationId: string,
    from: Date,
    to: Date,
  ): Promise<{ apiKeyId: string | null; userId: string | null; nanoUsd: number; calls: number; unpriced: number }[]> {
    return this.interactions.spendByKeyAndMember(organizationId, from, to);
  }

  cacheWriteOutcomesInRange(
    organizationId: string,
    range: { start: number; end: number },
    now: number,
  ): Promise<CacheWriteOutcomes> {
    return this.interactions.cacheWriteOutcomesInRange(organizationId, range, now);
  }

  cacheWriteOutcomesOfSession(organizationId: string, sessionId: string, now: number): Promise<CacheWriteOutcomes> {
    return this.interactions.sessionCacheWriteOutcomes(organizationId, sessionId, now);
  }

  cacheSumsOfSession(organizationId: string, sessionId: string): Promise<SessionCacheSums> {
    return this.interactions.sessionCacheSums(organizationId, sessionId);
  }
}

export type { AgentTotals, CacheWriteOutcomes, EarlierTurn, InteractionView, SessionCacheSums };
