import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';

export const AnalyticsErrors = {
  sessionNotFound: () => new DomainError('SESSION_NOT_FOUND', HttpStatus.NOT_FOUND, 'Session not found'),
  invalidTimeZone: () =>
    new DomainError('INVALID_TIMEZONE', HttpStatus.BAD_REQUEST, 'tz must be an IANA time zone name, such as Europe/Paris or UTC'),
  timeZoneNotHourAligned: (zone: string, offset: string) =>
    new DomainError(
      'TIMEZONE_NOT_HOUR_ALIGNED',
      HttpStatus.BAD_REQUEST,
      `Usage is kept per UTC hour, so periods in ${zone} (UTC${offset}) cannot be served exactly; use a zone whose offset is a whole number of hours, or UTC`,
    ),
  invalidTime: (field: string) =>
    new DomainError('INVALID_TIME', HttpStatus.BAD_REQUEST, `${field} must be an RFC 3339 time, such as 2026-11-01T00:00:00Z, or a date`),
  invalidRange: () => new DomainError('INVALID_RANGE', HttpStatus.BAD_REQUEST, 'start must be before end'),
  rangeTooLarge: (what: string) => new DomainError('RANGE_TOO_LARGE', HttpStatus.BAD_REQUEST, what),
};
