import { Inject, Injectable } from '@nestjs/common';
import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';

const PARAMS = { N: 2 ** 15, r: 8, p: 1, keyLength: 32, saltLength: 16 };
/**
 * The cost parameter under NODE_ENV=test: about 1 ms a hash instead of about 50, since the suites
 * register hundreds of users. Hashes say their own cost, so either kind verifies under the other.
 */
const TEST_N = 2 ** 10;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** scrypt password hashes in the self-describing form `scrypt$N$r$p$salt$hash` (base64url). */
@Injectable()
export class PasswordHasher {
  private readonly N: number;
  private readonly dummyHash: string;

  constructor(@Inject(APP_CONFIG) config: Pick<AppConfig, 'nodeEnv'>) {
    this.N = config.nodeEnv === 'test' ? TEST_N : PARAMS.N;
    this.dummyHash = `scrypt$${this.N}$${PARAMS.r}$${PARAMS.p}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(32).toString('base64url')}`;
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(PARAMS.saltLength);
    const key = await scryptAsync(password, salt, PARAMS.keyLength, {
      N: this.N,
      r: PARAMS.r,
      p: PARAMS.p,
      maxmem: 128 * this.N * PARAMS.r * 2,
    });
    return ['scrypt', this.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  /** False for a wrong password and for any stored value that is not a well-formed hash of ours. */
  async verify(password: string, stored: string): Promise<boolean> {
    const parsed = parseStoredHash(stored);
    if (!parsed) return false;
    const { N, r, p, salt, expected } = parsed;
    let actual: Buffer;
    try {
      actual = await scryptAsync(password, salt, expected.length, { N, r, p, maxmem: 128 * N * r * 2 });
    } catch {
      return false;
    }
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  /** Verifying against this when the account does not exist keeps response time uniform. */
  async dummyVerify(password: string): Promise<void> {
    await this.verify(password, this.dummyHash);
  }
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const DECIMAL = /^[1-9][0-9]{0,9}$/;
/** Bounds on stored cost parameters, so a tampered row can neither crash nor exhaust the server. */
const LIMITS = { maxN: 2 ** 20, maxR: 32, maxP: 16, maxMemoryBytes: 256 * 1024 * 1024 };

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  expected: Buffer;
}

/**
 * `scrypt$N$r$p$salt$hash`, strictly: decimal parameters within bounds (N a power of two),
 * base64url salt of at least 16 bytes and a hash of exactly the length this hasher writes. Anything
 * else (including an empty or truncated hash, which would otherwise match too easily) is null.
 */
function parseStoredHash(stored: unknown): ParsedHash | null {
  if (typeof stored !== 'string') return null;
  const parts = stored.split('$');
  if (parts.length !== 6) return null;
  const [scheme, n, r, p, salt, hash] = parts;
  if (scheme !== 'scrypt') return null;
  if (![n, r, p].every((v) => DECIMAL.test(v))) return null;
  if (!BASE64URL.test(salt) || !BASE64URL.test(hash)) return null;
  const [N, R, P] = [Number(n), Number(r), Number(p)];
  if (N < 2 || N > LIMITS.maxN || (N & (N - 1)) !== 0) return null;
  if (R > LIMITS.maxR || P > LIMITS.maxP || 128 * N * R > LIMITS.maxMemoryBytes) return null;
  const saltBytes = Buffer.from(salt, 'base64url');
  const expected = Buffer.from(hash, 'base64url');
  if (saltBytes.length < PARAMS.saltLength || expected.length !== PARAMS.keyLength) return null;
  return { N, r: R, p: P, salt: saltBytes, expected };
}
