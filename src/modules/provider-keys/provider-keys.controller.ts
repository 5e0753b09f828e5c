import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentOrganization, CurrentPrincipal } from '../../common/auth/decorators';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { ProblemDto } from '../../common/openapi/problem.dto';
import { Role } from '../organizations/membership.entity';
import {
  CreateProviderKeyDto,
  ProviderKeyListResponseDto,
  ProviderKeyResponseDto,
  ProviderKeyTestResponseDto,
  TestProviderKeyDto,
  UpdateProviderKeyDto,
} from './dto/provider-key.dto';
import { ProviderKeysService } from './provider-keys.service';

/** Stored Anthropic keys: encrypted at rest, never readable back. Admins manage them. */
@ApiTags('Provider keys')
@Controller('api/v1/provider-keys')
export class ProviderKeysController {
  constructor(private readonly providerKeys: ProviderKeysService) {}

  @Get()
  @Authenticated({ organizationScoped: true, usersOnly: true, minimumRole: Role.Member })
  @ApiOperation({ operationId: 'listProviderKeys', summary: "List the organization's provider keys (last 4 characters only)" })
  async list(): Promise<ProviderKeyListResponseDto> {
    return { object: 'list', data: await this.providerKeys.list() };
  }

  @Post()
  @Authenticated({ organizationScoped: true, usersOnly: true, minimumRole: Role.Admin })
  @ApiOperation({ operationId: 'createProviderKey', summary: 'Store an Anthropic API key, encrypted' })
  create(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateProviderKeyDto,
  ): Promise<ProviderKeyResponseDto> {
    return this.providerKeys.create(organization, principal.userId, dto);
  }

  @Post('test')
  @HttpCode(HttpStatus.OK)
  @Authenticated({ organizationScoped: true, usersOnly: true, minimumRole: Role.Admin })
  @ApiOperation({ operationId: 'testProviderKey', summary: 'Check an Anthropic key against the upstream without storing it' })
  @ApiOkResponse({ type: ProviderKeyTestResponseDto })
  test(@Body() dto: TestProviderKeyDto): Promise<ProviderKeyTestResponseDto> {
    return this.providerKeys.test(dto.key);
  }

  @Patch(':id')
  @Authenticated({ organizationScoped: true, usersOnly: true, minimumRole: Role.Admin })
  @ApiOperation({ operationId: 'updateProviderKey', summary: 'Rename a provider key or make it the default' })
  @ApiNotFoundResponse({ description: 'No such key in this organization', type: ProblemDto })
  update(@Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateProviderKeyDto): Promise<ProviderKeyResponseDto> {
    return this.providerKeys.update(id, dto);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @Authenticated({ organizationScoped: true, usersOnly: true, minimumRole: Role.Admin })
  @ApiOperation({ operationId: 'deleteProviderKey', summary: 'Delete a provider key; its ciphertext is erased' })
  @ApiNotFoundResponse({ description: 'No such key in this organization', type: ProblemDto })
  async revoke(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.providerKeys.revoke(id);
  }
}
