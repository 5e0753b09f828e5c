import { Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import type { ExecutionContext } from '@nestjs/common';
import { AuthErrors } from '../auth.errors';

/**
 * All login attempts are limited per client address (failures per address and account are held
 * back by LoginAttempts); over the limit is 429 with retry-after.
 */
@Injectable()
export class LoginThrottlerGuard extends ThrottlerGuard {
  protected override throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    return Promise.reject(AuthErrors.tooManyAttempts(Math.max(1, Math.ceil(detail.timeToBlockExpire))));
  }
}
