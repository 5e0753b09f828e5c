import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { type ExpiringCache, OUTAGE_FALLBACK_MAX_AGE_MS, readOrLastKnown } from '../../common/cache/expiring-cache';
import { isDatabaseUnavailable } from '../../common/errors/error-response';
import { CacheInvalidation, SESSION_CACHE_TOPIC } from '../../database/cache-invalidation';
import { PG_POOL } from '../../database/pg-pool';
import { ALLOW_ALL_MODELS, ModelPolicy } from './model-policy';

/** How long an organization's model policy is answered from memory (a settings change drops it at once). */
const POLICY_CACHE_TTL_MS = 30_000;

/**
 * The organization's model policy for the proxy's hot path, kept per instance. A change of an
 * organization's settings notifies every instance (the `session` topic, keyed by organization;
 * migration session_cache_invalidation), which drops the entry.
 */
@Injectable()
export class ModelPolicyService {
  private readonly policies: ExpiringCache<{ organizationId: string; policy: ModelPolicy }>;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    invalidation: CacheInvalidation,
  ) {
    this.policies = invalidation.cache(SESSION_CACHE_TOPIC, { ttlMs: POLICY_CACHE_TTL_MS, maxEntries: 50_000, owner: (entry) => entry.organizationId });
  }

  async forOrganization(organizationId: string): Promise<ModelPolicy> {
    const cached = this.policies.get(organizationId);
    if (cached) return cached.policy;
    const version = this.policies.version;
    // The organization is the caller's own, resolved by the access guard; a deleted one has no policy to apply.
    // While the database cannot be reached, a policy read within the last minute still holds (as for keys and sessions).
    const rows = await readOrLastKnown(
      async () =>
        (
          await this.pool.query<{ allowed: unknown }>(
            `SELECT settings->'allowedModels' AS allowed FROM organizations WHERE id = $1 AND deleted_at IS NULL`,
            [organizationId],
          )
        ).rows,
      () => {
        const known = this.policies.lastKnown(organizationId, OUTAGE_FALLBACK_MAX_AGE_MS);
        return known ? [{ allowed: known.policy.allowedModels }] : undefined;
      },
      isDatabaseUnavailable,
    );
    const allowed = rows[0]?.allowed;
    const policy = Array.isArray(allowed) ? new ModelPolicy(allowed.filter((p): p is string => typeof p === 'string')) : ALLOW_ALL_MODELS;
    this.policies.set(organizationId, { organizationId, policy }, version);
    return policy;
  }
}
