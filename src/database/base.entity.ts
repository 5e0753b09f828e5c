import type { Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Filter, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

export const TENANT_FILTER = 'tenant';
export const SOFT_DELETE_FILTER = 'softDelete';

export interface TenantFilterArgs {
  organizationId: string;
}

/** The tenant filter armed for one organization on one query: `{ filters: tenantFilter(id) }`. */
export const tenantFilter = (organizationId: string) => ({ [TENANT_FILTER]: { organizationId } satisfies TenantFilterArgs });

/** Every entity: a UUID primary key made in the application and a creation time. */
export abstract class BaseEntity {
  @PrimaryKey({ type: 'uuid' })
  id: Opt<string> = randomUUID();

  @Property({ type: 'datetime', columnType: 'timestamptz', onCreate: () => new Date() })
  createdAt: Opt<Date> = new Date();
}

/**
 * A row owned by one organization. The `tenant` filter is on by default and needs the
 * organization id as its argument: a query made without it throws rather than returning
 * every organization's rows. The request's organization is set by the scoping guard.
 */
@Filter({
  name: TENANT_FILTER,
  default: true,
  args: true,
  cond: (args) => ({ organization: (args as TenantFilterArgs).organizationId }),
})
export abstract class OrgScopedEntity extends BaseEntity {
  abstract organization: unknown;
}
