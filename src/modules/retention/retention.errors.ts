import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { OrganizationErrorCode } from '../organizations/organizations.errors';

export const RetentionErrors = {
  roleTooLow: () =>
    new DomainError(
      OrganizationErrorCode.RoleRequired,
      HttpStatus.FORBIDDEN,
      'This needs the admin role in the organization',
    ),
  ownerRequired: () =>
    new DomainError(
      OrganizationErrorCode.RoleRequired,
      HttpStatus.FORBIDDEN,
      'This needs the owner role in the organization',
    ),
};
