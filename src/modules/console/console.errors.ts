import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';

export const ConsoleErrors = {
  assetNotFound: () => new DomainError('CONSOLE_ASSET_NOT_FOUND', HttpStatus.NOT_FOUND, 'No such console file'),
};
