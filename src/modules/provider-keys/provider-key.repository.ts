import { EntityRepository } from '@mikro-orm/postgresql';
import type { ProviderKey } from './provider-key.entity';

/** All queries run under the tenant filter: only the current organization's keys exist here. */
export class ProviderKeyRepository extends EntityRepository<ProviderKey> {
  listLive(): Promise<ProviderKey[]> {
    return this.find({ revokedAt: null }, { orderBy: { createdAt: 'desc', id: 'desc' } });
  }

  findLive(id: string): Promise<ProviderKey | null> {
    return this.findOne({ id, revokedAt: null });
  }

  findDefault(): Promise<ProviderKey | null> {
    return this.findOne({ isDefault: true, revokedAt: null });
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
