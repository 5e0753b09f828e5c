import { Body, Controller, Delete, Get, HttpStatus, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentOrganization, CurrentPrincipal } from '../../common/auth/decorators';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
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
  @Endpoint({
    operationId: 'listProviderKeys',
    summary: "List the organization's provider keys (last 4 characters only)",
    type: ProviderKeyListResponseDto,
  })
  async list(@CurrentOrganization() organization: OrganizationContext): Promise<ProviderKeyListResponseDto> {
    return { object: 'list', data: await this.providerKeys.list(organization.organizationId) };
  }

  @Post()
  @Authenticated({ organizationScoped: true, usersOnly: true, minimumRole: Role.Admin })
  @Endpoint({
    operationId: 'createProviderKey',
    summary: 'Store an Anthropic API key, encrypted; the first one becomes the default',
    status: HttpStatus.CREATED,
    type: ProviderKeyResponseDto,
    errors: { 400: 'Invalid fields, or not an Anthropic API key' },
  })
  create(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateProviderKeyDto,
  ): Promise<ProviderKeyResponseDto> {
    return this.providerKeys.create(organization, principal.userId, dto);
  }

  @Post('test')
  @Authenticated({ organizationScoped: true, usersOnly: true, minimumRole: Role.Admin })
  @Endpoint({
    operationId: 'testProviderKey',
    summary: 'Check an Anthropic key against the upstream without storing it',
    type: ProviderKeyTestResponseDto,
    errors: { 400: 'Invalid fields, or not an Anthropic API key' },
  })
  test(@Body() dto: TestProviderKeyDto): Promise<ProviderKeyTestResponseDto> {
    return this.providerKeys.test(dto.key);
  }

  @Patch(':id')
  @ApiParam({ name: 'id', description: "The provider key's id", format: 'uuid' })
  @Authenticated({ organizationScoped: true, usersOnly: true, minimumRole: Role.Admin })
  @Endpoint({
    operationId: 'updateProviderKey',
    summary: 'Rename a provider key or make it the default',
    type: ProviderKeyResponseDto,
    errors: { 400: 'Invalid fields', 404: 'No such key in this organization' },
  })
  update(
    @CurrentOrganization() organization: OrganizationContext,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateProviderKeyDto,
  ): Promise<ProviderKeyResponseDto> {
    return this.providerKeys.update(organization.organizationId, id, dto);
  }

  @Delete(':id')
  @ApiParam({ name: 'id', description: "The provider key's id", format: 'uuid' })
  @Authenticated({ organizationScoped: true, usersOnly: true, minimumRole: Role.Admin })
  @Endpoint({
    operationId: 'deleteProviderKey',
    summary: 'Delete a provider key; its ciphertext is erased',
    status: HttpStatus.NO_CONTENT,
    errors: { 400: 'The id is not a UUID', 404: 'No such key in this organization' },
  })
  async revoke(
    @CurrentOrganization() organization: OrganizationContext,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<void> {
    await this.providerKeys.revoke(organization.organizationId, id);
  }
}
