import {
  All,
  applyDecorators,
  Controller,
  Delete,
  Get,
  Head,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiExcludeEndpoint,
  ApiExtraModels,
  ApiHeader,
  ApiParam,
  ApiProduces,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Authenticated, CurrentOrganization, CurrentPrincipal, Public } from '../../common/auth/decorators';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { AnthropicRoute, RouteBehaviour } from '../../common/http/route-behaviour';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { ApiKeyScope } from '../api-keys/api-key.entity';
import {
  AnthropicErrorDto,
  CountTokensResponseDto,
  DeletedObjectDto,
  FileListDto,
  FileMetadataDto,
  MessageBatchDto,
  MessageBatchListDto,
  MessageRequestDto,
  MessageResponseDto,
  ModelInfoDto,
  ModelListDto,
} from './dto/anthropic.dto';
import { RequestOrigin } from '../sharing/request-origin.decorator';
import { ProxyResourcesService } from './proxy-resources.service';
import { ProxyLimiter } from './proxy-limits.service';
import { ProxyService } from './proxy.service';

const ANTHROPIC_HEADERS = [
  ApiHeader({
    name: 'anthropic-version',
    required: true,
    description: 'Forwarded to Anthropic as sent, e.g. 2023-06-01',
  }),
  ApiHeader({ name: 'anthropic-beta', required: false, description: 'Forwarded to Anthropic as sent' }),
  ApiHeader({
    name: 'x-api-key',
    required: false,
    description: 'An Anthropic API key (sk-ant-api…) used as given, or a platform key (lmp_…) to authenticate',
  }),
  ApiHeader({ name: 'x-lamplight-session-id', required: false, description: 'Groups the call into this session' }),
];

function anthropicError(status: number, description: string) {
  return ApiResponse({
    status,
    description,
    content: { 'application/json': { schema: { $ref: getSchemaPath(AnthropicErrorDto) } } },
  });
}

const AnthropicHeaders = () => applyDecorators(...ANTHROPIC_HEADERS);

/** Errors in Anthropic's own shape, so SDKs raise their typed errors. */
const AnthropicErrors = () =>
  applyDecorators(
    anthropicError(400, 'invalid_request_error'),
    anthropicError(401, 'authentication_error: no valid platform credential, or no Anthropic key to use'),
    anthropicError(
      403,
      'permission_error: a subscription OAuth token, a model the organization does not allow, or a key without the proxy scope',
    ),
    anthropicError(413, 'request_too_large'),
    anthropicError(
      429,
      "billing_error: over a spend limit (organization, API key, member or session; the session's token budget among them), with x-should-retry: false, retry-after until its period resets and Claude Code's rejected usage-limit headers (anthropic-ratelimit-unified-status: rejected, -overage-period, -overage-disabled-reason: org_spend_cap_reached), or, when spend limits cannot be checked and the organization fails closed, with -overage-disabled-reason: fetch_error. rate_limit_error: over this API key's (or user's) request-rate or concurrency limit at Lamplight, with retry-after; or Anthropic's own, after Lamplight retried",
    ),
    anthropicError(500, 'api_error'),
    anthropicError(502, 'Anthropic could not be reached'),
    anthropicError(504, 'Anthropic did not answer in time'),
    anthropicError(529, 'overloaded_error (after Lamplight retried)'),
  );

/**
 * The Anthropic Messages API, proxied. Point an Anthropic SDK at `<lamplight>/spotlight/anthropic`
 * with a platform key as its API key. Errors take Anthropic's own shape here.
 */
@ApiTags('Proxy')
@ApiExtraModels(AnthropicErrorDto)
@AnthropicRoute()
@Controller('spotlight/anthropic/v1/messages')
export class ProxyController {
  constructor(
    private readonly proxy: ProxyService,
    private readonly limiter: ProxyLimiter,
  ) {}

