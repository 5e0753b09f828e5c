import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { ProblemDto } from '../../common/openapi/problem.dto';
import {
  AddMemberDto,
  CreateOrganizationDto,
  MemberListResponseDto,
  MemberResponseDto,
  OrganizationListResponseDto,
  OrganizationResponseDto,
  UpdateMemberDto,
  UpdateOrganizationDto,
} from './dto/organization.dto';
import { OrganizationsService } from './organizations.service';

/** Organization management: signed-in users only, never API keys. Non-members get 404. */
@ApiTags('Organizations')
@Controller('api/v1/organizations')
@Authenticated({ organizationScoped: false, usersOnly: true })
@ApiNotFoundResponse({ description: 'No such organization, or not a member of it', type: ProblemDto })
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Get()
  @ApiOperation({ operationId: 'listOrganizations', summary: 'List the organizations you belong to' })
  async list(@CurrentPrincipal() principal: Principal): Promise<OrganizationListResponseDto> {
    return { object: 'list', data: await this.organizations.listMine(principal.userId) };
  }

  @Post()
  @ApiOperation({ operationId: 'createOrganization', summary: 'Create an organization with you as its owner' })
  @ApiConflictResponse({ description: 'The slug is taken', type: ProblemDto })
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateOrganizationDto): Promise<OrganizationResponseDto> {
    return this.organizations.create(principal.userId, dto);
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getOrganization', summary: 'Get an organization you belong to' })
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<OrganizationResponseDto> {
    return this.organizations.get(principal.userId, id);
  }

  @Patch(':id')
  @ApiOperation({ operationId: 'updateOrganization', summary: 'Rename an organization or change its settings (admins)' })
  @ApiConflictResponse({ description: 'The slug is taken', type: ProblemDto })
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: UpdateOrganizationDto,
  ): Promise<OrganizationResponseDto> {
    return this.organizations.update(principal.userId, id, dto);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ operationId: 'deleteOrganization', summary: 'Delete an organization (owners); its API keys stop working' })
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.organizations.remove(principal.userId, id);
  }

  @Get(':id/members')
  @ApiOperation({ operationId: 'listMembers', summary: "List an organization's members" })
  async listMembers(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<MemberListResponseDto> {
    return { object: 'list', data: await this.organizations.listMembers(principal.userId, id) };
  }

  @Post(':id/members')
  @ApiOperation({ operationId: 'addMember', summary: 'Add an existing user by email (admins; only owners add owners)' })
  @ApiConflictResponse({ description: 'Already a member', type: ProblemDto })
  addMember(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: AddMemberDto,
  ): Promise<MemberResponseDto> {
    return this.organizations.addMember(principal.userId, id, dto);
  }

  @Patch(':id/members/:userId')
  @ApiOperation({
    operationId: 'updateMember',
    summary: "Change a member's role (admins; nobody raises their own; the last owner stays)",
  })
  @ApiConflictResponse({ description: 'That would leave no owner', type: ProblemDto })
  updateMember(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('userId') userId: string,
    @Body() dto: UpdateMemberDto,
  ): Promise<MemberResponseDto> {
    return this.organizations.updateMember(principal.userId, id, userId, dto);
  }

  @Delete(':id/members/:userId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ operationId: 'removeMember', summary: 'Remove a member (admins), or leave (anyone); the last owner stays' })
  @ApiConflictResponse({ description: 'That would leave no owner', type: ProblemDto })
  async removeMember(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('userId') userId: string,
  ): Promise<void> {
    await this.organizations.removeMember(principal.userId, id, userId);
  }
}
