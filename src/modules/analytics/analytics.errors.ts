import { HttpStatus } from '@nestjs/common';
import { CommonErrors } from '../../common/errors/common.errors';
import { DomainError } from '../../common/errors/domain-error';
import { SessionErrors } from '../sessions/sessions.errors';

export enum AnalyticsErrorCode {
  InvalidTimeZone = 'INVALID_TIMEZONE',
  TimeZoneNotHourAligned = 'TIMEZONE_NOT_HOUR_ALIGNED',
  InvalidTime = 'INVALID_TIME',
  RangeTooLarge = 'RANGE_TOO_LARGE',
}

export const AnalyticsErrors = {
  sessionNotFound: SessionErrors.notFound,
  invalidTimeZone: () =>
    new DomainError(
      AnalyticsErrorCode.InvalidTimeZone,
      HttpStatus.BAD_REQUEST,
      'tz must be an IANA time zone name, such as Europe/Paris or UTC',
    ),
  timeZoneNotHourAligned: (zone: string, offset: string) =>
    new DomainError(
      AnalyticsErrorCode.TimeZoneNotHourAligned,
      HttpStatus.BAD_REQUEST,
      `Usage is kept per UTC hour, so periods in ${zone} (UTC${offset}) cannot be served exactly; use a zone whose offset is a whole number of hours, or UTC`,
    ),
  invalidTime: (field: string) =>
    new DomainError(
      AnalyticsErrorCode.InvalidTime,
      HttpStatus.BAD_REQUEST,
      `${field} must be an RFC 3339 time, such as 2026-11-01T00:00:00Z, or a date`,
    ),
  invalidRange: () => CommonErrors.invalidRange('start must be before end'),
  rangeTooLarge: (what: string) => new DomainError(AnalyticsErrorCode.RangeTooLarge, HttpStatus.BAD_REQUEST, what),
};
