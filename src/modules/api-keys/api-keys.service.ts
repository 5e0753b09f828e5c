import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { DomainError, notFound } from '../../common/errors/domain-error';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { ApiKey, ApiKeyScope, ALL_API_KEY_SCOPES } from './api-key.entity';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeySecrets } from './api-key-secrets';
import type { ApiKeyResponseDto, CreatedApiKeyResponseDto, CreateApiKeyDto } from './dto/api-key.dto';
import { HttpStatus } from '@nestjs/common';

export const API_KEY_NOT_FOUND = 'API_KEY_NOT_FOUND';

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly em: EntityManager,
    private readonly apiKeys: ApiKeyRepository,
    private readonly secrets: ApiKeySecrets,
  ) {}

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

  /** Revocation is immediate: authentication reads the key's row on every request. */
  async revoke(id: string, now = new Date()): Promise<void> {
    const apiKey = await this.apiKeys.findLive(id);
    if (!apiKey) throw notFound(API_KEY_NOT_FOUND, 'API key');
    apiKey.revokedAt = now;
    await this.em.flush();
  }

  /** The principal for a presented platform key, or null when it is unknown, revoked or expired. */
  async authenticate(presented: string, now = new Date()): Promise<Principal | null> {
    if (!ApiKeySecrets.looksLikeKey(presented)) return null;
    const apiKey = await this.apiKeys.findByDigestForAuthentication(this.secrets.digest(presented));
    if (!apiKey || apiKey.revokedAt || (apiKey.expiresAt && apiKey.expiresAt <= now)) return null;
    void this.apiKeys.touchLastUsed(apiKey.id, now).catch(() => undefined);
    return {
      kind: 'apiKey',
      apiKeyId: apiKey.id,
      userId: apiKey.createdBy.id,
      organizationId: apiKey.organization.id,
      scopes: apiKey.scopes,
    };
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
