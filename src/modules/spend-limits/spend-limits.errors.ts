import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { OrganizationErrorCode } from '../organizations/organizations.errors';

/** Machine codes of the spend-limits module, published in problem responses. */
export enum SpendLimitErrorCode {
  SpendLimitNotFound = 'SPEND_LIMIT_NOT_FOUND',
  SpendLimitExceeded = 'SPEND_LIMIT_EXCEEDED',
  SpendLimitScopeNotFound = 'SPEND_LIMIT_SCOPE_NOT_FOUND',
  SpendLimitInvalid = 'SPEND_LIMIT_INVALID',
  SpendLimitsUnavailable = 'SPEND_LIMITS_UNAVAILABLE',
  WebhookUrlRefused = 'WEBHOOK_URL_REFUSED',
  InvalidTimeZone = 'INVALID_TIME_ZONE',
}

export const SpendLimitErrors = {
  roleRequired: () =>
    new DomainError(
      OrganizationErrorCode.RoleRequired,
      HttpStatus.FORBIDDEN,
      'Only owners and admins change spend limits',
    ),
  notFound: () =>
    new DomainError(SpendLimitErrorCode.SpendLimitNotFound, HttpStatus.NOT_FOUND, 'Spend limit not found'),
  /** The member, API key or session a limit names is not one of this organization's. */
  scopeNotFound: (what: string) =>
    new DomainError(
      SpendLimitErrorCode.SpendLimitScopeNotFound,
      HttpStatus.NOT_FOUND,
      `${what} not found in this organization`,
    ),
  invalid: (detail: string) => new DomainError(SpendLimitErrorCode.SpendLimitInvalid, HttpStatus.BAD_REQUEST, detail),
  invalidTimeZone: () =>
    new DomainError(
      SpendLimitErrorCode.InvalidTimeZone,
      HttpStatus.BAD_REQUEST,
      'timeZone must be an IANA time zone name such as Europe/Paris',
    ),
  webhookRefused: (reason: string) =>
    new DomainError(
      SpendLimitErrorCode.WebhookUrlRefused,
      HttpStatus.BAD_REQUEST,
      `The webhook URL is refused: ${reason}`,
    ),
  /**
   * Over a limit: 429 with Anthropic's `billing_error` on the proxy (the SDKs raise RateLimitError
   * for any 429; Claude Code prints the message as it is), retry-after until the period resets,
   * x-should-retry false (a retry before then is refused again), and the limit's standing in
   * `headers` (Claude Code's usage-limit headers and Lamplight's own).
   */
  exceeded: (detail: string, retryAfterSeconds: number | null, headers: Record<string, string>) =>
    new DomainError(SpendLimitErrorCode.SpendLimitExceeded, HttpStatus.TOO_MANY_REQUESTS, detail, {
      ...(retryAfterSeconds === null ? {} : { retryAfterSeconds }),
      shouldRetry: false,
      anthropicType: 'billing_error',
      headers,
    }),
  /**
   * The counters cannot be read and the organization chose to fail closed (or its fail-open
   * allowance is spent): the same 429 `billing_error`, not retried by the client, with the reason
   * Claude Code knows (`overage-disabled-reason: fetch_error`) and no figures.
   */
  unavailable: (headers: Readonly<Record<string, string>>) =>
    new DomainError(
      SpendLimitErrorCode.SpendLimitsUnavailable,
      HttpStatus.TOO_MANY_REQUESTS,
      "Spend limits cannot be checked right now and this organization's setting is to refuse calls until they can. Nothing was sent to Anthropic; try again in a few minutes, or ask an owner or admin of your organization if it persists.",
      { shouldRetry: false, anthropicType: 'billing_error', headers: { ...headers } },
    ),
};
