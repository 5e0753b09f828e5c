import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';

/** Errors raised before anything goes upstream; the filter gives them Anthropic's shape on proxy routes. */
export const ProxyErrors = {
  subscriptionToken: () =>
    new DomainError(
      'SUBSCRIPTION_TOKEN_REFUSED',
      HttpStatus.FORBIDDEN,
      'OAuth tokens from Claude subscriptions cannot be used through Lamplight; use an API key from the Anthropic Console',
    ),
  noProviderKey: () =>
    new DomainError(
      'NO_PROVIDER_KEY',
      HttpStatus.UNAUTHORIZED,
      'No Anthropic API key: send one in x-api-key, or store a provider key for the organization',
    ),
  draining: () =>
    new DomainError('SHUTTING_DOWN', HttpStatus.SERVICE_UNAVAILABLE, 'Lamplight is shutting down; retry shortly', {
      retryAfterSeconds: 1,
      shouldRetry: true,
    }),
  modelNotAllowed: (model: string) =>
    new DomainError(
      'MODEL_NOT_ALLOWED',
      HttpStatus.FORBIDDEN,
      `This organization does not allow the model ${JSON.stringify(model.slice(0, 255))}; nothing was sent to Anthropic`,
    ),
  modelNotFound: (model: string) =>
    new DomainError('MODEL_NOT_FOUND', HttpStatus.NOT_FOUND, `model: ${model.slice(0, 255)}`),
  objectNotFound: (kind: 'message_batch' | 'file', id: string) =>
    new DomainError('NOT_FOUND', HttpStatus.NOT_FOUND, `${kind === 'file' ? 'File' : 'Message batch'} not found: ${id.slice(0, 255)}`),
  invalidBody: () =>
    new DomainError('INVALID_REQUEST', HttpStatus.BAD_REQUEST, 'The request body must be a JSON object'),
  /**
   * Lamplight waited the whole headers timeout, or retried the connection itself: a client's own
   * retries would multiply the upstream requests of one call, so these say `x-should-retry: false`.
   */
  upstreamTimeout: () =>
    new DomainError('UPSTREAM_TIMEOUT', HttpStatus.GATEWAY_TIMEOUT, 'Anthropic did not answer in time', { shouldRetry: false }),
  upstreamUnreachable: () =>
    new DomainError('UPSTREAM_UNREACHABLE', HttpStatus.BAD_GATEWAY, 'Anthropic could not be reached', { shouldRetry: false }),
};
