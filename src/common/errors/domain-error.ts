import { HttpStatus } from '@nestjs/common';

/**
 * An error a client can act on: a stable machine code, the HTTP status it maps to, and a
 * human sentence. One filter turns it into problem+json (or Anthropic's shape on the proxy).
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly status: HttpStatus,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'DomainError';
  }
}

export const notFound = (code: string, what: string) => new DomainError(code, HttpStatus.NOT_FOUND, `${what} not found`);
