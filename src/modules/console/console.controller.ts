import { Controller, Get, HttpStatus, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/decorators';
import { ApiProblemResponse } from '../../common/openapi/endpoint.decorator';
import { ConsoleErrors } from './console.errors';
import { ConsoleAssets } from './console-assets';

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Lamplight</title></head>
<body><h1>Lamplight</h1><p>The console has not been built. Run <code>npm run build</code> (or <code>npm start</code>), then reload.</p>
<p>The API is at <a href="/docs">/docs</a>.</p></body></html>`;

/**
 * The browser console, served by this process: the page at `/` and at each of the console's own
 * paths (so links can be bookmarked and reloaded), and its hashed assets. Only these paths are
 * the console's: `/api`, `/spotlight`, `/docs`, `/shared` and any unknown path keep their own
 * answers (a problem document for an unknown one).
 */
@ApiTags('Console')
@Controller()
export class ConsoleController {
  constructor(private readonly assets: ConsoleAssets) {}

  @Get()
  @Public()
  @ApiOperation({
    operationId: 'getConsole',
    summary: 'The browser console (HTML; the page loads its scripts from /assets)',
  })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The console page', schema: { type: 'string' } })
  async root(@Res() reply: FastifyReply): Promise<void> {
    await this.page(reply);
  }

  @Get(['signin', 'signup', 'sessions', 'sessions/:sessionId', 'settings', 'settings/:section'])
  @Public()
  @ApiExcludeEndpoint()
  async route(@Res() reply: FastifyReply): Promise<void> {
    await this.page(reply);
  }

  @Get('assets/:file')
  @Public()
  @ApiOperation({
    operationId: 'getConsoleAsset',
    summary: "One of the console's built files (scripts, styles), named by content hash",
  })
  @ApiParam({ name: 'file', description: 'A file name from the console page', example: 'index-4f2a9c1b.js' })
  @ApiProduces('text/javascript', 'text/css')
  @ApiOkResponse({
    description: 'The file; cached for a year, since its name changes with its content',
    schema: { type: 'string' },
  })
  @ApiProblemResponse(HttpStatus.NOT_FOUND, 'No such file')
  async asset(@Param('file') file: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const asset = this.assets.asset(file);
    if (!asset) throw ConsoleErrors.assetNotFound();
    const encodings = request.headers['accept-encoding'];
    const acceptsGzip = typeof encodings === 'string' && /\bgzip\b/.test(encodings);
    void reply
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('vary', 'accept-encoding')
      .type(asset.contentType);
    if (acceptsGzip) void reply.header('content-encoding', 'gzip');
    await reply.status(200).send(acceptsGzip ? asset.gzipped : asset.body);
  }

  private async page(reply: FastifyReply): Promise<void> {
    // The page itself is never cached, so a new build is picked up on the next load.
    await reply
      .status(200)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(this.assets.index ?? NOT_BUILT);
  }
}
