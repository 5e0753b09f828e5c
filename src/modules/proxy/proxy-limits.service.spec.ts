import type { AppConfig } from '../../config/app-config';
import type { Principal } from '../../common/auth/principal';
import { DomainError } from '../../common/errors/domain-error';
import { ProxyLimiter } from './proxy-limits.service';

const limiter = (requestsPerMinute: number, concurrent: number) =>
  new ProxyLimiter({ proxyLimits: { requestsPerMinute, concurrent } } as AppConfig);

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    return error as DomainError;
  }
  throw new Error('expected a refusal');
}

describe('ProxyLimiter', () => {
  it("allows a minute's worth at once, then refills evenly and says when to retry", () => {
    const limits = limiter(60, 0);
    const t0 = 1_000_000;
    for (let i = 0; i < 60; i++) limits.acquire('key:a', t0)();
    const error = refusal(() => limits.acquire('key:a', t0));
    expect(error).toMatchObject({ status: 429, code: 'RATE_LIMITED', extra: { retryAfterSeconds: 1 } });
    // One request per second comes back.
    expect(() => limits.acquire('key:a', t0 + 1_000)).not.toThrow();
    expect(() => limits.acquire('key:a', t0 + 1_000)).toThrow(DomainError);
    // Callers are counted apart.
    expect(() => limits.acquire('key:b', t0)).not.toThrow();
  });

  it('gives a retry-after that matches the refill rate', () => {
    const limits = limiter(5, 0);
    for (let i = 0; i < 5; i++) limits.acquire('user:u', 0);
    expect(refusal(() => limits.acquire('user:u', 0)).extra.retryAfterSeconds).toBe(12);
    expect(refusal(() => limits.acquire('user:u', 6_000)).extra.retryAfterSeconds).toBe(6);
  });

  it('holds a concurrency slot until released, once', () => {
    const limits = limiter(0, 2);
    const first = limits.acquire('key:c');
    limits.acquire('key:c');
    expect(refusal(() => limits.acquire('key:c'))).toMatchObject({
      status: 429,
      code: 'CONCURRENCY_LIMITED',
      extra: { retryAfterSeconds: 1 },
    });
    first();
    first();
    expect(limits.inFlight('key:c')).toBe(1);
    expect(() => limits.acquire('key:c')).not.toThrow();
  });

  it('a refused call takes no slot and no token', () => {
    const limits = limiter(3, 1);
    const release = limits.acquire('key:d', 0);
    expect(() => limits.acquire('key:d', 0)).toThrow(DomainError);
    release();
    limits.acquire('key:d', 0)();
    limits.acquire('key:d', 0)();
    expect(refusal(() => limits.acquire('key:d', 0)).code).toBe('RATE_LIMITED');
  });

  it('is off when both limits are 0', () => {
    expect(limiter(0, 0).enabled).toBe(false);
    expect(limiter(600, 64).enabled).toBe(true);
  });

  it("run holds the caller's slot until the call settles, failures included, and refuses beyond the limit", async () => {
    const limits = limiter(0, 1);
    const principal: Principal = { kind: 'apiKey', apiKeyId: 'k1', userId: 'u1', organizationId: 'o1', scopes: [] };
    let finish!: () => void;
    const first = limits.run(principal, () => new Promise<string>((resolve) => (finish = () => resolve('done'))));
    expect(limits.inFlight('key:k1')).toBe(1);
    await expect(limits.run(principal, () => Promise.resolve('second'))).rejects.toMatchObject({
      status: 429,
      code: 'CONCURRENCY_LIMITED',
    });
    finish();
    await expect(first).resolves.toBe('done');
    expect(limits.inFlight('key:k1')).toBe(0);
    await expect(limits.run(principal, async () => Promise.reject(new Error('upstream gone')))).rejects.toThrow(
      'upstream gone',
    );
    expect(limits.inFlight('key:k1')).toBe(0);
  });
});
