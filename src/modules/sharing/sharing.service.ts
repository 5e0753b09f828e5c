import { EntityManager } from '@mikro-orm/postgresql';
import { SessionHistoryService } from '../sessions/session-history.service';
import { personalText } from '../../common/text/personal-text';
import { Inject, Injectable } from '@nestjs/common';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { AnalyticsService } from '../analytics/analytics.service';
import { Clock } from '../../common/time/clock.service';
import { Role, roleAtLeast } from '../organizations/membership.entity';
import { InteractionsService, type InteractionView } from '../recording/interactions.service';
import { OrganizationSettingsService } from '../organizations/organization-settings.service';
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
import { ShareTokenVault } from './share-token-vault.service';
import { ShareTokens } from './share-tokens.service';
import { SharingErrors } from './sharing.errors';

const SHARED_VIEW_DEFAULT_LIMIT = 1000;
/** The page shows at most this many calls (and their transcript). */
const SHARE_PAGE_MAX_INTERACTIONS = 500;

/**
 * Public links to sessions. Publishing is a change: a session's admins and owners may share or
 * unshare it, and so may its creator while the organization lets members share (API keys act as
 * their creator's sessions and need `write` to create or remove a link, `read` to see it); one
 * live link per session. The token is shown only to those who may share the session. Viewers see
 * usage, and the user queries and final outputs only where the link includes content; never an
 * organization, user, key or internal session id.
 */
