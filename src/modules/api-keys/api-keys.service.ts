import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '../../common/time/clock.service';
import { Injectable } from '@nestjs/common';
import { hash } from 'node:crypto';
import { ExpiringCache, OUTAGE_FALLBACK_MAX_AGE_MS } from '../../common/cache/expiring-cache';
import { isDatabaseUnavailable } from '../../common/errors/error-response';
import { API_KEY_CACHE_TOPIC, CacheInvalidation } from '../../database/cache-invalidation';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { ApiKey, ApiKeySuspension, ALL_API_KEY_SCOPES } from './api-key.entity';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeySecrets } from './api-key-secrets.service';
import type { ApiKeyResponseDto, CreatedApiKeyResponseDto, CreateApiKeyDto } from './dto/api-key.dto';
import { ApiKeyErrors } from './api-keys.errors';

/** How long an authenticated key may be answered from memory (any change drops it at once, everywhere). */
const API_KEY_CACHE_TTL_MS = 10_000;
/** last_used_at is written at most this often per key and instance. */
const TOUCH_INTERVAL_MS = 60_000;

interface CachedKey {
  apiKeyId: string;
  principal: Principal & { kind: 'apiKey' };
  expiresAt: Date | null;
  touchedAt: number;
}

/**
 * Platform API key authentication. The proxy's Messages route may be answered from a short
 * per-instance cache, kept only while invalidations are being received (see CacheInvalidation);
 * every other route reads the row.
 */
@Injectable()
export class ApiKeysService {
  /** By SHA-256 of the key: keys seen recently on this instance; dropped on change here and (via NOTIFY) everywhere. */
  private readonly cache: ExpiringCache<CachedKey>;

  constructor(
    private readonly em: EntityManager,
    private readonly apiKeys: ApiKeyRepository,
    private readonly secrets: ApiKeySecrets,
    private readonly invalidation: CacheInvalidation,
    private readonly clock: Clock,
  ) {
    this.cache = invalidation.cache<CachedKey>(API_KEY_CACHE_TOPIC, {
      ttlMs: API_KEY_CACHE_TTL_MS,
      owner: (entry) => entry.apiKeyId,
    });
  }

  async list(organizationId: string): Promise<ApiKeyResponseDto[]> {
    return (await this.apiKeys.listLive(organizationId)).map((apiKey) => toApiKeyResponse(apiKey, this.clock.now()));
  }

  async create(
    organization: OrganizationContext,
    userId: string,
    dto: CreateApiKeyDto,
    now = this.clock.now(),
  ): Promise<CreatedApiKeyResponseDto> {
    if (dto.expiresAt && new Date(dto.expiresAt).getTime() <= now.getTime()) {
      throw ApiKeyErrors.expiryInPast();
    }
    const { key, prefix, digest } = this.secrets.generate();
    const apiKey = this.em.create(ApiKey, {
      organization: organization.organizationId,
      createdBy: userId,
      name: dto.name.trim(),
      prefix,
      digest,
      scopes: dto.scopes ? [...new Set(dto.scopes)] : [...ALL_API_KEY_SCOPES],
      expiresAt: dto.expiresAt ? new Date(dto.expiresAt) : null,
    });
    await this.em.flush();
    return { ...toApiKeyResponse(apiKey, now), key };
  }

  /** Whether the organization has this live (unrevoked) key. */
  async isLive(organizationId: string, id: string): Promise<boolean> {
    return (await this.apiKeys.findLive(organizationId, id)) !== null;
  }

  /**
   * Revocation is immediate: once committed, the key is dropped from this instance's cache, and
   * the NOTIFY sent in the same transaction drops it from every other instance's before the next
   * request there.
   */
  async revoke(organizationId: string, id: string, now = this.clock.now()): Promise<void> {
    await this.em.transactional(async () => {
      const apiKey = await this.apiKeys.findLive(organizationId, id);
      if (!apiKey) throw ApiKeyErrors.notFound();
      apiKey.revokedAt = now;
      await this.em.flush();
      await this.invalidation.announce(this.em, API_KEY_CACHE_TOPIC, id);
    });
    this.invalidation.clearLocal(API_KEY_CACHE_TOPIC, id);
  }

  /**
   * A key never exceeds its creator's current standing. Called in the transaction that removes
   * the creator from the organization or changes their role: below admin (or gone), their live
   * keys are suspended, saying why; back to admin, keys suspended for the role come back. Each
   * key changed is announced in the transaction, so every instance drops it on commit; call
   * `forgetKeys` after the commit to drop them here at once.
   */
  async followCreatorStanding(
    organizationId: string,
    userId: string,
    standing: 'removed' | 'below-admin' | 'admin',
    now = this.clock.now(),
  ): Promise<string[]> {
    const reason = standing === 'removed' ? ApiKeySuspension.CreatorRemoved : ApiKeySuspension.CreatorRoleLowered;
    const ids =
      standing === 'admin'
        ? await this.apiKeys.resumeForCreator(organizationId, userId, ApiKeySuspension.CreatorRoleLowered)
        : await this.apiKeys.suspendForCreator(organizationId, userId, reason, now);
    for (const id of ids) await this.invalidation.announce(this.em, API_KEY_CACHE_TOPIC, id);
    return ids;
  }

