import { Injectable } from '@nestjs/common';

/**
 * The current time, behind one seam tests can set: every service that stamps or compares a time
 * (deletion, revocation, expiry, analytics periods) asks the clock rather than `new Date()`.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }

  nowMs(): number {
    return this.now().getTime();
  }
}
