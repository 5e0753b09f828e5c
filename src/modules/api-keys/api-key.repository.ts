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

  /**
   * Whether the key's creator is still a member of its organization with a role that may hold
   * keys (admin or owner). The tenant is stated: the key's own organization.
   */
  async creatorInStanding(organizationId: string, userId: string): Promise<boolean> {
    const rows = await this.getEntityManager()
      .getConnection()
      .execute<{ ok: number }[]>(
        `select 1 as ok from "memberships" where "organization_id" = ? and "user_id" = ? and "role" in ('owner', 'admin')`,
        [organizationId, userId],
      );
    return rows.length > 0;
  }

  /** Suspends the creator's live keys in the organization; returns the ids. Runs in the caller's transaction. */
  async suspendForCreator(organizationId: string, userId: string, reason: string, now: Date): Promise<string[]> {
    const rows = await this.getEntityManager().execute<{ id: string }[]>(
      `update "api_keys" set "suspended_at" = ?, "suspended_reason" = ?
        where "organization_id" = ? and "created_by_id" = ? and "revoked_at" is null and "suspended_at" is null returning "id"`,
      [now, reason, organizationId, userId],
    );
    return rows.map((row) => row.id);
  }

  /** Lifts suspensions of the creator's keys made for the given reason; returns the ids. */
  async resumeForCreator(organizationId: string, userId: string, reason: string): Promise<string[]> {
    const rows = await this.getEntityManager().execute<{ id: string }[]>(
      `update "api_keys" set "suspended_at" = null, "suspended_reason" = null
        where "organization_id" = ? and "created_by_id" = ? and "revoked_at" is null and "suspended_reason" = ? returning "id"`,
      [organizationId, userId, reason],
    );
    return rows.map((row) => row.id);
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
