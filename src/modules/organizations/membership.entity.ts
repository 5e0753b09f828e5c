import type { Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, Unique } from '@mikro-orm/decorators/legacy';
import { BaseEntity } from '../../database/base.entity';
import { User } from '../users/user.entity';
import { MembershipRepository } from './membership.repository';
import { Organization } from './organization.entity';

export enum Role {
  Owner = 'owner',
  Admin = 'admin',
  Member = 'member',
}

const RANK: Record<Role, number> = { [Role.Member]: 1, [Role.Admin]: 2, [Role.Owner]: 3 };

/** True when `role` is at least `required` in the order owner > admin > member. */
export function roleAtLeast(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}

/**
 * The bridge between users and organizations. Not tenant-filtered: it is how the tenant of a
 * request is decided, and "my organizations" reads across them.
 */
@Entity({ tableName: 'memberships', repository: () => MembershipRepository })
@Index({ name: 'memberships_id_index', properties: ['id'] })
@Unique({ name: 'memberships_organization_user_unique', properties: ['organization', 'user'] })
export class Membership extends BaseEntity {
  @ManyToOne({ entity: () => Organization, deleteRule: 'cascade' })
  organization: Rel<Organization>;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade', index: 'memberships_user_index' })
  user: Rel<User>;

  @Enum({ items: () => Role, nativeEnumName: 'membership_role' })
  role: Role;
}
