import { Controller, Get, Param, StreamableFile } from '@nestjs/common';
import { ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { RetentionService } from './retention.service';

/** The owner's copy of an organization's data, to take before deleting it. */
@ApiTags('Organizations')
@Controller('api/v1/organizations/:id/export')
@Authenticated({ organizationScoped: false, usersOnly: true })
export class RetentionExportController {
  constructor(private readonly retention: RetentionService) {}

  @Get()
  @ApiParam({ name: 'id', description: "The organization's id", format: 'uuid' })
  @Endpoint({
    operationId: 'exportOrganization',
    summary: 'Download every session and call of the organization as JSON Lines (owners), before deleting it',
    description:
      'Deleting an organization keeps its data for the grace period (deletionGraceDays of GET …/retention), then removes it for good; this export is the copy to take first.',
    errors: { 403: 'Needs the owner role', 404: 'No such organization, or you are not a member of it' },
    content: {
      'application/x-ndjson': {
        schema: {
          type: 'string',
          description:
            'One JSON object per line: the organization, then each session, then each interaction (content included)',
        },
      },
    },
  })
  @ApiProduces('application/x-ndjson')
  export(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<StreamableFile> {
    return this.retention.export(principal.userId, id);
  }
}
