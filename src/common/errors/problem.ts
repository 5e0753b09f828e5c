import { STATUS_CODES } from 'node:http';
import type { ErrorCode } from './error-codes';

/** RFC 9457 problem details, as every non-proxy error is returned. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string;
  errors?: FieldError[];
}

export interface FieldError {
  field: string;
  message: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problem(
  status: number,
  code: ErrorCode,
  detail: string,
  requestId: string,
  errors?: FieldError[],
): ProblemDetails {
  return {
    type: `https://lamplight.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    code,
    requestId,
    ...(errors ? { errors } : {}),
  };
}

/** Anthropic's error `type` for a status, so SDKs raise their matching typed errors. */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
    case 413:
      return status === 413 ? 'request_too_large' : 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}
