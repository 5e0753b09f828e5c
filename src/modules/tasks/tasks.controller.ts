import { Body, Controller, Get, HttpStatus, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentOrganization, CurrentPrincipal } from '../../common/auth/decorators';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { ApiKeyScope } from '../api-keys/api-key.entity';
import { Role } from '../organizations/membership.entity';
import { CreateTaskDto, TaskResponseDto } from './dto/task.dto';
import { TasksService } from './tasks.service';

/** Tasks: a query answered in a session, through the proxy, with the session's earlier turns as context. */
@ApiTags('Tasks')
@Controller('api/v1/tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Post()
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member, apiKeyScope: ApiKeyScope.Proxy })
  @Endpoint({
    operationId: 'createTask',
    summary: "Answer a query in a session with the organization's provider key; recorded like a proxied call",
    description:
      'The answer comes back when Anthropic has given it; a task Anthropic refused or failed is still recorded and comes back with status "failed". API keys need the proxy scope.',
    status: HttpStatus.CREATED,
    type: TaskResponseDto,
    errors: {
      400: 'Invalid fields',
      429: "Over a spend limit, the session's token budget among them (nothing was sent); retry-after gives when the period resets",
      409: 'The session named by UUID is released, or the organization has no provider key',
      503: 'Lamplight is shutting down',
    },
  })
  create(
    @CurrentPrincipal() principal: Principal,
    @CurrentOrganization() organization: OrganizationContext,
    @Body() dto: CreateTaskDto,
  ): Promise<TaskResponseDto> {
    return this.tasks.create(principal, organization, dto);
  }

  @Get(':id')
  @ApiParam({ name: 'id', description: "The task's id (the recorded call's id)", format: 'uuid' })
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @Endpoint({
    operationId: 'getTask',
    summary: 'Get a task (any recorded call of the organization) by id',
    type: TaskResponseDto,
    errors: { 400: 'The id is not a UUID', 404: 'No such task in this organization (or its session was deleted)' },
  })
  get(
    @CurrentOrganization() organization: OrganizationContext,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<TaskResponseDto> {
    return this.tasks.get(organization, id);
  }
}
