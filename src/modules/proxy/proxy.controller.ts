import { applyDecorators, Controller, Get, Head, HttpCode, HttpStatus, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiExcludeEndpoint, ApiExtraModels, ApiHeader, ApiParam, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Authenticated, CurrentOrganization, CurrentPrincipal, Public } from '../../common/auth/decorators';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { ApiKeyScope } from '../api-keys/api-key.entity';
import { AnthropicErrorDto, CountTokensResponseDto, MessageRequestDto, MessageResponseDto, ModelInfoDto, ModelListDto } from './dto/anthropic.dto';
import { ProxyLimiter } from './proxy-limits';
import { ProxyService } from './proxy.service';

const ANTHROPIC_HEADERS = [
  ApiHeader({ name: 'anthropic-version', required: true, description: 'Forwarded to Anthropic as sent, e.g. 2023-06-01' }),
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
    anthropicError(403, 'permission_error: a subscription OAuth token, a spent session budget, or a key without the proxy scope'),
    anthropicError(413, 'request_too_large'),
    anthropicError(429, 'rate_limit_error: over this API key\'s (or user\'s) request-rate or concurrency limit at Lamplight, with retry-after; or Anthropic\'s own, after Lamplight retried'),
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
@Controller('spotlight/anthropic/v1/messages')
export class ProxyController {
  constructor(
    private readonly proxy: ProxyService,
    private readonly limiter: ProxyLimiter,
  ) {}

  @Post()
  @Authenticated({ organizationScoped: true, apiKeyScope: ApiKeyScope.Proxy, ownErrorDocs: true })
  @Endpoint({
    operationId: 'createMessage',
    summary: 'Send a Messages API request to Anthropic through Lamplight (JSON or a server-sent event stream)',
    description:
      'The body and the anthropic-version and anthropic-beta headers go to Anthropic untouched; the answer comes back byte for byte. The call is recorded in its session.',
    type: MessageResponseDto,
  })
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
    summary: 'List the models available through Lamplight (Anthropic\'s list, narrowed to the organization\'s allowed models)',
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
  @ApiResponse({ status: 404, description: 'not_found_error', content: { 'application/json': { schema: { $ref: getSchemaPath(AnthropicErrorDto) } } } })
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
}
