import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** A 32-byte subkey of the master encryption key for one purpose, so no key serves two. */
export function deriveSubkey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `lamplight:${purpose}`, 32));
}

export function hmacSha256Hex(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('hex');
}

/** URL-safe random token: `prefix` followed by `bytes` random bytes in base64url. */
export function randomToken(prefix: string, bytes: number): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
