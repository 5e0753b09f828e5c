import { HttpStatus } from '@nestjs/common';
import { CommonErrorCode } from '../../common/errors/common.errors';
import { DomainError } from '../../common/errors/domain-error';

export const MetricsErrors = {
  badToken: () =>
    new DomainError(CommonErrorCode.Unauthenticated, HttpStatus.UNAUTHORIZED, 'A valid metrics token is required'),
  /** In production without METRICS_TOKEN the endpoint does not exist. */
  absent: () => new DomainError(CommonErrorCode.NotFound, HttpStatus.NOT_FOUND, 'Not found'),
};
