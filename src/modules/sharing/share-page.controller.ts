import { Controller, Get, Param, Res, UseFilters, UseGuards } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../../common/auth/decorators';
import { SharePageFilter, sharePageHeaders } from './share-page.filter';
import { SharedLinkThrottlerGuard } from './shared-link-throttler.guard';
import { SharingService } from './sharing.service';

/** The page a share_url opens: server-rendered HTML, no scripts, nothing loaded from elsewhere. */
@ApiTags('Sharing')
@Controller('shared')
@UseFilters(SharePageFilter)
export class SharePageController {
  constructor(private readonly sharing: SharingService) {}

  @Get(':shareToken')
  @ApiParam({ name: 'shareToken', description: 'The share token from the share URL', example: 'shr_xyz789abc123' })
  @Public()
  @UseGuards(SharedLinkThrottlerGuard)
  @ApiOperation({
    operationId: 'getSharePage',
    summary: 'The public HTML page of a shared session (no authentication)',
  })
  @ApiProduces('text/html')
  @ApiOkResponse({
    description: "The session's usage summary, its calls and, where the link allows, its transcript",
    schema: { type: 'string' },
  })
  @ApiNotFoundResponse({
    description: 'An HTML page: the token is unknown, expired or removed',
    schema: { type: 'string' },
  })
  @ApiTooManyRequestsResponse({
    description: 'An HTML page: too many requests from this address',
    schema: { type: 'string' },
  })
  @ApiServiceUnavailableResponse({
    description:
      'An HTML page: the database cannot be reached or Lamplight is shutting down; retry shortly (retry-after)',
    schema: { type: 'string' },
  })
  async page(@Param('shareToken') shareToken: string, @Res() reply: FastifyReply): Promise<void> {
    const page = await this.sharing.renderPage(shareToken);
    await reply.status(200).headers(sharePageHeaders()).type('text/html; charset=utf-8').send(page);
  }
}
