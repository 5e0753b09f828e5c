import { EntityRepository } from '@mikro-orm/postgresql';
import { TENANT_FILTER } from '../../database/base.entity';
import type { ShareLink } from './share-link.entity';

/**
 * Share links. Every query runs under the tenant filter except the public lookup by token,
 * where the token alone identifies the link and, through it, its organization.
 */
export class ShareLinkRepository extends EntityRepository<ShareLink> {
  /** The session's live link (neither revoked nor expired), newest first. */
  findLive(sessionId: string, now: Date): Promise<ShareLink | null> {
    return this.findOne(
      { session: sessionId, revokedAt: null, $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] },
      { orderBy: { createdAt: 'desc', id: 'desc' } },
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
  revokeAll(sessionId: string, now: Date): Promise<number> {
    return this.nativeUpdate({ session: sessionId, revokedAt: null }, { revokedAt: now });
  }

  /**
   * Holds link changes for one session until the transaction ends, so two concurrent shares of
   * a session make one link (there is no unique index on live links to lean on).
   */
  async lockSession(sessionId: string): Promise<void> {
    await this.getEntityManager().execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`share_links:${sessionId}`]);
  }

  /**
   * The organization's sharing settings: sharingEnabled and memberSharingEnabled (each on unless
   * set to false). Plain SQL on the organizations table: the tenant is the id itself, and a
   * deleted organization shares nothing.
   */
  async sharingSettings(organizationId: string): Promise<{ enabled: boolean; membersMayShare: boolean }> {
    const [row] = await this.getEntityManager().execute<{ enabled: boolean | null; members: boolean | null }[]>(
      `select (o.settings->>'sharingEnabled')::boolean as enabled, (o.settings->>'memberSharingEnabled')::boolean as members
         from organizations o where o.id = ? and o.deleted_at is null`,
      [organizationId],
    );
    return { enabled: row !== undefined && row.enabled !== false, membersMayShare: row?.members !== false };
  }
}
