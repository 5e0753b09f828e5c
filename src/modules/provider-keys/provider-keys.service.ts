import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { OrganizationContext } from '../../common/auth/principal';
import { notFound } from '../../common/errors/domain-error';
import { TENANT_FILTER, type TenantFilterArgs } from '../../database/base.entity';
import { AnthropicKeyVerifier, type KeyCheckResult } from './anthropic-key-verifier';
import type { CreateProviderKeyDto, ProviderKeyResponseDto, UpdateProviderKeyDto } from './dto/provider-key.dto';
import { Provider, ProviderKey } from './provider-key.entity';
import { ProviderKeyRepository } from './provider-key.repository';
import { ProviderKeyCipher } from './provider-key-cipher';

export const PROVIDER_KEY_NOT_FOUND = 'PROVIDER_KEY_NOT_FOUND';

@Injectable()
export class ProviderKeysService {
  constructor(
    private readonly em: EntityManager,
    private readonly providerKeys: ProviderKeyRepository,
    private readonly cipher: ProviderKeyCipher,
    private readonly verifier: AnthropicKeyVerifier,
  ) {}

  async list(): Promise<ProviderKeyResponseDto[]> {
    return (await this.providerKeys.listLive()).map(toProviderKeyResponse);
  }

  /** The first key of an organization becomes its default; so does any key created with isDefault. */
  async create(organization: OrganizationContext, userId: string, dto: CreateProviderKeyDto): Promise<ProviderKeyResponseDto> {
    const id = randomUUID();
    const created = await this.em.transactional(async (em) => {
      await this.providerKeys.lockOrganizationKeys(organization.organizationId);
      const makeDefault = dto.isDefault === true || !(await this.providerKeys.findDefault());
      if (makeDefault) await this.clearDefault(em);
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
      return providerKey;
    });
    return toProviderKeyResponse(created);
  }

  async update(id: string, dto: UpdateProviderKeyDto): Promise<ProviderKeyResponseDto> {
    return this.em.transactional(async (em) => {
      await this.providerKeys.lockOrganizationKeys(this.currentOrganizationId());
      const providerKey = await this.providerKeys.findLive(id);
      if (!providerKey) throw notFound(PROVIDER_KEY_NOT_FOUND, 'Provider key');
      if (dto.isDefault === true && !providerKey.isDefault) {
        await this.clearDefault(em);
        providerKey.isDefault = true;
      } else if (dto.isDefault === false) {
        providerKey.isDefault = false;
      }
      if (dto.name) providerKey.name = dto.name.trim();
      await em.flush();
      return toProviderKeyResponse(providerKey);
    });
  }

  /** Deleting revokes: the ciphertext is erased, the row is kept for the audit trail. */
  async revoke(id: string, now = new Date()): Promise<void> {
    await this.em.transactional(async (em) => {
      await this.providerKeys.lockOrganizationKeys(this.currentOrganizationId());
      const providerKey = await this.providerKeys.findLive(id);
      if (!providerKey) throw notFound(PROVIDER_KEY_NOT_FOUND, 'Provider key');
      providerKey.revokedAt = now;
      providerKey.isDefault = false;
      providerKey.ciphertext = '';
      await em.flush();
    });
  }

  test(key: string): Promise<KeyCheckResult> {
    return this.verifier.check(key);
  }

  /** The current organization's default Anthropic key in plaintext, for the upstream call only. */
  async defaultKeyPlaintext(organizationId: string): Promise<string | null> {
    const providerKey = await this.providerKeys.findDefault();
    return providerKey ? this.cipher.decrypt(providerKey.ciphertext, organizationId, providerKey.id) : null;
  }

  /** The organization the tenant filter is armed with for this request (set by the access guard). */
  private currentOrganizationId(): string {
    const params = this.em.getFilterParams<TenantFilterArgs>(TENANT_FILTER);
    if (!params?.organizationId) throw new Error('Provider keys used outside an organization-scoped request');
    return params.organizationId;
  }

  private async clearDefault(em: EntityManager): Promise<void> {
    const current = await this.providerKeys.findDefault();
    if (!current) return;
    current.isDefault = false;
    await em.flush();
  }
}

export function toProviderKeyResponse(providerKey: ProviderKey): ProviderKeyResponseDto {
  return {
    id: providerKey.id,
    provider: providerKey.provider,
    name: providerKey.name,
    last4: providerKey.last4,
    isDefault: providerKey.isDefault,
    createdAt: providerKey.createdAt.toISOString(),
  };
}
