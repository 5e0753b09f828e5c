import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, Property, Unique } from '@mikro-orm/decorators/legacy';
import { OrgScopedEntity } from '../../database/base.entity';
import { Organization } from '../organizations/organization.entity';
import { Session } from '../sessions/session.entity';
import { User } from '../users/user.entity';
import { ShareLinkRepository } from './share-link.repository';

/**
 * A public link to one session. The token is `shr_` and 192 random bits; it is the whole secret
 * and is not stored: the link is found by its digest, and the token kept only encrypted (see
 * ShareTokenVault). Revoked links stay for the record and never resolve.
 */
@Entity({ tableName: 'share_links', repository: () => ShareLinkRepository })
@Index({ name: 'share_links_organization_session_index', properties: ['organization', 'session', 'createdAt'] })
// Keys a distributed database accepts (docs/scale-out.md): unique within the organization; found by digest alone.
@Unique({ name: 'share_links_organization_id_token_digest_unique', properties: ['organization', 'tokenDigest'] })
@Index({ name: 'share_links_token_digest_index', properties: ['tokenDigest'] })
@Index({ name: 'share_links_id_index', properties: ['id'] })
export class ShareLink extends OrgScopedEntity {
  @ManyToOne({ entity: () => Organization, deleteRule: 'cascade' })
  organization: Rel<Organization>;

  @ManyToOne({ entity: () => Session, deleteRule: 'cascade' })
  session: Rel<Session>;

  /** SHA-256 of the token (hex). */
  @Property({ type: 'string', length: 64, hidden: true })
  tokenDigest: string;

  /** The token, encrypted; null for links made before tokens were encrypted. */
  @Property({ type: 'text', nullable: true, hidden: true })
  tokenCiphertext?: string | null;

  @Property({ type: 'boolean' })
  includeContent: Opt<boolean> = false;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  expiresAt?: Date | null;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  createdBy: Rel<User>;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  revokedAt?: Date | null;
}
