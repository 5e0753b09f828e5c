import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';

export enum ApiKeyErrorCode {
  NotFound = 'API_KEY_NOT_FOUND',
  ExpiryInPast = 'EXPIRY_IN_PAST',
}

export const ApiKeyErrors = {
  /** Also for another organization's key: both look the same. */
  notFound: () => new DomainError(ApiKeyErrorCode.NotFound, HttpStatus.NOT_FOUND, 'API key not found'),
  expiryInPast: () =>
    new DomainError(ApiKeyErrorCode.ExpiryInPast, HttpStatus.BAD_REQUEST, 'expiresAt must be in the future'),
};
