import { type ExecutionContext, Injectable } from '@nestjs/common';
import { normalizeIp, ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { SharingErrors } from './sharing.errors';

/** Public share lookups (the JSON view and the page together) allowed per client address per minute. */
const SHARED_LOOKUPS_PER_MINUTE = 120;
const THROTTLER_NAME = 'shared-link-per-address';

/**
 * Rate limit for the public share routes, per client address (an IPv6 client is its /64), on the
 * throttler storage the app already has (from the auth module's ThrottlerModule), with limits of
 * its own in place of the sign-in ones. One budget covers the JSON view and the HTML page, so
 * guessing tokens through either costs the same.
 */
@Injectable()
export class SharedLinkThrottlerGuard extends ThrottlerGuard {
  override onModuleInit(): Promise<void> {
    this.throttlers = [{ name: THROTTLER_NAME, ttl: 60_000, limit: SHARED_LOOKUPS_PER_MINUTE }];
    this.commonOptions = {
      getTracker: (request: Record<string, unknown>) => normalizeIp(String(request.ip)),
      // Not keyed by route (the default), so both public routes draw on one budget.
      generateKey: (_context: ExecutionContext, tracker: string, name: string) =>
        createHash('sha256').update(`${name}-${tracker}`).digest('hex'),
    };
    return Promise.resolve();
  }

  protected override throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    return Promise.reject(SharingErrors.tooManyRequests(Math.max(1, Math.ceil(detail.timeToBlockExpire))));
  }
}
