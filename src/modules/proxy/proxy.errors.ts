import { HttpStatus } from '@nestjs/common';
import { CommonErrorCode } from '../../common/errors/common.errors';
import { DomainError } from '../../common/errors/domain-error';

export enum ProxyErrorCode {
  SubscriptionTokenRefused = 'SUBSCRIPTION_TOKEN_REFUSED',
  NoProviderKey = 'NO_PROVIDER_KEY',
  ShuttingDown = 'SHUTTING_DOWN',
  ModelNotAllowed = 'MODEL_NOT_ALLOWED',
  ModelNotFound = 'MODEL_NOT_FOUND',
  InvalidRequest = 'INVALID_REQUEST',
  UpstreamTimeout = 'UPSTREAM_TIMEOUT',
  UpstreamUnreachable = 'UPSTREAM_UNREACHABLE',
  ConcurrencyLimited = 'CONCURRENCY_LIMITED',
}

/** No Anthropic key to send: a class of its own, so callers (tasks) can tell it from other refusals. */
export class NoProviderKeyError extends DomainError {
  constructor() {
    super(
      ProxyErrorCode.NoProviderKey,
      HttpStatus.UNAUTHORIZED,
      'No Anthropic API key: send one in x-api-key, or store a provider key for the organization',
    );
  }
}

/** Errors raised before anything goes upstream; the filter gives them Anthropic's shape on proxy routes. */
export const ProxyErrors = {
  subscriptionToken: () =>
    new DomainError(
      ProxyErrorCode.SubscriptionTokenRefused,
      HttpStatus.FORBIDDEN,
      'OAuth tokens from Claude subscriptions cannot be used through Lamplight; use an API key from the Anthropic Console',
    ),
  noProviderKey: () => new NoProviderKeyError(),
  draining: () =>
    new DomainError(
      ProxyErrorCode.ShuttingDown,
      HttpStatus.SERVICE_UNAVAILABLE,
      'Lamplight is shutting down; retry shortly',
      {
        retryAfterSeconds: 1,
        shouldRetry: true,
      },
    ),
  modelNotAllowed: (model: string) =>
    new DomainError(
      ProxyErrorCode.ModelNotAllowed,
      HttpStatus.FORBIDDEN,
      `This organization does not allow the model ${JSON.stringify(model.slice(0, 255))}; nothing was sent to Anthropic`,
    ),
  modelNotFound: (model: string) =>
    new DomainError(ProxyErrorCode.ModelNotFound, HttpStatus.NOT_FOUND, `model: ${model.slice(0, 255)}`),
  objectNotFound: (kind: 'message_batch' | 'file', id: string) =>
    new DomainError(
      CommonErrorCode.NotFound,
      HttpStatus.NOT_FOUND,
      `${kind === 'file' ? 'File' : 'Message batch'} not found: ${id.slice(0, 255)}`,
    ),
  invalidBody: () =>
    new DomainError(ProxyErrorCode.InvalidRequest, HttpStatus.BAD_REQUEST, 'The request body must be a JSON object'),
  /**
   * Lamplight waited the whole headers timeout, or retried the connection itself: a client's own
   * retries would multiply the upstream requests of one call, so these say `x-should-retry: false`.
   */
  upstreamTimeout: () =>
    new DomainError(ProxyErrorCode.UpstreamTimeout, HttpStatus.GATEWAY_TIMEOUT, 'Anthropic did not answer in time', {
      shouldRetry: false,
    }),
  upstreamUnreachable: () =>
    new DomainError(ProxyErrorCode.UpstreamUnreachable, HttpStatus.BAD_GATEWAY, 'Anthropic could not be reached', {
      shouldRetry: false,
    }),
  /** Over the per-caller request rate at Lamplight (ProxyLimiter). */
  rateLimited: (retryAfterSeconds: number, perMinute: number) =>
    new DomainError(
      CommonErrorCode.RateLimited,
      HttpStatus.TOO_MANY_REQUESTS,
      `Rate limit exceeded: at most ${perMinute} requests per minute for this API key or user; retry after ${retryAfterSeconds} s`,
      { retryAfterSeconds },
    ),
  /** Over the per-caller number of calls in flight (ProxyLimiter). */
  concurrencyLimited: (limit: number) =>
    new DomainError(
      ProxyErrorCode.ConcurrencyLimited,
      HttpStatus.TOO_MANY_REQUESTS,
      `Too many calls in flight: at most ${limit} at once for this API key or user`,
      { retryAfterSeconds: 1 },
    ),
};
