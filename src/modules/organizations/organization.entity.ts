import type { Opt } from '@mikro-orm/core';
import { Entity, Filter, Index, Property } from '@mikro-orm/decorators/legacy';
import { BaseEntity, SOFT_DELETE_FILTER } from '../../database/base.entity';
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
@Filter({ name: SOFT_DELETE_FILTER, default: true, cond: { deletedAt: null } })
@Index({
  name: 'organizations_slug_live_unique',
  expression: 'create unique index "organizations_slug_live_unique" on "organizations" ("slug") where "deleted_at" is null',
})
export class Organization extends BaseEntity {
  @Property({ type: 'string', length: 200 })
  name: string;

  @Property({ type: 'string', length: 64 })
  slug: string;

  @Property({ type: 'json' })
  settings: Opt<OrganizationSettings> = { ...DEFAULT_ORGANIZATION_SETTINGS };

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  deletedAt?: Date | null;
}
