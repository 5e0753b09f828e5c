import { EntityRepository } from '@mikro-orm/postgresql';
import type { Invitation } from './invitation.entity';

/** Invitations of live organizations only. */
export class InvitationRepository extends EntityRepository<Invitation> {
  /** The open (not accepted, declined or revoked) invitation of this email to this organization, expired or not. */
  findOpen(organizationId: string, email: string): Promise<Invitation | null> {
    return this.findOne({ organization: organizationId, email, acceptedAt: null, declinedAt: null, revokedAt: null });
  }

  /** Pending invitations of an organization, newest first. */
  listPendingForOrganization(organizationId: string, now: Date): Promise<Invitation[]> {
    return this.find(
      {
        organization: { id: organizationId, deletedAt: null },
        acceptedAt: null,
        declinedAt: null,
        revokedAt: null,
        expiresAt: { $gt: now },
      },
      { populate: ['invitedBy'], orderBy: { createdAt: 'desc', id: 'desc' } },
    );
  }

  /** Pending invitations addressed to this email, newest first. */
  listPendingForEmail(email: string, now: Date): Promise<Invitation[]> {
    return this.find(
      {
        email,
        organization: { deletedAt: null },
        acceptedAt: null,
        declinedAt: null,
        revokedAt: null,
        expiresAt: { $gt: now },
      },
      { populate: ['organization', 'invitedBy'], orderBy: { createdAt: 'desc', id: 'desc' } },
    );
  }

  /** One invitation addressed to this email, in a live organization. */
  findForEmail(id: string, email: string): Promise<Invitation | null> {
    return this.findOne({ id, email, organization: { deletedAt: null } }, { populate: ['organization', 'invitedBy'] });
  }

  findInOrganization(organizationId: string, id: string): Promise<Invitation | null> {
    return this.findOne({ id, organization: organizationId }, { populate: ['invitedBy'] });
  }
}
