import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';

export enum RetentionErrorCode {
  RoleRequired = 'ROLE_REQUIRED',
}

export const RetentionErrors = {
  roleTooLow: () => new DomainError(RetentionErrorCode.RoleRequired, HttpStatus.FORBIDDEN, 'This needs the admin role in the organization'),
  ownerRequired: () => new DomainError(RetentionErrorCode.RoleRequired, HttpStatus.FORBIDDEN, 'This needs the owner role in the organization'),
};
