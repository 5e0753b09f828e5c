import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { SessionErrors } from '../sessions/sessions.errors';

export enum SharingErrorCode {
  ShareLinkNotFound = 'SHARE_LINK_NOT_FOUND',
  SharingDisabled = 'SHARING_DISABLED',
  SharingNotAllowed = 'SHARING_NOT_ALLOWED',
  TooManyRequests = 'TOO_MANY_REQUESTS',
}

export const SharingErrors = {
  sessionNotFound: SessionErrors.notFound,
  /** One answer for an unknown, removed or expired token, a deleted session and sharing turned off. */
  sharedSessionNotFound: () =>
    new DomainError(SharingErrorCode.ShareLinkNotFound, HttpStatus.NOT_FOUND, 'Share token not found or expired'),
  sharingDisabled: () =>
    new DomainError(
      SharingErrorCode.SharingDisabled,
      HttpStatus.FORBIDDEN,
      'Sharing is turned off for this organization',
    ),
  notAllowedToShare: () =>
    new DomainError(
      SharingErrorCode.SharingNotAllowed,
      HttpStatus.FORBIDDEN,
      "Only the session's creator (where members may share) and the organization's admins and owners may share or unshare it",
    ),
  tooManyRequests: (retryAfterSeconds: number) =>
    new DomainError(
      SharingErrorCode.TooManyRequests,
      HttpStatus.TOO_MANY_REQUESTS,
      'Too many shared-session requests; try again later',
      {
        retryAfterSeconds,
      },
    ),
};
