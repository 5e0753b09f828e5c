import { HttpStatus } from '@nestjs/common';
import { CommonErrorCode } from '../../common/errors/common.errors';
import { DomainError } from '../../common/errors/domain-error';
import { OrganizationErrors } from '../organizations/organizations.errors';

export enum AuthErrorCode {
  InvalidCredentials = 'INVALID_CREDENTIALS',
  EmailTaken = 'EMAIL_TAKEN',
  ApiKeyNotAllowed = 'API_KEY_NOT_ALLOWED',
  ApiKeyScopeMissing = 'API_KEY_SCOPE_MISSING',
  TooManyAttempts = 'TOO_MANY_ATTEMPTS',
  CsrfCheckFailed = 'CSRF_CHECK_FAILED',
}

export const AuthErrors = {
  /** A change made by a browser signed in by cookie without the CSRF header, or from another origin. */
  csrfCheckFailed: (header: string) =>
    new DomainError(
      AuthErrorCode.CsrfCheckFailed,
      HttpStatus.FORBIDDEN,
      `A request signed in by cookie that changes something needs the ${header} header and, when it names one, this origin`,
    ),
  unauthenticated: () =>
    new DomainError(CommonErrorCode.Unauthenticated, HttpStatus.UNAUTHORIZED, 'Missing or invalid credentials'),
  invalidLogin: () =>
    new DomainError(AuthErrorCode.InvalidCredentials, HttpStatus.UNAUTHORIZED, 'Wrong email or password'),
  emailTaken: () => new DomainError(AuthErrorCode.EmailTaken, HttpStatus.CONFLICT, 'An account with that email exists'),
  usersOnly: () =>
    new DomainError(
      AuthErrorCode.ApiKeyNotAllowed,
      HttpStatus.FORBIDDEN,
      'API keys cannot manage users, organizations or keys; sign in',
    ),
  missingScope: (scope: string) =>
    new DomainError(AuthErrorCode.ApiKeyScopeMissing, HttpStatus.FORBIDDEN, `This API key lacks the "${scope}" scope`),
  roleRequired: OrganizationErrors.roleTooLow,
  tooManyAttempts: (retryAfterSeconds: number) =>
    new DomainError(
      AuthErrorCode.TooManyAttempts,
      HttpStatus.TOO_MANY_REQUESTS,
      'Too many sign-in attempts; try again later',
      {
        retryAfterSeconds,
      },
    ),
};
