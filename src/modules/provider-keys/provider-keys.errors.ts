import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';

export enum ProviderKeyErrorCode {
  NotFound = 'PROVIDER_KEY_NOT_FOUND',
  Unreadable = 'PROVIDER_KEY_UNREADABLE',
}

/** A stored key that will not decrypt: a class of its own, so the service can log which key it was. */
export class ProviderKeyDecryptionError extends DomainError {
  constructor() {
    super(
      ProviderKeyErrorCode.Unreadable,
      HttpStatus.INTERNAL_SERVER_ERROR,
      'A stored provider key could not be decrypted: the encryption key is wrong or the stored value was altered',
    );
  }
}

export const ProviderKeyErrors = {
  /** Also for another organization's key: both look the same. */
  notFound: () => new DomainError(ProviderKeyErrorCode.NotFound, HttpStatus.NOT_FOUND, 'Provider key not found'),
};
