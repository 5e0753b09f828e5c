import { EntityRepository } from '@mikro-orm/postgresql';
import { type Membership, Role } from './membership.entity';

/** Memberships of deleted organizations are never returned. */
export class MembershipRepository extends EntityRepository<Membership> {
  findLive(organizationId: string, userId: string): Promise<Membership | null> {
    return this.findOne(
      { organization: { id: organizationId, deletedAt: null }, user: userId },
      { populate: ['organization'] },
    );
  }

  /** The user's memberships, oldest first. */
  listForUser(userId: string): Promise<Membership[]> {
    return this.find(
      { user: userId, organization: { deletedAt: null } },
      { populate: ['organization'], orderBy: { createdAt: 'asc', id: 'asc' } },
    );
  }

  listForOrganization(organizationId: string): Promise<Membership[]> {
    return this.find(
      { organization: { id: organizationId, deletedAt: null } },
      { populate: ['user'], orderBy: { createdAt: 'asc', id: 'asc' } },
    );
  }

  countOwners(organizationId: string): Promise<number> {
    return this.count({ organization: organizationId, role: Role.Owner });
  }
}
