import type { Opt } from '@mikro-orm/core';
import { Entity, Index, Property } from '@mikro-orm/decorators/legacy';
import { SoftDeletableEntity } from '../../database/base.entity';
import { OrganizationRepository } from './organization.repository';

export interface OrganizationSettings {
  /** Whether sessions of this organization may be shared by public link. */
  sharingEnabled: boolean;
  /** Whether members (not only admins and owners) may share the sessions they created. */
  memberSharingEnabled: boolean;
  /** Whether request and response content is stored, or usage only. */
  storeContent: boolean;
  /** Token budget given to new sessions; null for none. */
  defaultSessionTokenBudget: number | null;
  /** Model id patterns (`*` for any run of characters) the proxy lets through; null for every model. */
  allowedModels: string[] | null;
}

export const DEFAULT_ORGANIZATION_SETTINGS: OrganizationSettings = {
  sharingEnabled: true,
  memberSharingEnabled: true,
  storeContent: true,
  defaultSessionTokenBudget: null,
  allowedModels: null,
};

@Entity({ tableName: 'organizations', repository: () => OrganizationRepository })
@Index({
  name: 'organizations_slug_live_unique',
  expression:
    'create unique index "organizations_slug_live_unique" on "organizations" ("slug") where "deleted_at" is null',
})
export class Organization extends SoftDeletableEntity {
  @Property({ type: 'string', length: 200 })
  name: string;

  @Property({ type: 'string', length: 64 })
  slug: string;

  @Property({ type: 'json' })
  settings: Opt<OrganizationSettings> = { ...DEFAULT_ORGANIZATION_SETTINGS };
}
