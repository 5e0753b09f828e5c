import { Body, Controller, Delete, Get, HttpStatus, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Authenticated, CurrentOrganization, CurrentPrincipal, Public } from '../../common/auth/decorators';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import {
  CreateShareLinkDto,
  SharedSessionQueryDto,
  SharedSessionResponseDto,
  ShareLinkResponseDto,
  ShareRemovedResponseDto,
  ShareStatusResponseDto,
} from './dto/sharing.dto';
import { RequestOrigin } from './request-origin.decorator';
import { SharedLinkThrottlerGuard } from './shared-link-throttler.guard';
import { SharingService } from './sharing.service';

const SESSION_UUID = ApiParam({
  name: 'sessionUuid',
  description: "The session's UUID or its external id",
  example: 'a0c2b1e2-fd3e-4567-890a-bcdef1234567',
});
const SHARE_TOKEN = ApiParam({
  name: 'shareToken',
  description: 'The share token from the share URL',
  example: 'shr_xyz789abc123',
});

/**
 * Session sharing. A session's creator (where the organization lets members share)
 * and the organization's admins and owners may share or unshare it; API keys
 * need the `write` scope to create or remove a link and `read` to see it. `{sessionUuid}` is a
 * session UUID or external id. The shared view is public and rate-limited per client address.
 */
@ApiTags('Sharing')
@Controller('spotlight/analytics/sessions')
export class SharingController {
  constructor(private readonly sharing: SharingService) {}

  @Post(':sessionUuid/share')
  @SESSION_UUID
  @Authenticated({ organizationScoped: true })
  @Endpoint({
    operationId: 'createShareLink',
    summary: "Create the session's public link, or return its live one (200) unchanged",
    description:
      'Options apply to a new link only; to change them, remove the link and share again. share_url uses PUBLIC_BASE_URL, else the origin the request was sent to.',
    status: HttpStatus.CREATED,
    type: ShareLinkResponseDto,
    errors: {
      400: 'Invalid options',
      403: 'Sharing is turned off for the organization, the caller may not share this session, or the key lacks the write scope',
      404: 'No such session in this organization',
    },
  })
  @ApiResponse({
    status: HttpStatus.OK,
    description: 'The session already had a live link; it is returned',
    type: ShareLinkResponseDto,
  })
  async create(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
    @Param('sessionUuid') sessionUuid: string,
    @Body() dto: CreateShareLinkDto,
    @RequestOrigin() origin: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ShareLinkResponseDto> {
    const { created, link } = await this.sharing.create(organization, principal, sessionUuid, dto, origin);
    reply.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return link;
  }

  @Get(':sessionUuid/share')
  @SESSION_UUID
  @Authenticated({ organizationScoped: true })
  @Endpoint({
    operationId: 'getShareStatus',
    summary: 'Whether the session has a live public link, and which',
    type: ShareStatusResponseDto,
    examples: {
      shared: {
        summary: 'The session is shared',
        value: {
          is_shared: true,
          share_token: 'shr_xyz789abc123',
          share_url: 'https://lamplight.example.com/shared/shr_xyz789abc123',
          shared_at: '2025-01-20T14:00:00Z',
          expires_at: null,
          include_content: false,
        },
      },
      notShared: { summary: 'The session is not shared', value: { is_shared: false } },
    },
    errors: { 404: 'No such session in this organization' },
  })
  status(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
    @Param('sessionUuid') sessionUuid: string,
    @RequestOrigin() origin: string,
  ): Promise<ShareStatusResponseDto> {
    return this.sharing.status(organization, principal, sessionUuid, origin);
  }

  @Delete(':sessionUuid/share')
  @SESSION_UUID
  @Authenticated({ organizationScoped: true })
  @Endpoint({
    operationId: 'deleteShareLink',
    summary: "Remove the session's public link; it stops working at once (idempotent)",
    type: ShareRemovedResponseDto,
    errors: { 403: 'The caller may not unshare this session', 404: 'No such session in this organization' },
  })
  remove(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
    @Param('sessionUuid') sessionUuid: string,
  ): Promise<ShareRemovedResponseDto> {
    return this.sharing.remove(organization, principal, sessionUuid);
  }

  @Get('shared/:shareToken')
  @SHARE_TOKEN
  @Public()
  @UseGuards(SharedLinkThrottlerGuard)
  @Endpoint({
    operationId: 'getSharedSession',
    summary: 'A shared session by its share token (no authentication)',
    description:
      "Usage only, plus each call's user_query and final_output where the link includes content. Never an organization, user, key or internal id.",
    type: SharedSessionResponseDto,
    errors: {
      400: 'Invalid paging',
      404: 'Share token not found or expired',
      429: 'Too many requests from this address',
    },
  })
  viewShared(
    @Param('shareToken') shareToken: string,
    @Query() query: SharedSessionQueryDto,
  ): Promise<SharedSessionResponseDto> {
    return this.sharing.viewShared(shareToken, query);
  }
}
