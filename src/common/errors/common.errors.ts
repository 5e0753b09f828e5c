import { HttpStatus } from '@nestjs/common';
import { DomainError } from './domain-error';

/**
 * Codes any route may answer: those of HTTP errors raised by the framework (by status), of
 * validation, and of the server's own conditions. Each module's codes are in its `*.errors.ts`.
 */
export enum CommonErrorCode {
  BadRequest = 'BAD_REQUEST',
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  NotFound = 'NOT_FOUND',
  MethodNotAllowed = 'METHOD_NOT_ALLOWED',
  NotAcceptable = 'NOT_ACCEPTABLE',
  Conflict = 'CONFLICT',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  RateLimited = 'RATE_LIMITED',
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
  InternalError = 'INTERNAL_ERROR',
  ValidationFailed = 'VALIDATION_FAILED',
  DatabaseUnavailable = 'DATABASE_UNAVAILABLE',
  JsonTooDeep = 'JSON_TOO_DEEP',
  InvalidRange = 'INVALID_RANGE',
}

export const CommonErrors = {
  jsonTooDeep: (limit: number) =>
    new DomainError(
      CommonErrorCode.JsonTooDeep,
      HttpStatus.BAD_REQUEST,
      `The JSON body nests deeper than ${limit} levels, the limit for this route`,
    ),
  /** `what` says which bound comes first, e.g. "start must be before end". */
  invalidRange: (what: string) => new DomainError(CommonErrorCode.InvalidRange, HttpStatus.BAD_REQUEST, what),
};