  @Post()
  // The hot path: a platform key may be answered from the per-instance cache.
  @RouteBehaviour({ authCache: true })
  @Authenticated({ organizationScoped: true, apiKeyScope: ApiKeyScope.Proxy, ownErrorDocs: true })
  @Endpoint({
    operationId: 'createMessage',
    summary: 'Send a Messages API request to Anthropic through Lamplight (JSON or a server-sent event stream)',
    description:
      "The body and the anthropic-version and anthropic-beta headers go to Anthropic untouched; the answer comes back byte for byte, except Anthropic's anthropic-ratelimit-unified-* headers (the provider key's own quota), which are never passed on. The call is recorded in its session. Under a spend limit the answer carries Claude Code's usage-limit headers for the fullest limit that resets (anthropic-ratelimit-unified-status allowed or allowed_warning past 75 %, -representative-claim: overage, -overage-status, -overage-utilization, -overage-surpassed-threshold 0.75 or 0.95, -reset and -overage-reset in Unix seconds) and Lamplight's own x-lamplight-spend-limit-* figures for the tightest limit.",
    // `stream: true` answers with Anthropic's server-sent events, passed through frame for frame.
    content: {
      'application/json': { schema: { $ref: getSchemaPath(MessageResponseDto) } },
      'text/event-stream': {
        schema: {
          type: 'string',
          description: "Anthropic's server-sent events (message_start … message_stop), unchanged",
        },
      },
    },
  })
  @ApiExtraModels(MessageResponseDto)
  @ApiBody({ type: MessageRequestDto })
  @AnthropicHeaders()
  @AnthropicErrors()
  async createMessage(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @CurrentOrganization() organization: OrganizationContext,
  ): Promise<void> {
    await this.limiter.run(principal, () => this.proxy.messages({ request, reply, principal, organization }));
  }

  @Post('count_tokens')
  @Authenticated({ organizationScoped: true, apiKeyScope: ApiKeyScope.Proxy, ownErrorDocs: true })
  @Endpoint({
    operationId: 'countMessageTokens',
    summary: 'Count the tokens of a Messages API request, through Lamplight (not recorded)',
    status: HttpStatus.OK,
    type: CountTokensResponseDto,
  })
  @ApiBody({ type: MessageRequestDto })
  @AnthropicHeaders()
  @AnthropicErrors()
  async countTokens(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @CurrentOrganization() organization: OrganizationContext,
  ): Promise<void> {
    await this.limiter.run(principal, () => this.proxy.countTokens({ request, reply, principal, organization }));
  }
}

/**
 * Anthropic's Models API, proxied: what SDKs' `models.list()` / `models.retrieve()` and Claude
 * Code's model discovery (`GET /v1/models?limit=1000`) call. Narrowed to the organization's
 * allowed models (settings.allowedModels); the query string goes to Anthropic as sent.
 */
@ApiTags('Proxy')
@ApiExtraModels(AnthropicErrorDto)
@AnthropicRoute()
@Controller('spotlight/anthropic/v1/models')
export class ProxyModelsController {
  constructor(
    private readonly proxy: ProxyService,
    private readonly limiter: ProxyLimiter,
  ) {}

  @Get()
  @Authenticated({ organizationScoped: true, apiKeyScope: ApiKeyScope.Proxy, ownErrorDocs: true })
  @Endpoint({
    operationId: 'listModels',
    summary:
      "List the models available through Lamplight (Anthropic's list, narrowed to the organization's allowed models)",
    description: 'Paging parameters (`limit`, `before_id`, `after_id`) go to Anthropic as sent.',
    type: ModelListDto,
  })
  @AnthropicHeaders()
  @AnthropicErrors()
  async listModels(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @CurrentOrganization() organization: OrganizationContext,
  ): Promise<void> {
    await this.limiter.run(principal, () => this.proxy.models({ request, reply, principal, organization }));
  }

  @Get(':modelId')
  @Authenticated({ organizationScoped: true, apiKeyScope: ApiKeyScope.Proxy, ownErrorDocs: true })
  @Endpoint({
    operationId: 'getModel',
    summary: 'Get a model through Lamplight; a model the organization does not allow is not found',
    type: ModelInfoDto,
  })
  @AnthropicHeaders()
  @AnthropicErrors()
  @ApiParam({ name: 'modelId', description: 'A model id or alias, e.g. claude-sonnet-4-6' })
  @ApiResponse({
    status: 404,
    description: 'not_found_error',
    content: { 'application/json': { schema: { $ref: getSchemaPath(AnthropicErrorDto) } } },
  })
  async getModel(
    @Param('modelId') modelId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @CurrentOrganization() organization: OrganizationContext,
  ): Promise<void> {
    await this.limiter.run(principal, () => this.proxy.models({ request, reply, principal, organization }, modelId));
  }
}

/**
 * The reachability probe Claude Code sends to its base URL (`HEAD /spotlight/anthropic`) before a
 * run: answered here, at once, with nothing in it, whoever asks.
 */
@Controller('spotlight/anthropic')
export class ProxyProbeController {
  @Head()
  @Public()
  @HttpCode(HttpStatus.OK)
  @ApiExcludeEndpoint()
  probe(): void {}

