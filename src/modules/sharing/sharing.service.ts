import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import type { OrganizationContext } from '../../common/auth/principal';
import { TENANT_FILTER, type TenantFilterArgs } from '../../database/base.entity';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { AnalyticsService } from '../analytics/analytics.service';
import { Clock } from '../analytics/clock';
import type { Interaction } from '../recording/interaction.entity';
import type { Session } from '../sessions/session.entity';
import { SessionsService } from '../sessions/sessions.service';
import type {
  CreateShareLinkDto,
  SharedSessionQueryDto,
  SharedSessionResponseDto,
  ShareLinkResponseDto,
  ShareRemovedResponseDto,
  ShareStatusResponseDto,
} from './dto/sharing.dto';
import { ShareLink } from './share-link.entity';
import { ShareLinkRepository } from './share-link.repository';
import { renderSharePage, type SharePageInteraction } from './share-page.template';
import { ShareTokens } from './share-tokens';
import { SharingErrors } from './sharing.errors';

const SHARED_VIEW_DEFAULT_LIMIT = 1000;
/** The page shows at most this many calls (and their transcript). */
const SHARE_PAGE_MAX_INTERACTIONS = 500;

/**
 * Public links to sessions. Any member may share a session of the organization (API keys need
 * `write` to create or remove a link, `read` to see it); one live link per session. Viewers see
 * usage, and the user queries and final outputs only where the link includes content; never an
 * organization, user, key or internal session id.
 */
