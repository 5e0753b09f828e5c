import { applyDecorators, Controller, HttpStatus, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiHeader, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Authenticated, CurrentOrganization, CurrentPrincipal } from '../../common/auth/decorators';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { ApiKeyScope } from '../api-keys/api-key.entity';
import { AnthropicErrorDto, CountTokensResponseDto, MessageRequestDto, MessageResponseDto } from './dto/anthropic.dto';
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
    // `stream: true` answers with Anthropic's server-sent events, passed through frame for frame.
    content: {
      'application/json': { schema: { $ref: getSchemaPath(MessageResponseDto) } },
      'text/event-stream': {
        schema: { type: 'string', description: "Anthropic's server-sent events (message_start … message_stop), unchanged" },
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
