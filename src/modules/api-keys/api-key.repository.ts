import { EntityRepository } from '@mikro-orm/postgresql';
import { TENANT_FILTER, tenantFilter } from '../../database/base.entity';
import type { ApiKey } from './api-key.entity';
import { TenantSql } from '../../database/tenant-sql';

export class ApiKeyRepository extends EntityRepository<ApiKey> {
  private readonly sql = TenantSql.overOrm(this.getEntityManager());

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

  /** Live (unrevoked) keys of the organization, newest first. */
  listLive(organizationId: string): Promise<ApiKey[]> {
    return this.find(
      { organization: organizationId, revokedAt: null },
      { filters: tenantFilter(organizationId), orderBy: { createdAt: 'desc', id: 'desc' } },
    );
  }

  findLive(organizationId: string, id: string): Promise<ApiKey | null> {
    return this.findOne(
      { organization: organizationId, id, revokedAt: null },
      { filters: tenantFilter(organizationId) },
    );
  }

  /**
   * Whether the key's creator is still a member of its organization with a role that may hold
   * keys (admin or owner).
   */
  async creatorInStanding(organizationId: string, userId: string): Promise<boolean> {
    const row = await this.sql.one<{ ok: number }>(
      organizationId,
      `SELECT 1 AS ok FROM memberships m WHERE m.organization_id = $1 AND m.user_id = $2 AND m.role IN ('owner', 'admin')`,
      [userId],
    );
    return row !== undefined;
  }

  /** Suspends the creator's live keys in the organization; returns the ids. Runs in the caller's transaction. */
  async suspendForCreator(organizationId: string, userId: string, reason: string, now: Date): Promise<string[]> {
    const rows = await this.sql.rows<{ id: string }>(
      organizationId,
      `UPDATE api_keys SET suspended_at = $3, suspended_reason = $4
        WHERE organization_id = $1 AND created_by_id = $2 AND revoked_at IS NULL AND suspended_at IS NULL RETURNING id`,
      [userId, now, reason],
    );
    return rows.map((row) => row.id);
  }

  /** Lifts suspensions of the creator's keys made for the given reason; returns the ids. */
  async resumeForCreator(organizationId: string, userId: string, reason: string): Promise<string[]> {
    const rows = await this.sql.rows<{ id: string }>(
      organizationId,
      `UPDATE api_keys SET suspended_at = NULL, suspended_reason = NULL
        WHERE organization_id = $1 AND created_by_id = $2 AND revoked_at IS NULL AND suspended_reason = $3 RETURNING id`,
      [userId, reason],
    );
    return rows.map((row) => row.id);
  }

  /** Records use without loading the entity; at most once a minute per key, off the request's unit of work. */
  async touchLastUsed(organizationId: string, id: string, now: Date): Promise<void> {
    await this.sql.run(
      organizationId,
      'UPDATE api_keys SET last_used_at = $3 WHERE organization_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at < $4)',
      [id, now, new Date(now.getTime() - 60_000)],
    );
  }
}