@Injectable()
export class SharingService {
  constructor(
    private readonly em: EntityManager,
    private readonly links: ShareLinkRepository,
    private readonly tokens: ShareTokens,
    private readonly sessions: SessionsService,
    private readonly analytics: AnalyticsService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The session's live link, made now if it has none. `created` tells the two apart. */
  async create(
    organization: OrganizationContext,
    userId: string,
    idOrExternalId: string,
    dto: CreateShareLinkDto,
    origin: string,
  ): Promise<{ created: boolean; link: ShareLinkResponseDto }> {
    const now = this.clock.now();
    const session = await this.requireSession(idOrExternalId);
    if (!(await this.links.sharingEnabled(organization.organizationId))) throw SharingErrors.sharingDisabled();
    return this.em.transactional(async (em) => {
      await this.links.lockSession(session.id);
      const existing = await this.links.findLive(session.id, now);
      if (existing) return { created: false, link: this.toLinkResponse(existing, origin) };
      const link = em.create(ShareLink, {
        organization: organization.organizationId,
        session: session.id,
        token: this.tokens.generate(),
        includeContent: dto.include_content ?? false,
        expiresAt: dto.expires_in_seconds ? new Date(now.getTime() + dto.expires_in_seconds * 1000) : null,
        createdBy: userId,
        createdAt: now,
      });
      await em.flush();
      return { created: true, link: this.toLinkResponse(link, origin) };
    });
  }

  /** Whether the session has a link that resolves now; with sharing turned off, none does. */
  async status(organization: OrganizationContext, idOrExternalId: string, origin: string): Promise<ShareStatusResponseDto> {
    const now = this.clock.now();
    const session = await this.requireSession(idOrExternalId);
    if (!(await this.links.sharingEnabled(organization.organizationId))) return { is_shared: false };
    const link = await this.links.findLive(session.id, now);
    if (!link) return { is_shared: false };
    const { share_token, share_url, created_at, expires_at, include_content } = this.toLinkResponse(link, origin);
    return { is_shared: true, share_token, share_url, shared_at: created_at, expires_at, include_content };
  }

  /** Revokes the session's links; idempotent (a session that is not shared answers the same). */
  async remove(idOrExternalId: string): Promise<ShareRemovedResponseDto> {
    const now = this.clock.now();
    const session = await this.requireSession(idOrExternalId);
    await this.links.revokeAll(session.id, now);
    return { message: 'Sharing removed successfully', session_uuid: session.id };
  }

  /** Seed 000's public view of a shared session. */
  async viewShared(token: string, query: SharedSessionQueryDto): Promise<SharedSessionResponseDto> {
    const { link, session } = await this.resolvePublic(token);
    const page = { limit: query.limit ?? SHARED_VIEW_DEFAULT_LIMIT, offset: query.offset ?? 0 };
    const interactions = await this.analytics.sessionInteractions(session.id, page, link.includeContent);
    return {
      session: {
        session_id: session.externalId,
        start_time: session.createdAt.toISOString(),
        end_time: session.lastActivityAt.toISOString(),
        total_requests: session.requestCount,
        total_input_tokens: session.inputTokens,
        total_output_tokens: session.outputTokens,
      },
      interactions: interactions.map((i) => ({
        timestamp: i.startedAt.toISOString(),
        model: i.model,
        input_tokens: i.inputTokens,
        output_tokens: i.outputTokens,
        ...(link.includeContent ? { user_query: i.userQuery ?? null, final_output: i.finalOutput ?? null } : {}),
      })),
    };
  }

  /** The HTML share page of a token. */
  async renderPage(token: string): Promise<string> {
    const { link, session } = await this.resolvePublic(token);
    const interactions = await this.analytics.sessionInteractions(
      session.id,
      { limit: SHARE_PAGE_MAX_INTERACTIONS, offset: 0 },
      link.includeContent,
    );
    return renderSharePage({
      sessionId: session.externalId,
      title: session.title ?? null,
      startTime: session.createdAt,
      endTime: session.lastActivityAt,
      totals: {
        requests: session.requestCount,
        inputTokens: session.inputTokens,
        outputTokens: session.outputTokens,
        cacheReadTokens: session.cacheReadTokens,
        cacheWrite5mTokens: session.cacheWrite5mTokens,
        cacheWrite1hTokens: session.cacheWrite1hTokens,
        costNanoUsd: BigInt(session.costNanoUsd),
        unpricedRequests: session.unpricedRequests,
      },
      interactions: interactions.map((i) => toPageInteraction(i, link.includeContent)),
      totalInteractions: session.requestCount,
      includeContent: link.includeContent,
      expiresAt: link.expiresAt ?? null,
    });
  }

  /**
   * The link and session behind a public token. An unknown, revoked or expired token, a deleted
   * session or organization, and sharing turned off all answer the same 404. The tenant filter
   * is armed for the link's organization for the rest of this request.
   */
  private async resolvePublic(token: string): Promise<{ link: ShareLink; session: Session }> {
    const now = this.clock.now();
    if (!ShareTokens.looksLikeToken(token)) throw SharingErrors.sharedSessionNotFound();
    const link = await this.links.findByTokenForPublicView(token);
    if (!link || link.revokedAt || (link.expiresAt && link.expiresAt <= now)) throw SharingErrors.sharedSessionNotFound();
    if (link.organization.settings?.sharingEnabled === false) throw SharingErrors.sharedSessionNotFound();
    this.em.setFilterParams(TENANT_FILTER, { organizationId: link.organization.id } satisfies TenantFilterArgs);
    const session = await this.sessions.findVisible(link.session.id);
    // findVisible also matches external ids: only the linked session itself will do.
    if (!session || session.id !== link.session.id) throw SharingErrors.sharedSessionNotFound();
    return { link, session };
  }

  private async requireSession(idOrExternalId: string): Promise<Session> {
    const session = await this.sessions.findVisible(idOrExternalId);
    if (!session) throw SharingErrors.sessionNotFound();
    return session;
  }

  private toLinkResponse(link: ShareLink, origin: string): ShareLinkResponseDto {
    return {
      share_token: link.token,
      share_url: `${this.config.publicBaseUrl ?? origin}/shared/${link.token}`,
      created_at: link.createdAt.toISOString(),
      expires_at: link.expiresAt?.toISOString() ?? null,
      include_content: link.includeContent,
    };
  }
}

function toPageInteraction(i: Interaction, withText: boolean): SharePageInteraction {
  return {
    timestamp: i.startedAt,
    model: i.model,
    inputTokens: i.inputTokens,
    outputTokens: i.outputTokens,
    cacheReadTokens: i.cacheReadTokens,
    cacheWrite5mTokens: i.cacheWrite5mTokens,
    cacheWrite1hTokens: i.cacheWrite1hTokens,
    costNanoUsd: i.costTotalNanoUsd === null || i.costTotalNanoUsd === undefined ? null : BigInt(i.costTotalNanoUsd),
    latencyMs: i.latencyMs,
    outcome: i.outcome,
    ...(withText ? { userQuery: i.userQuery ?? null, finalOutput: i.finalOutput ?? null } : {}),
  };
}
