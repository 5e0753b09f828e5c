import { Body, Controller, Delete, Get, HttpStatus, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentOrganization, CurrentPrincipal } from '../../common/auth/decorators';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { Role } from '../organizations/membership.entity';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyListResponseDto, CreateApiKeyDto, CreatedApiKeyResponseDto } from './dto/api-key.dto';

/** Platform API keys of the organization. Only signed-in users manage them; admins create and revoke. */
@ApiTags('API keys')
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Get()
  @Authenticated({ organizationScoped: true, usersOnly: true, minimumRole: Role.Member })
  @Endpoint({
    operationId: 'listApiKeys',
    summary: "List the organization's live API keys (never the keys themselves)",
    type: ApiKeyListResponseDto,
  })
  async list(@CurrentOrganization() organization: OrganizationContext): Promise<ApiKeyListResponseDto> {
    return { object: 'list', data: await this.apiKeys.list(organization.organizationId) };
  }

  @Post()
  @Authenticated({ organizationScoped: true, usersOnly: true, minimumRole: Role.Admin })
  @Endpoint({
    operationId: 'createApiKey',
    summary: 'Create a platform API key bound to the organization; the key is shown only in this response',
    status: HttpStatus.CREATED,
    type: CreatedApiKeyResponseDto,
    errors: { 400: 'Invalid fields' },
  })
  create(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateApiKeyDto,
  ): Promise<CreatedApiKeyResponseDto> {
    return this.apiKeys.create(organization, principal.userId, dto);
  }

  @Delete(':id')
  @ApiParam({ name: 'id', description: "The API key's id", format: 'uuid' })
  @Authenticated({ organizationScoped: true, usersOnly: true, minimumRole: Role.Admin })
  @Endpoint({
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key; it stops working on the next request',
    status: HttpStatus.NO_CONTENT,
    errors: { 400: 'The id is not a UUID', 404: 'No such key in this organization' },
  })
  async revoke(
    @CurrentOrganization() organization: OrganizationContext,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<void> {
    await this.apiKeys.revoke(organization.organizationId, id);
  }
}
