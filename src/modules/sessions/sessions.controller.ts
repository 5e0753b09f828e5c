import {
  Body,
  Controller,
  Delete,
  Get,
  HttpStatus,
  Param,
  Patch,
  Post,
  Query,
  type StreamableFile,
} from '@nestjs/common';
import { ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentOrganization, CurrentPrincipal } from '../../common/auth/decorators';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { Role } from '../organizations/membership.entity';
import {
  SessionEventsQueryDto,
  SessionEventsResponseDto,
  SessionExportQueryDto,
  SessionHistoryQueryDto,
  SessionHistoryResponseDto,
} from './dto/session-history.dto';
import {
  ListSessionsQueryDto,
  SessionDetailResponseDto,
  SessionListResponseDto,
  SessionResponseDto,
  UpdateSessionDto,
} from './dto/session.dto';
import { SessionHistoryService } from './session-history.service';
import { SessionsService } from './sessions.service';

const SESSION_ID = ApiParam({
  name: 'sessionId',
  description: "The session's UUID or its external id",
  example: 'my-app-session-123',
});
const NOT_FOUND = 'No such session in this organization (or it was deleted)';

/**
 * Sessions of the organization: every member reads them all; a session is changed by its
 * creator or by an admin. Deleted sessions answer 404 everywhere but restore.
 */
@ApiTags('Sessions')
@Controller('api/v1/sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly history: SessionHistoryService,
  ) {}

  @Get()
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @Endpoint({
    operationId: 'listSessions',
    summary: "List the organization's sessions, newest first, by cursor (before) or offset",
    type: SessionListResponseDto,
    errors: { 400: 'Invalid parameters, an unknown cursor, or both before and offset' },
  })
  list(
    @CurrentOrganization() organization: OrganizationContext,
    @Query() query: ListSessionsQueryDto,
  ): Promise<SessionListResponseDto> {
    return this.sessions.list(organization, query);
  }

  @Get(':sessionId')
  @SESSION_ID
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @Endpoint({
    operationId: 'getSession',
    summary: "Get a session by UUID or external id, with its agents (each one's calls, tokens and cost)",
    type: SessionDetailResponseDto,
    errors: { 404: NOT_FOUND },
  })
  get(
    @CurrentOrganization() organization: OrganizationContext,
    @Param('sessionId') sessionId: string,
  ): Promise<SessionDetailResponseDto> {
    return this.history.detail(organization, sessionId);
  }

  @Get(':sessionId/history')
  @SESSION_ID
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @Endpoint({
    operationId: 'getSessionHistory',
    summary: "The session's interactions (tasks), oldest first, with how each ran",
    type: SessionHistoryResponseDto,
    errors: { 400: 'Invalid parameters', 404: NOT_FOUND },
  })
  getHistory(
    @CurrentOrganization() organization: OrganizationContext,
    @Param('sessionId') sessionId: string,
    @Query() query: SessionHistoryQueryDto,
  ): Promise<SessionHistoryResponseDto> {
    return this.history.history(organization, sessionId, query);
  }

  @Get(':sessionId/events')
  @SESSION_ID
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @Endpoint({
    operationId: 'getSessionEvents',
    summary: 'The conversation grouped by turn, with the events of each',
    type: SessionEventsResponseDto,
    errors: { 400: 'Invalid parameters', 404: NOT_FOUND },
  })
  getEvents(
    @CurrentOrganization() organization: OrganizationContext,
    @Param('sessionId') sessionId: string,
    @Query() query: SessionEventsQueryDto,
  ): Promise<SessionEventsResponseDto> {
    return this.history.events(organization, sessionId, query);
  }

  @Get(':sessionId/export')
  @SESSION_ID
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @Endpoint({
    operationId: 'exportSession',
    summary: 'Download every interaction of the session as JSON Lines (with content) or CSV, streamed',
    errors: { 400: 'Invalid parameters', 404: NOT_FOUND },
    content: {
      'application/x-ndjson': {
        schema: { type: 'string', description: 'format=jsonl: one interaction per line, as JSON' },
      },
      'text/csv': { schema: { type: 'string', description: 'format=csv: a header row, then one interaction per row' } },
    },
  })
  @ApiProduces('application/x-ndjson', 'text/csv')
  export(
    @CurrentOrganization() organization: OrganizationContext,
    @Param('sessionId') sessionId: string,
    @Query() query: SessionExportQueryDto,
  ): Promise<StreamableFile> {
    return this.history.export(organization, sessionId, query.format ?? 'jsonl');
  }

  @Patch(':sessionId')
  @SESSION_ID
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @Endpoint({
    operationId: 'updateSession',
    summary: "Change a session's title or token budget (its creator, or an admin)",
    type: SessionResponseDto,
    errors: { 400: 'Empty or too long title, or nothing to change', 404: NOT_FOUND },
  })
  update(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
    @Param('sessionId') sessionId: string,
    @Body() dto: UpdateSessionDto,
  ): Promise<SessionResponseDto> {
    return this.sessions.update(organization, principal, sessionId, dto);
  }

  @Delete(':sessionId')
  @SESSION_ID
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @Endpoint({
    operationId: 'deleteSession',
    summary: 'Soft-delete a session (its creator, or an admin); idempotent',
    status: HttpStatus.NO_CONTENT,
    errors: { 404: 'No such session in this organization' },
  })
  async delete(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
    @Param('sessionId') sessionId: string,
  ): Promise<void> {
    await this.sessions.delete(organization, principal, sessionId);
  }

  @Post(':sessionId/restore')
  @SESSION_ID
  @Authenticated({ organizationScoped: true, minimumRole: Role.Admin })
  @Endpoint({
    operationId: 'restoreSession',
    summary: 'Undo the delete of a session (admins); a session that is not deleted is returned unchanged',
    description:
      'By external id, the most recently deleted session with it. When a newer open session holds the external id, the restored session comes back released.',
    type: SessionResponseDto,
    errors: {
      404: 'No such session in this organization, deleted or not',
      409: 'A concurrent call took the external id; retry',
    },
  })
  restore(
    @CurrentOrganization() organization: OrganizationContext,
    @Param('sessionId') sessionId: string,
  ): Promise<SessionResponseDto> {
    return this.sessions.restore(organization.organizationId, sessionId);
  }

  @Post(':sessionId/release')
  @SESSION_ID
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @Endpoint({
    operationId: 'releaseSession',
    summary: 'Close a session (its creator, or an admin): the next call with its external id opens a new one',
    type: SessionResponseDto,
    errors: { 404: NOT_FOUND },
  })
  release(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
    @Param('sessionId') sessionId: string,
  ): Promise<SessionResponseDto> {
    return this.sessions.release(organization, principal, sessionId);
  }
}
