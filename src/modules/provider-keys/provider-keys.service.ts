import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '../../common/time/clock.service';
import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { OrganizationContext } from '../../common/auth/principal';
import { ExpiringCache, OUTAGE_FALLBACK_MAX_AGE_MS, readOrLastKnown } from '../../common/cache/expiring-cache';
import { isDatabaseUnavailable } from '../../common/errors/error-response';
import { CacheInvalidation, PROVIDER_KEY_CACHE_TOPIC } from '../../database/cache-invalidation';
import { AnthropicKeyVerifier, type KeyCheckResult } from './anthropic-key-verifier.service';
import type { CreateProviderKeyDto, ProviderKeyResponseDto, UpdateProviderKeyDto } from './dto/provider-key.dto';
import { Provider, ProviderKey } from './provider-key.entity';
import { ProviderKeyRepository } from './provider-key.repository';
import { ProviderKeyCipher } from './provider-key-cipher.service';
import { ProviderKeyDecryptionError, ProviderKeyErrors } from './provider-keys.errors';

/** How long a decrypted default key is kept per organization (any change drops it at once, everywhere). */
const PROVIDER_KEY_CACHE_TTL_MS = 10_000;

@Injectable()
export class ProviderKeysService {
  private readonly logger = new Logger('ProviderKeys');
  /** Organization id → its default key in plaintext, for the proxy's Messages calls. */
  private readonly defaults: ExpiringCache<{ key: string }>;

  constructor(
    private readonly em: EntityManager,
    private readonly providerKeys: ProviderKeyRepository,
    private readonly cipher: ProviderKeyCipher,
    private readonly verifier: AnthropicKeyVerifier,
    private readonly invalidation: CacheInvalidation,
    private readonly clock: Clock,
  ) {
    this.defaults = invalidation.cache(PROVIDER_KEY_CACHE_TOPIC, {
      ttlMs: PROVIDER_KEY_CACHE_TTL_MS,
      owner: (_, organizationId) => organizationId,
    });
  }

  async list(organizationId: string): Promise<ProviderKeyResponseDto[]> {
    return (await this.providerKeys.listLive(organizationId)).map(toProviderKeyResponse);
  }

  /** The first key of an organization becomes its default; so does any key created with isDefault. */
  async create(
    organization: OrganizationContext,
    userId: string,
    dto: CreateProviderKeyDto,
  ): Promise<ProviderKeyResponseDto> {
    const id = randomUUID();
    const created = await this.em.transactional(async (em) => {
      await this.providerKeys.lockOrganizationKeys(organization.organizationId);
      const makeDefault = dto.isDefault === true || !(await this.providerKeys.findDefault(organization.organizationId));
      if (makeDefault) await this.clearDefault(em, organization.organizationId);
      const providerKey = em.create(ProviderKey, {
        id,
        organization: organization.organizationId,
        createdBy: userId,
        provider: Provider.Anthropic,
        name: dto.name.trim(),
        ciphertext: this.cipher.encrypt(dto.key, organization.organizationId, id),
        last4: dto.key.slice(-4),
        isDefault: makeDefault,
      });
      await em.flush();
      await this.invalidation.announce(em, PROVIDER_KEY_CACHE_TOPIC, organization.organizationId);
      return providerKey;
    });
    this.invalidation.clearLocal(PROVIDER_KEY_CACHE_TOPIC, organization.organizationId);
    return toProviderKeyResponse(created);
  }

  async update(organizationId: string, id: string, dto: UpdateProviderKeyDto): Promise<ProviderKeyResponseDto> {
    const updated = await this.em.transactional(async (em) => {
      await this.providerKeys.lockOrganizationKeys(organizationId);
      const providerKey = await this.providerKeys.findLive(organizationId, id);
      if (!providerKey) throw ProviderKeyErrors.notFound();
      if (dto.isDefault === true && !providerKey.isDefault) {
        await this.clearDefault(em, organizationId);
        providerKey.isDefault = true;
      } else if (dto.isDefault === false) {
        providerKey.isDefault = false;
      }
      if (dto.name) providerKey.name = dto.name.trim();
      await em.flush();
      await this.invalidation.announce(em, PROVIDER_KEY_CACHE_TOPIC, organizationId);
      return toProviderKeyResponse(providerKey);
    });
    this.invalidation.clearLocal(PROVIDER_KEY_CACHE_TOPIC, organizationId);
    return updated;
  }

  /** Deleting revokes: the ciphertext is erased, the row is kept for the audit trail. */
  async revoke(organizationId: string, id: string, now = this.clock.now()): Promise<void> {
    await this.em.transactional(async (em) => {
      await this.providerKeys.lockOrganizationKeys(organizationId);
      const providerKey = await this.providerKeys.findLive(organizationId, id);
      if (!providerKey) throw ProviderKeyErrors.notFound();
      providerKey.revokedAt = now;
      providerKey.isDefault = false;
      providerKey.ciphertext = '';
      await em.flush();
      await this.invalidation.announce(em, PROVIDER_KEY_CACHE_TOPIC, organizationId);
    });
    this.invalidation.clearLocal(PROVIDER_KEY_CACHE_TOPIC, organizationId);
  }

  test(key: string): Promise<KeyCheckResult> {
    return this.verifier.check(key);
  }

  /** The current organization's default Anthropic key in plaintext, for the upstream call only. */
  async defaultKeyPlaintext(organizationId: string): Promise<string | null> {
    return this.readDefault(organizationId);
  }

  /**
   * The same, from memory when this instance holds it and is receiving invalidations (see
   * CacheInvalidation): no read, no decryption. A remembered "no default key" is never trusted:
   * a refusal is always decided by the database.
   */
  async cachedDefaultKey(organizationId: string): Promise<string | null> {
    const cached = this.defaults.get(organizationId)?.key;
    if (cached) return cached;
    // The database is away: the key read here recently keeps serving (see OUTAGE_FALLBACK_MAX_AGE_MS).
    return readOrLastKnown(
      () => this.readDefault(organizationId),
      () => this.defaults.lastKnown(organizationId, OUTAGE_FALLBACK_MAX_AGE_MS)?.key,
      isDatabaseUnavailable,
    );
  }

  private async readDefault(organizationId: string): Promise<string | null> {
    const version = this.defaults.version;
    const providerKey = await this.providerKeys.findDefault(organizationId);
    if (!providerKey) return null;
    try {
      const plaintext = this.cipher.decrypt(providerKey.ciphertext, organizationId, providerKey.id);
      this.defaults.set(organizationId, { key: plaintext }, version);
      return plaintext;
    } catch (error) {
      // The client gets a safe 500; operators get which key, never the ciphertext or the key.
      if (error instanceof ProviderKeyDecryptionError) {
        this.logger.error({ organizationId, providerKeyId: providerKey.id }, error.detail);
      }
      throw error;
    }
  }

  private async clearDefault(em: EntityManager, organizationId: string): Promise<void> {
    const current = await this.providerKeys.findDefault(organizationId);
    if (!current) return;
    current.isDefault = false;
    await em.flush();
  }
}

function toProviderKeyResponse(providerKey: ProviderKey): ProviderKeyResponseDto {
  return {
    id: providerKey.id,
    provider: providerKey.provider,
    name: providerKey.name,
    last4: providerKey.last4,
    isDefault: providerKey.isDefault,
    createdAt: providerKey.createdAt.toISOString(),
  };
}
