import { Injectable } from '@nestjs/common';
import { type ExpiringCache, OUTAGE_FALLBACK_MAX_AGE_MS, readOrLastKnown } from '../../common/cache/expiring-cache';
import { isDatabaseUnavailable } from '../../common/errors/error-response';
import { CacheInvalidation, SESSION_CACHE_TOPIC } from '../../database/cache-invalidation';
import { ALLOW_ALL_MODELS, ModelPolicy } from './model-policy';
import type { OrganizationSettings } from './organization.entity';
import { OrganizationSettingsRepository } from './organization-settings.repository';

/** How long an organization's settings are answered from memory (a settings change drops them at once). */
const SETTINGS_CACHE_TTL_MS = 30_000;

/** An organization's settings as the other modules use them. */
export interface OrganizationSettingsView {
  /** False for an organization that does not exist or was deleted. */
  exists: boolean;
  modelPolicy: ModelPolicy;
  storeContent: boolean;
  defaultSessionTokenBudget: number | null;
  sharingEnabled: boolean;
  memberSharingEnabled: boolean;
}

const NO_ORGANIZATION: OrganizationSettingsView = {
  exists: false,
  modelPolicy: ALLOW_ALL_MODELS,
  storeContent: true,
  defaultSessionTokenBudget: null,
  sharingEnabled: false,
  memberSharingEnabled: false,
};

/**
 * The organization's settings for other modules (the proxy's model policy and content setting,
 * new sessions' token budget, sharing), kept per instance. A change of an organization's settings
 * notifies every instance (the `session` topic, keyed by organization; migration
 * session_cache_invalidation), which drops the entry; while the database cannot be reached, what
 * was read within the last minute still holds (as for keys and sessions).
 */
@Injectable()
export class OrganizationSettingsService {
  private readonly cache: ExpiringCache<{ organizationId: string; view: OrganizationSettingsView }>;

  constructor(
    private readonly settings: OrganizationSettingsRepository,
    invalidation: CacheInvalidation,
  ) {
    this.cache = invalidation.cache(SESSION_CACHE_TOPIC, {
      ttlMs: SETTINGS_CACHE_TTL_MS,
      maxEntries: 50_000,
      owner: (entry) => entry.organizationId,
    });
  }

  async get(organizationId: string): Promise<OrganizationSettingsView> {
    const cached = this.cache.get(organizationId);
    if (cached) return cached.view;
    const version = this.cache.version;
    const view = await readOrLastKnown(
      async () => toView(await this.settings.read(organizationId)),
      () => this.cache.lastKnown(organizationId, OUTAGE_FALLBACK_MAX_AGE_MS)?.view,
      isDatabaseUnavailable,
    );
    this.cache.set(organizationId, { organizationId, view }, version);
    return view;
  }

  async modelPolicy(organizationId: string): Promise<ModelPolicy> {
    return (await this.get(organizationId)).modelPolicy;
  }
}

function toView(settings: OrganizationSettings | undefined): OrganizationSettingsView {
  if (!settings) return NO_ORGANIZATION;
  const allowed = settings.allowedModels;
  return {
    exists: true,
    modelPolicy: Array.isArray(allowed)
      ? new ModelPolicy(allowed.filter((p): p is string => typeof p === 'string'))
      : ALLOW_ALL_MODELS,
    storeContent: settings.storeContent !== false,
    defaultSessionTokenBudget:
      typeof settings.defaultSessionTokenBudget === 'number' ? settings.defaultSessionTokenBudget : null,
    sharingEnabled: settings.sharingEnabled !== false,
    memberSharingEnabled: settings.memberSharingEnabled !== false,
  };
}
