import type { HttpStatus } from '@nestjs/common';
import type { ErrorCode } from './error-codes';

/**
 * An error a client can act on: a stable machine code (a member of one of the code enums, see
 * error-codes.ts), the HTTP status it maps to, and a human sentence. One filter turns it into
 * problem+json (or Anthropic's shape on the routes that declare it). Errors are made by the
 * factories in each module's `*.errors.ts`.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: HttpStatus,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'DomainError';
  }
}
