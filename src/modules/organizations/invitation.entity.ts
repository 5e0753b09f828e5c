import type { Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { BaseEntity } from '../../database/base.entity';
import { User } from '../users/user.entity';
import { InvitationRepository } from './invitation.repository';
import { Role } from './membership.entity';
import { Organization } from './organization.entity';

/**
 * An offer of membership to an email address (registered or not). Membership needs the invited
 * user's consent: they accept or decline; admins revoke; it expires. Like memberships, not
 * tenant-filtered: the invitee reads their invitations across organizations, by their email.
 */
@Entity({ tableName: 'invitations', repository: () => InvitationRepository })
@Index({ name: 'invitations_id_index', properties: ['id'] })
@Index({
  name: 'invitations_pending_unique',
  expression:
    'create unique index "invitations_pending_unique" on "invitations" ("organization_id", "email") where "accepted_at" is null and "declined_at" is null and "revoked_at" is null',
})
@Index({ name: 'invitations_email_index', properties: ['email'] })
export class Invitation extends BaseEntity {
  @ManyToOne({ entity: () => Organization, deleteRule: 'cascade' })
  organization: Rel<Organization>;

  /** Lower-cased, as users' emails are stored. */
  @Property({ type: 'string', length: 320 })
  email: string;

  @Enum({ items: () => Role, nativeEnumName: 'membership_role' })
  role: Role;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  invitedBy: Rel<User>;

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  expiresAt: Date;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  acceptedAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  declinedAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  revokedAt?: Date | null;
}

export type InvitationStatus = 'pending' | 'accepted' | 'declined' | 'revoked' | 'expired';

export function invitationStatus(invitation: Invitation, now: Date): InvitationStatus {
  if (invitation.acceptedAt) return 'accepted';
  if (invitation.declinedAt) return 'declined';
  if (invitation.revokedAt) return 'revoked';
  return invitation.expiresAt <= now ? 'expired' : 'pending';
}
