import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentOrganization, CurrentPrincipal } from '../../common/auth/decorators';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { ProblemDto } from '../../common/openapi/problem.dto';
import { Role } from '../organizations/membership.entity';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyListResponseDto, CreateApiKeyDto, CreatedApiKeyResponseDto } from './dto/api-key.dto';

@ApiTags('API keys')
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Get()
  @Authenticated({ organizationScoped: true, usersOnly: true, minimumRole: Role.Member })
  @ApiOperation({ operationId: 'listApiKeys', summary: "List the organization's live API keys (never the keys themselves)" })
  async list(): Promise<ApiKeyListResponseDto> {
    return { object: 'list', data: await this.apiKeys.list() };
  }

  @Post()
  @Authenticated({ organizationScoped: true, usersOnly: true, minimumRole: Role.Admin })
  @ApiOperation({
    operationId: 'createApiKey',
    summary: 'Create a platform API key bound to the organization; the key is shown only in this response',
  })
  create(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateApiKeyDto,
  ): Promise<CreatedApiKeyResponseDto> {
    return this.apiKeys.create(organization, principal.userId, dto);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @Authenticated({ organizationScoped: true, usersOnly: true, minimumRole: Role.Admin })
  @ApiOperation({ operationId: 'revokeApiKey', summary: 'Revoke an API key; it stops working on the next request' })
  @ApiNotFoundResponse({ description: 'No such key in this organization', type: ProblemDto })
  async revoke(@Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    await this.apiKeys.revoke(id);
  }
}