  /** Claude Code 2.1's form of the probe: `HEAD <base>/api/hello`, without credentials. */
  @Head('api/hello')
  @Public()
  @AnthropicRoute()
  @HttpCode(HttpStatus.OK)
  @ApiExcludeEndpoint()
  hello(): void {}

  /**
   * Any other path under the base URL: 404 in Anthropic's shape, with the words of Nest's own
   * not-found answer. Routed here rather than left to the not-found handler, so that the request
   * carries the Anthropic routes' behaviour (error shape, logging) like every route under it.
   */
  @All('*')
  @Public()
  @AnthropicRoute()
  @ApiExcludeEndpoint()
  unknown(@Req() request: FastifyRequest): never {
    throw new NotFoundException(`Cannot ${request.method} ${request.url}`);
  }
}

const BATCH_ID = ApiParam({
  name: 'batchId',
  description: 'A message batch id (msgbatch_…) this organization created through Lamplight',
});
const FILE_ID = ApiParam({
  name: 'fileId',
  description: 'A file id (file_…) this organization uploaded through Lamplight',
});
const NOT_FOUND = ApiResponse({
  status: 404,
  description: 'not_found_error: no such object in this organization',
  content: { 'application/json': { schema: { $ref: getSchemaPath(AnthropicErrorDto) } } },
});
const PROXY_ACCESS = () =>
  Authenticated({ organizationScoped: true, apiKeyScope: ApiKeyScope.Proxy, ownErrorDocs: true });

/**
 * Anthropic's Message Batches API, proxied (`client.messages.batches.*`). Ids are answered only to
 * the organization that created them; `results_url` points at Lamplight, and results read here
 * are recorded once each, at batch rates.
 */
@ApiTags('Proxy')
@ApiExtraModels(AnthropicErrorDto)
@AnthropicRoute()
@Controller('spotlight/anthropic/v1/messages/batches')
export class ProxyBatchesController {
  constructor(
    private readonly resources: ProxyResourcesService,
    private readonly limiter: ProxyLimiter,
  ) {}

  @Post()
  @PROXY_ACCESS()
  @Endpoint({
    operationId: 'createMessageBatch',
    summary: 'Create a message batch through Lamplight',
    type: MessageBatchDto,
  })
  @AnthropicHeaders()
  @AnthropicErrors()
  async create(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @CurrentOrganization() organization: OrganizationContext,
    @RequestOrigin() origin: string,
  ): Promise<void> {
    await this.limiter.run(principal, () =>
      this.resources.createBatch({ request, reply, principal, organization }, origin),
    );
  }

  @Get()
  @PROXY_ACCESS()
  @Endpoint({
    operationId: 'listMessageBatches',
    summary: "List this organization's message batches (a page of Anthropic's list)",
    type: MessageBatchListDto,
  })
  @AnthropicHeaders()
  @AnthropicErrors()
  async list(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @CurrentOrganization() organization: OrganizationContext,
    @RequestOrigin() origin: string,
  ): Promise<void> {
    await this.limiter.run(principal, () =>
      this.resources.listBatches({ request, reply, principal, organization }, origin),
    );
  }

  @Get(':batchId')
  @PROXY_ACCESS()
  @Endpoint({ operationId: 'getMessageBatch', summary: 'Get a message batch', type: MessageBatchDto })
  @BATCH_ID
  @NOT_FOUND
  @AnthropicHeaders()
  @AnthropicErrors()
  async get(
    @Param('batchId') batchId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @CurrentOrganization() organization: OrganizationContext,
    @RequestOrigin() origin: string,
  ): Promise<void> {
    await this.limiter.run(principal, () =>
      this.resources.getBatch({ request, reply, principal, organization }, batchId, origin),
    );
  }

  @Post(':batchId/cancel')
  @PROXY_ACCESS()
  @Endpoint({
    operationId: 'cancelMessageBatch',
    summary: 'Cancel a message batch',
    status: HttpStatus.OK,
    type: MessageBatchDto,
  })
  @BATCH_ID
  @NOT_FOUND
  @AnthropicHeaders()
  @AnthropicErrors()
  async cancel(
    @Param('batchId') batchId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @CurrentOrganization() organization: OrganizationContext,
    @RequestOrigin() origin: string,
  ): Promise<void> {
    await this.limiter.run(principal, () =>
      this.resources.cancelBatch({ request, reply, principal, organization }, batchId, origin),
    );
  }

