import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';

export const SessionErrors = {
  /** Also for another organization's session and for a deleted one: all look the same. */
  notFound: () => new DomainError('SESSION_NOT_FOUND', HttpStatus.NOT_FOUND, 'Session not found'),
  notCreator: () =>
    new DomainError(
      'SESSION_NOT_OWNER',
      HttpStatus.FORBIDDEN,
      "Only the session's creator or an admin of the organization can change it",
    ),
  invalidCursor: () =>
    new DomainError(
      'INVALID_CURSOR',
      HttpStatus.BAD_REQUEST,
      'before must be a nextCursor from an earlier page or an RFC 3339 timestamp',
    ),
  cursorWithOffset: () =>
    new DomainError('CURSOR_WITH_OFFSET', HttpStatus.BAD_REQUEST, 'Use either before or offset, not both'),
  emptyUpdate: () =>
    new DomainError('EMPTY_UPDATE', HttpStatus.BAD_REQUEST, 'Send title or tokenBudget (or both)'),
  externalIdTaken: () =>
    new DomainError(
      'SESSION_EXTERNAL_ID_TAKEN',
      HttpStatus.CONFLICT,
      'Another open session took this external id while the session was being restored; retry',
    ),
};
