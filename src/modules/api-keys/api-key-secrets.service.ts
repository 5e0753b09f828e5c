import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { deriveSubkey, hmacSha256Hex, randomToken } from '../../common/crypto/keys';

const API_KEY_PREFIX = 'lmp_';
/** 24 random bytes: 192 bits, written as 32 base64url characters after the prefix. */
const API_KEY_RANDOM_BYTES = 24;
const API_KEY_PATTERN = /^lmp_[A-Za-z0-9_-]{32}$/;

/** Making platform API keys and their HMAC-SHA256 digests. The randomness is the seam tests may replace. */
@Injectable()
export class ApiKeySecrets {
  private readonly digestKey: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.digestKey = deriveSubkey(config.encryptionKey, 'api-key-digest');
  }

  generate(): { key: string; prefix: string; digest: string } {
    const key = randomToken(API_KEY_PREFIX, API_KEY_RANDOM_BYTES);
    return { key, prefix: key.slice(0, API_KEY_PREFIX.length + 8), digest: this.digest(key) };
  }

  digest(key: string): string {
    return hmacSha256Hex(this.digestKey, key);
  }

  /** Whether a string has the form of a platform key (not whether it is one). */
  static looksLikeKey(value: string): boolean {
    return API_KEY_PATTERN.test(value);
  }
}