  @Delete(':batchId')
  @PROXY_ACCESS()
  @Endpoint({ operationId: 'deleteMessageBatch', summary: 'Delete a message batch', type: DeletedObjectDto })
  @BATCH_ID
  @NOT_FOUND
  @AnthropicHeaders()
  @AnthropicErrors()
  async delete(
    @Param('batchId') batchId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @CurrentOrganization() organization: OrganizationContext,
  ): Promise<void> {
    await this.limiter.run(principal, () =>
      this.resources.deleteBatch({ request, reply, principal, organization }, batchId),
    );
  }

  @Get(':batchId/results')
  @PROXY_ACCESS()
  @Endpoint({
    operationId: 'getMessageBatchResults',
    summary:
      "A batch's results as JSON Lines, streamed; each result is recorded once as an interaction, at batch rates",
  })
  @ApiProduces('application/x-jsonl')
  @BATCH_ID
  @NOT_FOUND
  @AnthropicHeaders()
  @AnthropicErrors()
  async results(
    @Param('batchId') batchId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @CurrentOrganization() organization: OrganizationContext,
  ): Promise<void> {
    await this.limiter.run(principal, () =>
      this.resources.batchResults({ request, reply, principal, organization }, batchId),
    );
  }
}

/**
 * Anthropic's Files API, proxied (`client.beta.files.*`; send the files beta header as for
 * Anthropic). Uploads and downloads stream through; ids are answered only to the organization
 * that uploaded them.
 */
@ApiTags('Proxy')
@ApiExtraModels(AnthropicErrorDto)
@AnthropicRoute()
@Controller('spotlight/anthropic/v1/files')
export class ProxyFilesController {
  constructor(
    private readonly resources: ProxyResourcesService,
    private readonly limiter: ProxyLimiter,
  ) {}

  @Post()
  @PROXY_ACCESS()
  @Endpoint({
    operationId: 'uploadFile',
    summary: 'Upload a file (multipart/form-data, streamed to Anthropic)',
    type: FileMetadataDto,
  })
  @ApiConsumes('multipart/form-data')
  @AnthropicHeaders()
  @AnthropicErrors()
  async upload(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @CurrentOrganization() organization: OrganizationContext,
  ): Promise<void> {
    await this.limiter.run(principal, () => this.resources.uploadFile({ request, reply, principal, organization }));
  }

  @Get()
  @PROXY_ACCESS()
  @Endpoint({
    operationId: 'listFiles',
    summary: "List this organization's files (a page of Anthropic's list)",
    type: FileListDto,
  })
  @AnthropicHeaders()
  @AnthropicErrors()
  async list(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @CurrentOrganization() organization: OrganizationContext,
  ): Promise<void> {
    await this.limiter.run(principal, () => this.resources.listFiles({ request, reply, principal, organization }));
  }

  @Get(':fileId')
  @PROXY_ACCESS()
  @Endpoint({ operationId: 'getFile', summary: "A file's metadata", type: FileMetadataDto })
  @FILE_ID
  @NOT_FOUND
  @AnthropicHeaders()
  @AnthropicErrors()
  async get(
    @Param('fileId') fileId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @CurrentOrganization() organization: OrganizationContext,
  ): Promise<void> {
    await this.limiter.run(principal, () =>
      this.resources.getFile({ request, reply, principal, organization }, fileId),
    );
  }

  @Get(':fileId/content')
  @PROXY_ACCESS()
  @Endpoint({ operationId: 'downloadFile', summary: "A file's bytes, streamed" })
  @ApiProduces('application/octet-stream')
  @FILE_ID
  @NOT_FOUND
  @AnthropicHeaders()
  @AnthropicErrors()
  async download(
    @Param('fileId') fileId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @CurrentOrganization() organization: OrganizationContext,
  ): Promise<void> {
    await this.limiter.run(principal, () =>
      this.resources.downloadFile({ request, reply, principal, organization }, fileId),
    );
  }

  @Delete(':fileId')
  @PROXY_ACCESS()
  @Endpoint({ operationId: 'deleteFile', summary: 'Delete a file', type: DeletedObjectDto })
  @FILE_ID
  @NOT_FOUND
  @AnthropicHeaders()
  @AnthropicErrors()
  async delete(
    @Param('fileId') fileId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @CurrentOrganization() organization: OrganizationContext,
  ): Promise<void> {
    await this.limiter.run(principal, () =>
      this.resources.deleteFile({ request, reply, principal, organization }, fileId),
    );
  }
}
