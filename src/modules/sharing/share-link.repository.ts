import { EntityRepository } from '@mikro-orm/postgresql';
import { TENANT_FILTER, tenantFilter } from '../../database/base.entity';
import type { ShareLink } from './share-link.entity';

/**
 * Share links. Every query names the organization (first argument, and the tenant filter armed
 * for it) except the public lookup by token, where the token alone identifies the link and,
 * through it, its organization.
 */
export class ShareLinkRepository extends EntityRepository<ShareLink> {
  /** The session's live link (neither revoked nor expired), newest first. */
  findLive(organizationId: string, sessionId: string, now: Date): Promise<ShareLink | null> {
    return this.findOne(
      {
        organization: organizationId,
        session: sessionId,
        revokedAt: null,
        $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }],
      },
      { filters: tenantFilter(organizationId), orderBy: { createdAt: 'desc', id: 'desc' } },
    );
  }

  /** A link by its token's digest, in a live organization, whatever its state (the caller judges it). */
  findByDigestForPublicView(tokenDigest: string): Promise<ShareLink | null> {
    return this.findOne(
      { tokenDigest, organization: { deletedAt: null } },
      { filters: { [TENANT_FILTER]: false }, populate: ['organization'] },
    );
  }

  /** Revokes every unrevoked link of the session (expired ones too); returns how many. */
  revokeAll(organizationId: string, sessionId: string, now: Date): Promise<number> {
    return this.nativeUpdate(
      { organization: organizationId, session: sessionId, revokedAt: null },
      { revokedAt: now },
      { filters: tenantFilter(organizationId) },
    );
  }

  /**
   * Holds link changes for one session until the transaction ends, so two concurrent shares of
   * a session make one link (there is no unique index on live links to lean on).
   */
  async lockSession(sessionId: string): Promise<void> {
    await this.getEntityManager().execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [
      `share_links:${sessionId}`,
    ]);
  }
}
