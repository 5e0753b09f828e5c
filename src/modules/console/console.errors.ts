import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';

export enum ConsoleErrorCode {
  ConsoleAssetNotFound = 'CONSOLE_ASSET_NOT_FOUND',
}

export const ConsoleErrors = {
  assetNotFound: () =>
    new DomainError(ConsoleErrorCode.ConsoleAssetNotFound, HttpStatus.NOT_FOUND, 'No such console file'),
};
