import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';

export const SharingErrors = {
  sessionNotFound: () => new DomainError('SESSION_NOT_FOUND', HttpStatus.NOT_FOUND, 'Session not found'),
  /** One answer for an unknown, removed or expired token, a deleted session and sharing turned off. */
  sharedSessionNotFound: () =>
    new DomainError('SHARE_LINK_NOT_FOUND', HttpStatus.NOT_FOUND, 'Share token not found or expired'),
  sharingDisabled: () =>
    new DomainError('SHARING_DISABLED', HttpStatus.FORBIDDEN, 'Sharing is turned off for this organization'),
  notAllowedToShare: () =>
    new DomainError(
      'SHARING_NOT_ALLOWED',
      HttpStatus.FORBIDDEN,
      "Only the session's creator (where members may share) and the organization's admins and owners may share or unshare it",
    ),
  tooManyRequests: (retryAfterSeconds: number) =>
    new DomainError('TOO_MANY_REQUESTS', HttpStatus.TOO_MANY_REQUESTS, 'Too many shared-session requests; try again later', {
      retryAfterSeconds,
    }),
};
