import { EntityRepository } from '@mikro-orm/postgresql';
import { TENANT_FILTER } from '../../database/base.entity';
import type { ApiKey } from './api-key.entity';

export class ApiKeyRepository extends EntityRepository<ApiKey> {
  /**
   * Authentication happens before the organization is known, so this one lookup runs without
   * the tenant filter: the digest alone identifies the key and, through it, its organization.
   */
  findByDigestForAuthentication(digest: string): Promise<ApiKey | null> {
    return this.findOne(
      { digest, organization: { deletedAt: null } },
      { filters: { [TENANT_FILTER]: false }, populate: ['organization'] },
    );
  }

  /** Live (unrevoked) keys of the current organization, newest first. */
  listLive(): Promise<ApiKey[]> {
    return this.find({ revokedAt: null }, { orderBy: { createdAt: 'desc', id: 'desc' } });
  }

  findLive(id: string): Promise<ApiKey | null> {
    return this.findOne({ id, revokedAt: null });
  }

  /** Records use without loading the entity; at most once a minute per key, off the request's unit of work. */
  async touchLastUsed(id: string, now: Date): Promise<void> {
    await this.getEntityManager()
      .getConnection()
      .execute(
        `update "api_keys" set "last_used_at" = ? where "id" = ? and ("last_used_at" is null or "last_used_at" < ?)`,
        [now, id, new Date(now.getTime() - 60_000)],
      );
  }
}
