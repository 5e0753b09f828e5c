import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';

export const OrganizationErrors = {
  notFound: () => new DomainError('ORGANIZATION_NOT_FOUND', HttpStatus.NOT_FOUND, 'Organization not found'),
  memberNotFound: () => new DomainError('MEMBER_NOT_FOUND', HttpStatus.NOT_FOUND, 'Member not found'),
  userNotFound: () => new DomainError('USER_NOT_FOUND', HttpStatus.NOT_FOUND, 'No user with that email'),
  alreadyMember: () => new DomainError('ALREADY_MEMBER', HttpStatus.CONFLICT, 'That user is already a member'),
  invitationNotFound: () => new DomainError('INVITATION_NOT_FOUND', HttpStatus.NOT_FOUND, 'Invitation not found'),
  invitationPending: () =>
    new DomainError('INVITATION_PENDING', HttpStatus.CONFLICT, 'That email already has a pending invitation to this organization'),
  invitationClosed: (status: string) =>
    new DomainError('INVITATION_NOT_PENDING', HttpStatus.CONFLICT, `This invitation is ${status}; it can no longer be answered`),
  slugTaken: () => new DomainError('SLUG_TAKEN', HttpStatus.CONFLICT, 'That slug is taken'),
  lastOwner: () =>
    new DomainError('LAST_OWNER', HttpStatus.CONFLICT, 'An organization must keep at least one owner'),
  roleTooLow: (required: string) =>
    new DomainError('ROLE_REQUIRED', HttpStatus.FORBIDDEN, `This needs the ${required} role in the organization`),
  cannotRaiseOwnRole: () =>
    new DomainError('CANNOT_RAISE_OWN_ROLE', HttpStatus.FORBIDDEN, 'Nobody can raise their own role'),
  notAMember: () =>
    new DomainError(
      'NOT_A_MEMBER',
      HttpStatus.FORBIDDEN,
      'You are not a member of the organization named by X-Organization-Id',
    ),
  keyBoundElsewhere: () =>
    new DomainError(
      'ORGANIZATION_MISMATCH',
      HttpStatus.FORBIDDEN,
      'This API key is bound to another organization than X-Organization-Id names',
    ),
  badHeader: () =>
    new DomainError('INVALID_ORGANIZATION_HEADER', HttpStatus.BAD_REQUEST, 'X-Organization-Id must be a UUID'),
  noOrganization: () =>
    new DomainError(
      'NO_ORGANIZATION',
      HttpStatus.FORBIDDEN,
      'You belong to no organization; create one or send X-Organization-Id',
    ),
};
