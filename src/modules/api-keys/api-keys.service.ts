import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { ExpiringCache } from '../../common/cache/expiring-cache';
import { CacheInvalidation } from '../../database/cache-invalidation';
import { DomainError, notFound } from '../../common/errors/domain-error';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { ApiKey, ApiKeyScope, ALL_API_KEY_SCOPES } from './api-key.entity';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeySecrets } from './api-key-secrets';
import type { ApiKeyResponseDto, CreatedApiKeyResponseDto, CreateApiKeyDto } from './dto/api-key.dto';
import { HttpStatus } from '@nestjs/common';

export const API_KEY_NOT_FOUND = 'API_KEY_NOT_FOUND';

/** The invalidation topic: a key id, or `*` (an organization deleted: every key of it goes). */
export const API_KEY_CACHE_TOPIC = 'api-key';
/** How long an authenticated key may be answered from memory (each use on the proxy still rechecks the epoch). */
export const API_KEY_CACHE_TTL_MS = 10_000;
/** last_used_at is written at most this often per key and instance. */
const TOUCH_INTERVAL_MS = 60_000;

interface CachedKey {
  apiKeyId: string;
  principal: Principal & { kind: 'apiKey' };
  expiresAt: Date | null;
  touchedAt: number;
  /** The cache epoch known before the row was read (see CacheInvalidation). */
  epoch: string | null;
}

/**
 * Platform API key authentication. The proxy's Messages route may be answered from a short
 * per-instance cache: the proxy then compares the entry's epoch with the one its session query
 * reads (`needsRecheck`) and rechecks against the database when any key, organization or provider
 * key changed since (`recheck`), before anything goes upstream. Every other route reads the row.
 */
@Injectable()
export class ApiKeysService {
  /** By digest: keys seen recently on this instance; dropped on change here and (via NOTIFY) everywhere. */
  private readonly cache = new ExpiringCache<CachedKey>(API_KEY_CACHE_TTL_MS);
  /** Principals answered from the cache, with what a recheck needs. */
  private readonly fromCache = new WeakMap<Principal, { epoch: string | null; digest: string }>();

  constructor(
    private readonly em: EntityManager,
    private readonly apiKeys: ApiKeyRepository,
    private readonly secrets: ApiKeySecrets,
    private readonly invalidation: CacheInvalidation,
  ) {
    invalidation.subscribe(API_KEY_CACHE_TOPIC, (id) => {
      if (id === '*') this.cache.clear();
      else this.cache.deleteWhere((entry) => entry.apiKeyId === id);
    });
  }

  async list(): Promise<ApiKeyResponseDto[]> {
    return (await this.apiKeys.listLive()).map(toApiKeyResponse);
  }

  async create(
    organization: OrganizationContext,
    userId: string,
    dto: CreateApiKeyDto,
    now = new Date(),
  ): Promise<CreatedApiKeyResponseDto> {
    if (dto.expiresAt && new Date(dto.expiresAt).getTime() <= now.getTime()) {
      throw new DomainError('EXPIRY_IN_PAST', HttpStatus.BAD_REQUEST, 'expiresAt must be in the future');
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
    return { ...toApiKeyResponse(apiKey), key };
  }

  /**
   * Revocation is immediate: once committed, the key is dropped from this instance's cache and a
   * NOTIFY drops it from every other instance's before the next request there.
   */
  async revoke(id: string, now = new Date()): Promise<void> {
    const apiKey = await this.apiKeys.findLive(id);
    if (!apiKey) throw notFound(API_KEY_NOT_FOUND, 'API key');
    apiKey.revokedAt = now;
    await this.em.flush();
    await this.invalidation.publish(API_KEY_CACHE_TOPIC, id);
  }

  /**
   * The principal for a presented platform key, or null when it is unknown, revoked or expired.
   * `cached`: may be answered from memory (only for callers that then check `needsRecheck`).
   */
  async authenticate(presented: string, now = new Date(), options: { cached?: boolean } = {}): Promise<Principal | null> {
    if (!ApiKeySecrets.looksLikeKey(presented)) return null;
    const digest = this.secrets.digest(presented);
    const cached = options.cached ? this.cache.get(digest, now.getTime()) : undefined;
    if (cached) {
      if (cached.expiresAt && cached.expiresAt <= now) return null;
      if (now.getTime() - cached.touchedAt >= TOUCH_INTERVAL_MS) {
        cached.touchedAt = now.getTime();
        void this.apiKeys.touchLastUsed(cached.apiKeyId, now).catch(() => undefined);
      }
      const principal: Principal = { ...cached.principal, scopes: [...cached.principal.scopes] };
      this.fromCache.set(principal, { epoch: cached.epoch, digest });
      return principal;
    }
    return this.readAndCache(digest, now, this.invalidation.knownEpoch);
  }

  /** True when the principal came from the cache and keys may have changed since (the epoch moved). */
  needsRecheck(principal: Principal, currentEpoch: string): boolean {
    const stamp = this.fromCache.get(principal);
    return stamp !== undefined && stamp.epoch !== currentEpoch;
  }

  /** The principal as the database has it now (null: no longer valid); refreshes the cache at `currentEpoch`. */
  async recheck(principal: Principal, currentEpoch: string, now = new Date()): Promise<Principal | null> {
    const stamp = this.fromCache.get(principal);
    if (!stamp) return principal;
    return this.readAndCache(stamp.digest, now, currentEpoch);
  }

  private async readAndCache(digest: string, now: Date, epoch: string | null): Promise<Principal | null> {
    const version = this.cache.version;
    const apiKey = await this.apiKeys.findByDigestForAuthentication(digest);
    if (!apiKey || apiKey.revokedAt || (apiKey.expiresAt && apiKey.expiresAt <= now)) {
      this.cache.delete(digest);
      return null;
    }
    void this.apiKeys.touchLastUsed(apiKey.id, now).catch(() => undefined);
    const principal = {
      kind: 'apiKey' as const,
      apiKeyId: apiKey.id,
      userId: apiKey.createdBy.id,
      organizationId: apiKey.organization.id,
      scopes: apiKey.scopes,
    };
    this.cache.set(
      digest,
      { apiKeyId: apiKey.id, principal: { ...principal, scopes: [...principal.scopes] }, expiresAt: apiKey.expiresAt ?? null, touchedAt: now.getTime(), epoch },
      version,
      now.getTime(),
    );
    return principal;
  }
}

export function toApiKeyResponse(apiKey: ApiKey): ApiKeyResponseDto {
  return {
    id: apiKey.id,
    name: apiKey.name,
    prefix: apiKey.prefix,
    scopes: apiKey.scopes as ApiKeyScope[],
    createdBy: apiKey.createdBy.id,
    createdAt: apiKey.createdAt.toISOString(),
    lastUsedAt: apiKey.lastUsedAt?.toISOString() ?? null,
    expiresAt: apiKey.expiresAt?.toISOString() ?? null,
  };
}
