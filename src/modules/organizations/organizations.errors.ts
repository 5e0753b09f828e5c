import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';

export enum OrganizationErrorCode {
  NotFound = 'ORGANIZATION_NOT_FOUND',
  MemberNotFound = 'MEMBER_NOT_FOUND',
  UserNotFound = 'USER_NOT_FOUND',
  AlreadyMember = 'ALREADY_MEMBER',
  InvitationNotFound = 'INVITATION_NOT_FOUND',
  InvitationPending = 'INVITATION_PENDING',
  InvitationNotPending = 'INVITATION_NOT_PENDING',
  SlugTaken = 'SLUG_TAKEN',
  LastOwner = 'LAST_OWNER',
  RoleRequired = 'ROLE_REQUIRED',
  CannotRaiseOwnRole = 'CANNOT_RAISE_OWN_ROLE',
  NotAMember = 'NOT_A_MEMBER',
  OrganizationMismatch = 'ORGANIZATION_MISMATCH',
  InvalidOrganizationHeader = 'INVALID_ORGANIZATION_HEADER',
  NoOrganization = 'NO_ORGANIZATION',
}

export const OrganizationErrors = {
  notFound: () => new DomainError(OrganizationErrorCode.NotFound, HttpStatus.NOT_FOUND, 'Organization not found'),
  memberNotFound: () => new DomainError(OrganizationErrorCode.MemberNotFound, HttpStatus.NOT_FOUND, 'Member not found'),
  userNotFound: () =>
    new DomainError(OrganizationErrorCode.UserNotFound, HttpStatus.NOT_FOUND, 'No user with that email'),
  alreadyMember: () =>
    new DomainError(OrganizationErrorCode.AlreadyMember, HttpStatus.CONFLICT, 'That user is already a member'),
  invitationNotFound: () =>
    new DomainError(OrganizationErrorCode.InvitationNotFound, HttpStatus.NOT_FOUND, 'Invitation not found'),
  invitationPending: () =>
    new DomainError(
      OrganizationErrorCode.InvitationPending,
      HttpStatus.CONFLICT,
      'That email already has a pending invitation to this organization',
    ),
  invitationClosed: (status: string) =>
    new DomainError(
      OrganizationErrorCode.InvitationNotPending,
      HttpStatus.CONFLICT,
      `This invitation is ${status}; it can no longer be answered`,
    ),
  slugTaken: () => new DomainError(OrganizationErrorCode.SlugTaken, HttpStatus.CONFLICT, 'That slug is taken'),
  lastOwner: () =>
    new DomainError(
      OrganizationErrorCode.LastOwner,
      HttpStatus.CONFLICT,
      'An organization must keep at least one owner',
    ),
  roleTooLow: (required: string) =>
    new DomainError(
      OrganizationErrorCode.RoleRequired,
      HttpStatus.FORBIDDEN,
      `This needs the ${required} role in the organization`,
    ),
  cannotRaiseOwnRole: () =>
    new DomainError(OrganizationErrorCode.CannotRaiseOwnRole, HttpStatus.FORBIDDEN, 'Nobody can raise their own role'),
  notAMember: () =>
    new DomainError(
      OrganizationErrorCode.NotAMember,
      HttpStatus.FORBIDDEN,
      'You are not a member of the organization named by X-Organization-Id',
    ),
  keyBoundElsewhere: () =>
    new DomainError(
      OrganizationErrorCode.OrganizationMismatch,
      HttpStatus.FORBIDDEN,
      'This API key is bound to another organization than X-Organization-Id names',
    ),
  badHeader: () =>
    new DomainError(
      OrganizationErrorCode.InvalidOrganizationHeader,
      HttpStatus.BAD_REQUEST,
      'X-Organization-Id must be a UUID',
    ),
  noOrganization: () =>
    new DomainError(
      OrganizationErrorCode.NoOrganization,
      HttpStatus.FORBIDDEN,
      'You belong to no organization; create one or send X-Organization-Id',
    ),
};
