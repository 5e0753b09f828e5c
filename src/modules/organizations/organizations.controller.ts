import { Body, Controller, Delete, Get, HttpStatus, Param, Patch, Post } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
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
import { InvitationListResponseDto, InvitationResponseDto } from './dto/invitation.dto';
import { InvitationsService } from './invitations.service';
import { OrganizationsService } from './organizations.service';

const NOT_FOUND = 'No such organization, or you are not a member of it';
const ORGANIZATION_ID = ApiParam({ name: 'id', description: "The organization's id", format: 'uuid' });
const INVITATION_ID = ApiParam({ name: 'invitationId', description: "The invitation's id", format: 'uuid' });
const MEMBER_ID = ApiParam({ name: 'userId', description: "The member's user id", format: 'uuid' });

/** Organization management: signed-in users only, never API keys. Non-members get 404. */
@ApiTags('Organizations')
@Controller('api/v1/organizations')
@Authenticated({ organizationScoped: false, usersOnly: true })
export class OrganizationsController {
  constructor(
    private readonly organizations: OrganizationsService,
    private readonly invitations: InvitationsService,
  ) {}

  @Get()
  @Endpoint({
    operationId: 'listOrganizations',
    summary: 'List the organizations you belong to',
    type: OrganizationListResponseDto,
  })
  async list(@CurrentPrincipal() principal: Principal): Promise<OrganizationListResponseDto> {
    return { object: 'list', data: await this.organizations.listMine(principal.userId) };
  }

  @Post()
  @Endpoint({
    operationId: 'createOrganization',
    summary: 'Create an organization with you as its owner',
    status: HttpStatus.CREATED,
    type: OrganizationResponseDto,
    errors: { 400: 'Invalid fields', 409: 'The slug is taken' },
  })
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateOrganizationDto,
  ): Promise<OrganizationResponseDto> {
    return this.organizations.create(principal.userId, dto);
  }

  @Get(':id')
  @ORGANIZATION_ID
  @Endpoint({
    operationId: 'getOrganization',
    summary: 'Get an organization you belong to',
    type: OrganizationResponseDto,
    errors: { 404: NOT_FOUND },
  })
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<OrganizationResponseDto> {
    return this.organizations.get(principal.userId, id);
  }

  @Patch(':id')
  @ORGANIZATION_ID
  @Endpoint({
    operationId: 'updateOrganization',
    summary: 'Rename an organization or change its settings (admins)',
    type: OrganizationResponseDto,
    errors: { 400: 'Invalid fields', 404: NOT_FOUND, 409: 'The slug is taken' },
  })
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: UpdateOrganizationDto,
  ): Promise<OrganizationResponseDto> {
    return this.organizations.update(principal.userId, id, dto);
  }

  @Delete(':id')
  @ORGANIZATION_ID
  @Endpoint({
    operationId: 'deleteOrganization',
    summary: 'Delete an organization (owners); its API keys stop working',
    status: HttpStatus.NO_CONTENT,
    errors: { 404: NOT_FOUND },
  })
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.organizations.remove(principal.userId, id);
  }

  @Get(':id/members')
  @ORGANIZATION_ID
  @Endpoint({
    operationId: 'listMembers',
    summary: "List an organization's members",
    type: MemberListResponseDto,
    errors: { 404: NOT_FOUND },
  })
  async listMembers(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<MemberListResponseDto> {
    return { object: 'list', data: await this.organizations.listMembers(principal.userId, id) };
  }

  @Post(':id/members')
  @ORGANIZATION_ID
  @Endpoint({
    operationId: 'addMember',
    summary:
      'Invite someone by email, registered or not (admins; only owners invite owners); they join when they accept',
    description:
      "Membership needs the invited user's consent: this creates a pending invitation, which they see at GET /api/v1/invitations and accept or decline. It expires after 7 days.",
    status: HttpStatus.CREATED,
    type: InvitationResponseDto,
    errors: { 400: 'Invalid fields', 404: NOT_FOUND, 409: 'Already a member, or an invitation is already pending' },
  })
  addMember(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: AddMemberDto,
  ): Promise<InvitationResponseDto> {
    return this.invitations.invite(principal.userId, id, dto);
  }

  @Get(':id/invitations')
  @ORGANIZATION_ID
  @Endpoint({
    operationId: 'listInvitations',
    summary: "The organization's pending invitations (admins)",
    type: InvitationListResponseDto,
    errors: { 404: NOT_FOUND },
  })
  async listInvitations(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<InvitationListResponseDto> {
    return { object: 'list', data: await this.invitations.listForOrganization(principal.userId, id) };
  }

  @Delete(':id/invitations/:invitationId')
  @ORGANIZATION_ID
  @INVITATION_ID
  @Endpoint({
    operationId: 'revokeInvitation',
    summary: 'Revoke a pending invitation (admins; idempotent)',
    status: HttpStatus.NO_CONTENT,
    errors: { 404: `${NOT_FOUND}; or no such invitation`, 409: 'Already accepted, declined or expired' },
  })
  async revokeInvitation(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('invitationId') invitationId: string,
  ): Promise<void> {
    await this.invitations.revoke(principal.userId, id, invitationId);
  }

  @Patch(':id/members/:userId')
  @ORGANIZATION_ID
  @MEMBER_ID
  @Endpoint({
    operationId: 'updateMember',
    summary: "Change a member's role (admins; nobody raises their own; the last owner stays)",
    type: MemberResponseDto,
    errors: { 400: 'Invalid fields', 404: `${NOT_FOUND}; or no such member`, 409: 'That would leave no owner' },
  })
  updateMember(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('userId') userId: string,
    @Body() dto: UpdateMemberDto,
  ): Promise<MemberResponseDto> {
    return this.organizations.updateMember(principal.userId, id, userId, dto);
  }

  @Delete(':id/members/:userId')
  @ORGANIZATION_ID
  @MEMBER_ID
  @Endpoint({
    operationId: 'removeMember',
    summary: 'Remove a member (admins), or leave (anyone); the last owner stays',
    status: HttpStatus.NO_CONTENT,
    errors: { 404: `${NOT_FOUND}; or no such member`, 409: 'That would leave no owner' },
  })
  async removeMember(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('userId') userId: string,
  ): Promise<void> {
    await this.organizations.removeMember(principal.userId, id, userId);
  }
}
