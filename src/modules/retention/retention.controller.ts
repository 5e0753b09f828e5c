import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { RetentionResponseDto, UpdateRetentionDto } from './dto/retention.dto';
import { RetentionService } from './retention.service';

const NOT_FOUND = 'No such organization, or you are not a member of it';
const ORGANIZATION_ID = ApiParam({ name: 'id', description: "The organization's id", format: 'uuid' });

/** What an organization keeps and what retention removed: signed-in members only. */
@ApiTags('Organizations')
@Controller('api/v1/organizations/:id/retention')
@Authenticated({ organizationScoped: false, usersOnly: true })
export class RetentionController {
  constructor(private readonly retention: RetentionService) {}

  @Get()
  @ORGANIZATION_ID
  @Endpoint({
    operationId: 'getRetention',
    summary: 'How long the organization keeps content and calls, and what was removed when',
    type: RetentionResponseDto,
    errors: { 404: NOT_FOUND },
  })
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<RetentionResponseDto> {
    return this.retention.get(principal.userId, id);
  }

  @Put()
  @ORGANIZATION_ID
  @Endpoint({
    operationId: 'updateRetention',
    summary: 'Set how long content and calls are kept (admins)',
    type: RetentionResponseDto,
    errors: { 400: 'Invalid fields', 403: 'Needs the admin role', 404: NOT_FOUND },
  })
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: UpdateRetentionDto,
  ): Promise<RetentionResponseDto> {
    return this.retention.update(principal.userId, id, dto);
  }
}
