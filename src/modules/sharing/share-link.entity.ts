import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, Property, Unique } from '@mikro-orm/decorators/legacy';
import { OrgScopedEntity } from '../../database/base.entity';
import { Organization } from '../organizations/organization.entity';
import { Session } from '../sessions/session.entity';
import { User } from '../users/user.entity';
import { ShareLinkRepository } from './share-link.repository';

/**
 * A public link to one session. The token is `shr_` and 192 random bits; it is the whole secret,
 * kept so its owner can see the link again. Revoked links stay for the record and never resolve.
 */
@Entity({ tableName: 'share_links', repository: () => ShareLinkRepository })
@Index({ name: 'share_links_organization_session_index', properties: ['organization', 'session', 'createdAt'] })
export class ShareLink extends OrgScopedEntity {
  @ManyToOne({ entity: () => Organization, deleteRule: 'cascade' })
  organization: Rel<Organization>;

  @ManyToOne({ entity: () => Session, deleteRule: 'cascade' })
  session: Rel<Session>;

  @Property({ type: 'string', length: 64 })
  @Unique({ name: 'share_links_token_unique' })
  token: string;

  @Property({ type: 'boolean' })
  includeContent: Opt<boolean> = false;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  expiresAt?: Date | null;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  createdBy: Rel<User>;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  revokedAt?: Date | null;
}
