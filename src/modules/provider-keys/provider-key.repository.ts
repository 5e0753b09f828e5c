import { EntityRepository } from '@mikro-orm/postgresql';
import { tenantFilter } from '../../database/base.entity';
import type { ProviderKey } from './provider-key.entity';

/** Every query names the organization first (and arms the tenant filter for it, as a backstop). */
export class ProviderKeyRepository extends EntityRepository<ProviderKey> {
  listLive(organizationId: string): Promise<ProviderKey[]> {
    return this.find(
      { organization: organizationId, revokedAt: null },
      { filters: tenantFilter(organizationId), orderBy: { createdAt: 'desc', id: 'desc' } },
    );
  }

  findLive(organizationId: string, id: string): Promise<ProviderKey | null> {
    return this.findOne(
      { organization: organizationId, id, revokedAt: null },
      { filters: tenantFilter(organizationId) },
    );
  }

  findDefault(organizationId: string): Promise<ProviderKey | null> {
    return this.findOne(
      { organization: organizationId, isDefault: true, revokedAt: null },
      { filters: tenantFilter(organizationId) },
    );
  }

  /**
   * Serialises changes to one organization's keys until the current transaction ends, so two
   * requests cannot both decide to be "the default" (an advisory lock: there may be no row to lock yet).
   */
  async lockOrganizationKeys(organizationId: string): Promise<void> {
    await this.getEntityManager().execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [
      `lamplight:provider-keys:${organizationId}`,
    ]);
  }
}