  forgetKeys(ids: string[]): void {
    for (const id of ids) this.invalidation.clearLocal(API_KEY_CACHE_TOPIC, id);
  }

  /**
   * The principal for a presented platform key, or null when it is unknown, revoked or expired.
   * `cached`: may be answered from memory, while this instance receives invalidations (see
   * CacheInvalidation): a revocation, expiry or organization deletion drops the entry everywhere
   * as soon as it commits.
   */
  async authenticate(
    presented: string,
    now = this.clock.now(),
    options: { cached?: boolean } = {},
  ): Promise<Principal | null> {
    if (!ApiKeySecrets.looksLikeKey(presented)) return null;
    // The cache is keyed by a plain SHA-256 of the key (cheap); the stored digest is an HMAC.
    const cacheKey = options.cached ? hash('sha256', presented, 'base64') : undefined;
    const cached = cacheKey !== undefined ? this.cache.get(cacheKey, now.getTime()) : undefined;
    if (cached) {
      if (cached.expiresAt && cached.expiresAt <= now) return null;
      if (now.getTime() - cached.touchedAt >= TOUCH_INTERVAL_MS) {
        cached.touchedAt = now.getTime();
        void this.apiKeys.touchLastUsed(cached.principal.organizationId, cached.apiKeyId, now).catch(() => undefined);
      }
      return { ...cached.principal, scopes: [...cached.principal.scopes] };
    }
    const version = this.cache.version;
    try {
      return await this.authenticateFromDatabase(presented, now, version, cacheKey);
    } catch (error) {
      // The database is away: a key authenticated here recently keeps working (see OUTAGE_FALLBACK_MAX_AGE_MS).
      const known =
        cacheKey !== undefined && isDatabaseUnavailable(error)
          ? this.cache.lastKnown(cacheKey, OUTAGE_FALLBACK_MAX_AGE_MS, now.getTime())
          : undefined;
      if (!known || (known.expiresAt && known.expiresAt <= now)) throw error;
      return { ...known.principal, scopes: [...known.principal.scopes] };
    }
  }

  private async authenticateFromDatabase(
    presented: string,
    now: Date,
    version: number,
    cacheKey: string | undefined,
  ): Promise<Principal | null> {
    const apiKey = await this.apiKeys.findByDigestForAuthentication(this.secrets.digest(presented));
    if (!apiKey || apiKey.revokedAt || apiKey.suspendedAt || (apiKey.expiresAt && apiKey.expiresAt <= now)) return null;
    // Belt and braces for changes made around the API (SQL by hand): the creator must still hold the role.
    if (!(await this.apiKeys.creatorInStanding(apiKey.organization.id, apiKey.createdBy.id))) return null;
    void this.apiKeys.touchLastUsed(apiKey.organization.id, apiKey.id, now).catch(() => undefined);
    const principal = {
      kind: 'apiKey' as const,
      apiKeyId: apiKey.id,
      userId: apiKey.createdBy.id,
      organizationId: apiKey.organization.id,
      scopes: apiKey.scopes,
    };
    if (cacheKey !== undefined) {
      const entry = {
        apiKeyId: apiKey.id,
        principal: { ...principal, scopes: [...principal.scopes] },
        expiresAt: apiKey.expiresAt ?? null,
        touchedAt: now.getTime(),
      };
      this.cache.set(cacheKey, entry, version, now.getTime());
    }
    return principal;
  }
}

function toApiKeyResponse(apiKey: ApiKey, now: Date): ApiKeyResponseDto {
  return {
    id: apiKey.id,
    name: apiKey.name,
    prefix: apiKey.prefix,
    scopes: apiKey.scopes,
    createdBy: apiKey.createdBy.id,
    createdAt: apiKey.createdAt.toISOString(),
    lastUsedAt: apiKey.lastUsedAt?.toISOString() ?? null,
    expiresAt: apiKey.expiresAt?.toISOString() ?? null,
    status: apiKey.suspendedAt
      ? 'suspended'
      : apiKey.expiresAt && apiKey.expiresAt.getTime() <= now.getTime()
        ? 'expired'
        : 'active',
    suspendedAt: apiKey.suspendedAt?.toISOString() ?? null,
    suspendedReason: apiKey.suspendedReason ?? null,
  };
}
