import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, Property, Unique } from '@mikro-orm/decorators/legacy';
import { OrgScopedEntity } from '../../database/base.entity';
import { Organization } from '../organizations/organization.entity';
import { User } from '../users/user.entity';
import { ApiKeyRepository } from './api-key.repository';

/** What an API key may do: call the proxy, read the organization's data, change it. */
export enum ApiKeyScope {
  Proxy = 'proxy',
  Read = 'read',
  Write = 'write',
}

export const ALL_API_KEY_SCOPES = Object.values(ApiKeyScope);

/** Why a key is suspended: its creator left the organization, or no longer holds the role keys need. */
export enum ApiKeySuspension {
  CreatorRemoved = 'creator_removed',
  CreatorRoleLowered = 'creator_role_lowered',
}

@Entity({ tableName: 'api_keys', repository: () => ApiKeyRepository })
@Index({ name: 'api_keys_organization_created_index', properties: ['organization', 'createdAt'] })
// Keys a distributed database accepts (docs/scale-out.md): unique within the organization; found by digest alone.
@Unique({ name: 'api_keys_organization_id_digest_unique', properties: ['organization', 'digest'] })
@Index({ name: 'api_keys_digest_index', properties: ['digest'] })
@Index({ name: 'api_keys_id_index', properties: ['id'] })
export class ApiKey extends OrgScopedEntity {
  @ManyToOne({ entity: () => Organization, deleteRule: 'cascade' })
  organization: Rel<Organization>;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  createdBy: Rel<User>;

  @Property({ type: 'string', length: 100 })
  name: string;

  /** `lmp_` and the key's next 8 characters: enough to recognise it, useless to an attacker. */
  @Property({ type: 'string', length: 12 })
  prefix: string;

  /** HMAC-SHA256 of the whole key (hex). The key itself is never stored. */
  @Property({ type: 'string', length: 64, hidden: true })
  digest: string;

  @Enum({ items: () => ApiKeyScope, array: true, nativeEnumName: 'api_key_scope' })
  scopes: Opt<ApiKeyScope[]> = [...ALL_API_KEY_SCOPES];

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  lastUsedAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  expiresAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  revokedAt?: Date | null;

  /** Set while the key's creator is gone or below admin: the key does not authenticate. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  suspendedAt?: Date | null;

  @Property({ type: 'string', length: 32, nullable: true })
  suspendedReason?: ApiKeySuspension | null;
}
