import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { OrgScopedEntity } from '../../database/base.entity';
import { Organization } from '../organizations/organization.entity';
import { User } from '../users/user.entity';
import { ProviderKeyRepository } from './provider-key.repository';

export enum Provider {
  Anthropic = 'anthropic',
}

@Entity({ tableName: 'provider_keys', repository: () => ProviderKeyRepository })
@Index({ name: 'provider_keys_id_index', properties: ['id'] })
@Index({ name: 'provider_keys_organization_created_index', properties: ['organization', 'createdAt'] })
@Index({
  name: 'provider_keys_one_default_per_organization',
  expression:
    'create unique index "provider_keys_one_default_per_organization" on "provider_keys" ("organization_id", "provider") where "is_default" and "revoked_at" is null',
})
export class ProviderKey extends OrgScopedEntity {
  @ManyToOne({ entity: () => Organization, deleteRule: 'cascade' })
  organization: Rel<Organization>;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  createdBy: Rel<User>;

  @Enum({ items: () => Provider, nativeEnumName: 'provider' })
  provider: Opt<Provider> = Provider.Anthropic;

  @Property({ type: 'string', length: 100 })
  name: string;

  /** `v1:` + base64(iv ‖ tag ‖ AES-256-GCM ciphertext), AAD bound to organization and key id. */
  @Property({ type: 'text', hidden: true })
  ciphertext: string;

  @Property({ type: 'string', length: 4 })
  last4: string;

  @Property({ type: 'boolean' })
  isDefault: Opt<boolean> = false;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  revokedAt?: Date | null;
}
