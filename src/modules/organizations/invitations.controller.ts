import { Controller, Get, Param, Post } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { InvitationListResponseDto, InvitationResponseDto } from './dto/invitation.dto';
import { InvitationsService } from './invitations.service';

const INVITATION_ID = ApiParam({ name: 'id', description: "The invitation's id", format: 'uuid' });

/** The signed-in user's invitations (to their email): never API keys. */
@ApiTags('Invitations')
@Controller('api/v1/invitations')
@Authenticated({ organizationScoped: false, usersOnly: true })
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @Get()
  @Endpoint({
    operationId: 'listMyInvitations',
    summary: 'Your pending invitations to organizations',
    type: InvitationListResponseDto,
  })
  async list(@CurrentPrincipal() principal: Principal): Promise<InvitationListResponseDto> {
    return { object: 'list', data: await this.invitations.listMine(principal.userId) };
  }

  @Post(':id/accept')
  @INVITATION_ID
  @Endpoint({
    operationId: 'acceptInvitation',
    summary: 'Accept an invitation: you join the organization with its role',
    type: InvitationResponseDto,
    errors: {
      404: 'No such invitation to you',
      409: 'Already answered, revoked or expired; or you are already a member',
    },
  })
  accept(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<InvitationResponseDto> {
    return this.invitations.accept(principal.userId, id);
  }

  @Post(':id/decline')
  @INVITATION_ID
  @Endpoint({
    operationId: 'declineInvitation',
    summary: 'Decline an invitation',
    type: InvitationResponseDto,
    errors: { 404: 'No such invitation to you', 409: 'Already answered, revoked or expired' },
  })
  decline(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<InvitationResponseDto> {
    return this.invitations.decline(principal.userId, id);
  }
}
