import { Injectable } from '@nestjs/common';
import { randomToken } from '../../common/crypto/keys';

const SHARE_TOKEN_PREFIX = 'shr_';
/** 24 random bytes: 192 bits, written as 32 base64url characters after the prefix. */
const SHARE_TOKEN_RANDOM_BYTES = 24;
const SHARE_TOKEN_PATTERN = /^shr_[A-Za-z0-9_-]{32}$/;

/** Share tokens from the CSPRNG (crypto.randomBytes); the seam tests may replace. */
@Injectable()
export class ShareTokens {
  generate(): string {
    return randomToken(SHARE_TOKEN_PREFIX, SHARE_TOKEN_RANDOM_BYTES);
  }

  /** Whether a string has the form of a share token (not whether one exists). */
  static looksLikeToken(value: string): boolean {
    return SHARE_TOKEN_PATTERN.test(value);
  }
}
