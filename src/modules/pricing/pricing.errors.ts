import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';

export const PricingErrors = {
  invalidRange: () => new DomainError('INVALID_RANGE', HttpStatus.BAD_REQUEST, 'since must be before until'),
};
