import type { Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Filter, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

export const TENANT_FILTER = 'tenant';
export const SOFT_DELETE_FILTER = 'softDelete';

export interface TenantFilterArgs {
  organizationId: string;
}

/** The tenant filter armed for one organization on one query: `{ filters: tenantFilter(id) }`. */
export const tenantFilter = (organizationId: string) => ({
  [TENANT_FILTER]: { organizationId } satisfies TenantFilterArgs,
});

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

/**
 * Soft delete, one rule for every entity that has it: `deletedAt` set means deleted. The
 * `softDelete` filter, on by default, hides such rows from every ORM query (a query that must see
 * them says `filters: { softDelete: false }`); raw SQL states `deleted_at is null` itself. A unique
 * index on such a table is partial, `where "deleted_at" is null`, so a deleted row's key (a slug,
 * an external id) can be taken again.
 */
const SOFT_DELETE: Parameters<typeof Filter>[0] = {
  name: SOFT_DELETE_FILTER,
  default: true,
  cond: { deletedAt: null },
};

@Filter(SOFT_DELETE)
export abstract class SoftDeletableEntity extends BaseEntity {
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  deletedAt?: Date | null;
}

/** An organization's row under the soft-delete rule (see SoftDeletableEntity): both filters apply. */
@Filter(SOFT_DELETE)
export abstract class SoftDeletableOrgScopedEntity extends OrgScopedEntity {
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  deletedAt?: Date | null;
}
