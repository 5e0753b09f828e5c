import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';

export const AuthErrors = {
  unauthenticated: () =>
    new DomainError('UNAUTHENTICATED', HttpStatus.UNAUTHORIZED, 'Missing or invalid credentials'),
  invalidLogin: () => new DomainError('INVALID_CREDENTIALS', HttpStatus.UNAUTHORIZED, 'Wrong email or password'),
  emailTaken: () => new DomainError('EMAIL_TAKEN', HttpStatus.CONFLICT, 'An account with that email exists'),
  usersOnly: () =>
    new DomainError('API_KEY_NOT_ALLOWED', HttpStatus.FORBIDDEN, 'API keys cannot manage users, organizations or keys; sign in'),
  missingScope: (scope: string) =>
    new DomainError('API_KEY_SCOPE_MISSING', HttpStatus.FORBIDDEN, `This API key lacks the "${scope}" scope`),
  roleRequired: (role: string) =>
    new DomainError('ROLE_REQUIRED', HttpStatus.FORBIDDEN, `This needs the ${role} role in the organization`),
  tooManyAttempts: (retryAfterSeconds: number) =>
    new DomainError('TOO_MANY_ATTEMPTS', HttpStatus.TOO_MANY_REQUESTS, 'Too many sign-in attempts; try again later', {
      retryAfterSeconds,
    }),
};
