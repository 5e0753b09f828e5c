import { HttpException } from '@nestjs/common';
import { ConnectionException } from '@mikro-orm/core';
import { ThrottlerException } from '@nestjs/throttler';
import { CommonErrorCode } from './common.errors';
import { DomainError } from './domain-error';
import type { ErrorCode } from './error-codes';
import { anthropicErrorType, PROBLEM_CONTENT_TYPE, problem } from './problem';
import { RequestValidationException } from './validation';
import type { RouteBehaviourOptions } from '../http/route-behaviour';

export interface ErrorResponse {
  status: number;
  contentType: string;
  body: unknown;
  headers: Record<string, string>;
  /** Whether the error was unexpected and its cause should be logged. */
  unexpected: boolean;
}

interface Classified {
  status: number;
  code: ErrorCode;
  detail: string;
  fieldErrors?: { field: string; message: string }[];
  headers: Record<string, string>;
  unexpected: boolean;
  /** Anthropic's error type when it is not the one its status implies (429 billing_error). */
  anthropicType?: string;
}

const CODE_BY_STATUS: Partial<Record<number, CommonErrorCode>> = {
  400: CommonErrorCode.BadRequest,
  401: CommonErrorCode.Unauthenticated,
  403: CommonErrorCode.Forbidden,
  404: CommonErrorCode.NotFound,
  405: CommonErrorCode.MethodNotAllowed,
  406: CommonErrorCode.NotAcceptable,
  409: CommonErrorCode.Conflict,
  413: CommonErrorCode.PayloadTooLarge,
  415: CommonErrorCode.UnsupportedMediaType,
  429: CommonErrorCode.RateLimited,
  503: CommonErrorCode.ServiceUnavailable,
};

/** Errors Fastify raises itself (body parsing, limits) carry a status and a safe message. */
interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
]);

/**
 * Whether an error means the database cannot be reached (refused, reset, timed out connecting,
 * out of connections, shutting down), as opposed to a bad query: those become 503 so clients
 * retry, never a 500 with details. Wrappers are looked through (`cause`, AggregateError).
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (error instanceof ConnectionException) return true;
  if (error === null || typeof error !== 'object' || depth > 5) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    // 08xxx: connection exceptions; 53300: too many connections; 57P01–57P03: shutting down or starting.
    if (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08') || code === '53300' || /^57P0[1-3]$/.test(code))
      return true;
  } else if (error instanceof Error && CONNECTION_MESSAGES.test(error.message)) {
    return true;
  }
  if (error instanceof AggregateError && error.errors.some((inner) => isDatabaseUnavailable(inner, depth + 1)))
    return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isDatabaseUnavailable(cause, depth + 1);
}

const CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end/i;

function classify(exception: unknown): Classified {
  if (exception instanceof DomainError) {
    const headers: Record<string, string> = {};
    if (typeof exception.extra.retryAfterSeconds === 'number') {
      headers['retry-after'] = String(exception.extra.retryAfterSeconds);
    }
    // Whether a client (the Anthropic SDKs read this) should retry what Lamplight answered.
    if (typeof exception.extra.shouldRetry === 'boolean')
      headers['x-should-retry'] = String(exception.extra.shouldRetry);
    // Further headers the error describes itself with (a spend limit's standing, for Claude Code).
    const own = exception.extra.headers;
    if (own !== null && typeof own === 'object') Object.assign(headers, own as Record<string, string>);
    const anthropicType = typeof exception.extra.anthropicType === 'string' ? exception.extra.anthropicType : undefined;
    return {
      status: exception.status,
      code: exception.code,
      detail: exception.detail,
      headers,
      unexpected: false,
      anthropicType,
    };
  }
  if (exception instanceof RequestValidationException) {
    return {
      status: 400,
      code: CommonErrorCode.ValidationFailed,
      detail: 'The request is not valid; see errors for each field',
      fieldErrors: exception.fieldErrors,
      headers: {},
      unexpected: false,
    };
  }
  if (exception instanceof ThrottlerException) {
    return {
      status: 429,
      code: CommonErrorCode.RateLimited,
      detail: 'Too many attempts; try again later',
      headers: {},
      unexpected: false,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : typeof (response as { message?: unknown }).message === 'string'
          ? (response as { message: string }).message
          : exception.message;
    return {
      status,
      code: CODE_BY_STATUS[status] ?? (status >= 500 ? CommonErrorCode.InternalError : CommonErrorCode.BadRequest),
      detail: status >= 500 ? 'An internal error occurred' : message,
      headers: {},
      unexpected: status >= 500,
    };
  }
  if (isDatabaseUnavailable(exception)) {
    return {
      status: 503,
      code: CommonErrorCode.DatabaseUnavailable,
      detail: 'The database is unavailable; try again shortly',
      headers: { 'retry-after': '1', 'x-should-retry': 'true' },
      unexpected: true,
    };
  }
  const fastifyError = exception as FastifyLikeError;
  if (
    typeof fastifyError?.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500 &&
    typeof fastifyError.code === 'string' &&
    fastifyError.code.startsWith('FST_')
  ) {
    const status = fastifyError.statusCode;
    return {
      status,
      code: CODE_BY_STATUS[status] ?? CommonErrorCode.BadRequest,
      detail: fastifyError.message ?? 'Bad request',
      headers: {},
      unexpected: false,
    };
  }
  return {
    status: 500,
    code: CommonErrorCode.InternalError,
    detail: 'An internal error occurred',
    headers: {},
    unexpected: true,
  };
}

/**
 * Maps any error to what the client receives, in the error shape its route declares: Anthropic's
 * (so SDKs raise their typed errors) or RFC 9457 problem+json. Never a stack trace.
 */
export function toErrorResponse(
  exception: unknown,
  requestId: string,
  shape: RouteBehaviourOptions['errors'],
): ErrorResponse {
  const c = classify(exception);
  if (shape === 'anthropic') {
    return {
      status: c.status,
      contentType: 'application/json',
      headers: c.headers,
      unexpected: c.unexpected,
      body: {
        type: 'error',
        error: {
          type: c.anthropicType ?? anthropicErrorType(c.status),
          message: c.fieldErrors ? formatFieldErrors(c) : c.detail,
        },
        request_id: requestId,
      },
    };
  }
  return {
    status: c.status,
    contentType: PROBLEM_CONTENT_TYPE,
    headers: c.headers,
    unexpected: c.unexpected,
    body: problem(c.status, c.code, c.detail, requestId, c.fieldErrors),
  };
}

function formatFieldErrors(c: Classified): string {
  return `${c.detail}: ${(c.fieldErrors ?? []).map((e) => `${e.field}: ${e.message}`).join('; ')}`;
}
