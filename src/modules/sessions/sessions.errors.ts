import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';

export enum SessionErrorCode {
  NotFound = 'SESSION_NOT_FOUND',
  NotOwner = 'SESSION_NOT_OWNER',
  InvalidCursor = 'INVALID_CURSOR',
  CursorWithOffset = 'CURSOR_WITH_OFFSET',
  EmptyUpdate = 'EMPTY_UPDATE',
  ExternalIdTaken = 'SESSION_EXTERNAL_ID_TAKEN',
  DeletedForAdmins = 'DELETED_SESSIONS_ADMINS_ONLY',
}

export const SessionErrors = {
  /** Also for another organization's session and for a deleted one: all look the same. */
  notFound: () => new DomainError(SessionErrorCode.NotFound, HttpStatus.NOT_FOUND, 'Session not found'),
  notCreator: () =>
    new DomainError(
      SessionErrorCode.NotOwner,
      HttpStatus.FORBIDDEN,
      "Only the session's creator or an admin of the organization can change it",
    ),
  invalidCursor: () =>
    new DomainError(
      SessionErrorCode.InvalidCursor,
      HttpStatus.BAD_REQUEST,
      'before must be a nextCursor from an earlier page or an RFC 3339 timestamp',
    ),
  cursorWithOffset: () =>
    new DomainError(SessionErrorCode.CursorWithOffset, HttpStatus.BAD_REQUEST, 'Use either before or offset, not both'),
  deletedForAdmins: () =>
    new DomainError(
      SessionErrorCode.DeletedForAdmins,
      HttpStatus.FORBIDDEN,
      'Only admins and owners of the organization can list deleted sessions',
    ),
  emptyUpdate: () =>
    new DomainError(SessionErrorCode.EmptyUpdate, HttpStatus.BAD_REQUEST, 'Send title or tokenBudget (or both)'),
  externalIdTaken: () =>
    new DomainError(
      SessionErrorCode.ExternalIdTaken,
      HttpStatus.CONFLICT,
      'Another open session took this external id while the session was being restored; retry',
    ),
};
