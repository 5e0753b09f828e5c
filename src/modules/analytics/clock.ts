import { Injectable } from '@nestjs/common';

/** The current time for analytics periods and link expiry, behind a seam tests can set. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