@Injectable()
export class SharingService {
  constructor(
    private readonly em: EntityManager,
    private readonly links: ShareLinkRepository,
    private readonly tokens: ShareTokens,
    private readonly vault: ShareTokenVault,
    private readonly sessions: SessionsService,
    private readonly history: SessionHistoryService,
    private readonly analytics: AnalyticsService,
    private readonly interactions: InteractionsService,
    private readonly organizationSettings: OrganizationSettingsService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The session's live link, made now if it has none. `created` tells the two apart. */
  async create(
    organization: OrganizationContext,
    principal: Principal,
    idOrExternalId: string,
    dto: CreateShareLinkDto,
    origin: string,
  ): Promise<{ created: boolean; link: ShareLinkResponseDto }> {
    const now = this.clock.now();
    const session = await this.requireSession(organization.organizationId, idOrExternalId);
    const settings = await this.sharingSettings(organization.organizationId);
    if (!settings.enabled) throw SharingErrors.sharingDisabled();
    if (!mayShare(session, organization, principal, settings.membersMayShare)) throw SharingErrors.notAllowedToShare();
    return this.em.transactional(async (em) => {
      await this.links.lockSession(session.id);
      const existing = await this.links.findLive(organization.organizationId, session.id, now);
      const shown = existing && this.toLinkResponse(existing, origin);
      if (shown) return { created: false, link: shown };
      // A live link whose token was never kept (made before tokens were encrypted) is replaced.
      if (existing) existing.revokedAt = now;
      const token = this.tokens.generate();
      const link = em.create(ShareLink, {
        organization: organization.organizationId,
        session: session.id,
        tokenDigest: ShareTokenVault.digest(token),
        includeContent: dto.include_content ?? false,
        expiresAt: dto.expires_in_seconds ? new Date(now.getTime() + dto.expires_in_seconds * 1000) : null,
        createdBy: principal.userId,
        createdAt: now,
      });
      link.tokenCiphertext = this.vault.seal(token, organization.organizationId, link.id);
      await em.flush();
      return { created: true, link: this.linkResponse(link, token, origin) };
    });
  }

  /** Whether the session has a link that resolves now; with sharing turned off, none does. */
  async status(
    organization: OrganizationContext,
    principal: Principal,
    idOrExternalId: string,
    origin: string,
  ): Promise<ShareStatusResponseDto> {
    const now = this.clock.now();
    const session = await this.requireSession(organization.organizationId, idOrExternalId);
    const settings = await this.sharingSettings(organization.organizationId);
    if (!settings.enabled) return { is_shared: false };
    const link = await this.links.findLive(organization.organizationId, session.id, now);
    if (!link) return { is_shared: false };
    const shown = mayShare(session, organization, principal, settings.membersMayShare)
      ? this.toLinkResponse(link, origin)
      : null;
    // Whoever may not share the session may know it is shared, but not by which token.
    const secret = shown ? { share_token: shown.share_token, share_url: shown.share_url } : {};
    return {
      is_shared: true,
      ...secret,
      shared_at: link.createdAt.toISOString(),
      expires_at: link.expiresAt?.toISOString() ?? null,
      include_content: link.includeContent,
    };
  }

  /** Revokes the session's links; idempotent (a session that is not shared answers the same). */
  async remove(
    organization: OrganizationContext,
    principal: Principal,
    idOrExternalId: string,
  ): Promise<ShareRemovedResponseDto> {
    const now = this.clock.now();
    const session = await this.requireSession(organization.organizationId, idOrExternalId);
    const settings = await this.sharingSettings(organization.organizationId);
    if (!mayShare(session, organization, principal, settings.membersMayShare)) throw SharingErrors.notAllowedToShare();
    await this.links.revokeAll(organization.organizationId, session.id, now);
    return { message: 'Sharing removed successfully', session_uuid: session.id };
  }

  /** The public view of a shared session. */
  async viewShared(token: string, query: SharedSessionQueryDto): Promise<SharedSessionResponseDto> {
    const { link, session } = await this.resolvePublic(token);
    const page = { limit: query.limit ?? SHARED_VIEW_DEFAULT_LIMIT, offset: query.offset ?? 0 };
    const interactions = await this.interactions.pageOfSession(link.organization.id, session.id, {
      ...page,
      withContent: false,
    });
    const cache = await this.analytics.sessionCache(link.organization.id, session.id);
    const agents = await this.history.agents(link.organization.id, session.id);
    return {
      cache,
      agents: agents.map((a) => ({
        agent_id: a.agentId,
        parent_agent_id: a.parentAgentId,
        calls: a.calls,
        input_tokens: a.inputTokens,
        output_tokens: a.outputTokens,
        cost_usd: a.costUsd,
      })),
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
        ...(link.includeContent ? { user_query: publicQuery(i.userQuery), final_output: i.finalOutput ?? null } : {}),
      })),
    };
  }

  /** The HTML share page of a token. */
  async renderPage(token: string): Promise<string> {
    const { link, session } = await this.resolvePublic(token);
    const interactions = await this.interactions.pageOfSession(link.organization.id, session.id, {
      limit: SHARE_PAGE_MAX_INTERACTIONS,
      offset: 0,
      withContent: false,
    });
    const cache = await this.analytics.sessionCache(link.organization.id, session.id);
    const agents = await this.history.agents(link.organization.id, session.id);
    return renderSharePage({
      cache,
      agents: agents.map((a) => ({
        agentId: a.agentId,
        parentAgentId: a.parentAgentId,
        calls: a.calls,
        tokens: a.inputTokens + a.outputTokens + a.cacheReadTokens + a.cacheWrite5mTokens + a.cacheWrite1hTokens,
        costNanoUsd: BigInt(a.costNanoUsd),
      })),
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
   * session or organization, and sharing turned off all answer the same 404. Every read that
   * follows names the link's organization.
   */
  private async resolvePublic(token: string): Promise<{ link: ShareLink; session: Session }> {
    const now = this.clock.now();
    if (!ShareTokens.looksLikeToken(token)) throw SharingErrors.sharedSessionNotFound();
    const link = await this.links.findByDigestForPublicView(ShareTokenVault.digest(token));
    if (!link || link.revokedAt || (link.expiresAt && link.expiresAt <= now))
      throw SharingErrors.sharedSessionNotFound();
    if (link.organization.settings?.sharingEnabled === false) throw SharingErrors.sharedSessionNotFound();
    const session = await this.sessions.findVisible(link.organization.id, link.session.id);
    // findVisible also matches external ids: only the linked session itself will do.
    if (!session || session.id !== link.session.id) throw SharingErrors.sharedSessionNotFound();
    return { link, session };
  }

  /** Sharing settings: sharingEnabled and memberSharingEnabled (each on unless set to false). */
  private async sharingSettings(organizationId: string): Promise<{ enabled: boolean; membersMayShare: boolean }> {
    const settings = await this.organizationSettings.get(organizationId);
    return { enabled: settings.sharingEnabled, membersMayShare: settings.memberSharingEnabled };
  }

  private async requireSession(organizationId: string, idOrExternalId: string): Promise<Session> {
    const session = await this.sessions.findVisible(organizationId, idOrExternalId);
    if (!session) throw SharingErrors.sessionNotFound();
    return session;
  }

  /** The link as its sharer sees it, or null when its token was never kept. */
  private toLinkResponse(link: ShareLink, origin: string): ShareLinkResponseDto | null {
    const token = this.vault.open(link.tokenCiphertext, link.organization.id, link.id);
    return token === null ? null : this.linkResponse(link, token, origin);
  }

  private linkResponse(link: ShareLink, token: string, origin: string): ShareLinkResponseDto {
    return {
      share_token: token,
      share_url: `${this.config.publicBaseUrl ?? origin}/shared/${token}`,
      created_at: link.createdAt.toISOString(),
      expires_at: link.expiresAt?.toISOString() ?? null,
      include_content: link.includeContent,
    };
  }
}

/**
 * Admins and owners may share any session of the organization; its creator may share it while
 * members may share. An API key has no role: it acts for its creator, on the sessions they made.
 */
function mayShare(
  session: Session,
  organization: OrganizationContext,
  principal: Principal,
  membersMayShare: boolean,
): boolean {
  if (organization.role && roleAtLeast(organization.role, Role.Admin)) return true;
  if (session.user.id !== principal.userId) return false;
  return principal.kind === 'apiKey' || membersMayShare;
}

function toPageInteraction(i: InteractionView, withText: boolean): SharePageInteraction {
  return {
    timestamp: i.startedAt,
    model: i.model,
    inputTokens: i.inputTokens,
    outputTokens: i.outputTokens,
    cacheReadTokens: i.cacheReadTokens,
    cacheWrite5mTokens: i.cacheWrite5mTokens,
    cacheWrite1hTokens: i.cacheWrite1hTokens,
    costNanoUsd: i.cost ? BigInt(i.cost.totalNanoUsd) : null,
    latencyMs: i.latencyMs,
    outcome: i.outcome,
    ...(withText ? { userQuery: publicQuery(i.userQuery), finalOutput: i.finalOutput ?? null } : {}),
  };
}

/** A query as a public link shows it: never what a coding agent injected (calls recorded before queries were cleaned included). */
function publicQuery(query: string | null | undefined): string | null {
  return query ? personalText(query) || null : null;
}
