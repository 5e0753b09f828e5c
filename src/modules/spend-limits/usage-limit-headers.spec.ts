import fc from 'fast-check';
import { SpendScopeType, SpendUnit } from './spend-limits.repository';
import { SpendPeriod } from './spend-periods';
import { blockingStanding, rejectedHeaders, type Standing, usageHeaders } from './usage-limit-headers';

const PERIODS = [SpendPeriod.Daily, SpendPeriod.Weekly, SpendPeriod.Monthly, SpendPeriod.Session];

const standing = fc
  .record({
    period: fc.constantFrom(...PERIODS),
    cap: fc.integer({ min: 0, max: 10_000_000 }),
    used: fc.integer({ min: 0, max: 12_000_000 }),
    endsIn: fc.integer({ min: 1, max: 40 * 86_400 }),
    budget: fc.boolean(),
  })
  .map(({ period, cap, used, endsIn, budget }): Standing => ({
    scopeType: budget ? SpendScopeType.Session : SpendScopeType.User,
    period: budget ? SpendPeriod.Session : period,
    unit: budget ? SpendUnit.Tokens : SpendUnit.Usd,
    cap,
    used,
    window: {
      start: new Date(0),
      end: budget || period === SpendPeriod.Session ? null : new Date(Date.UTC(2026, 10, 30) + endsIn * 1000),
    },
    budget,
  }));

describe("Claude Code's usage-limit headers", () => {
  it('on a call let through: the fullest cap that resets, utilization two decimals below 1, the threshold only past 75 %', () => {
    fc.assert(
      fc.property(fc.array(standing, { maxLength: 6 }), (standings) => {
        const headers = usageHeaders(standings);
        const resetting = standings.filter((s) => s.window.end !== null);
        if (resetting.length === 0) {
          expect(headers).toEqual({});
          return;
        }
        const utilization = Number(headers['anthropic-ratelimit-unified-overage-utilization']);
        expect(headers['anthropic-ratelimit-unified-overage-utilization']).toMatch(/^0(\.\d{1,2})?$/);
        expect(utilization).toBeLessThan(1);
        const fullest = Math.max(...resetting.map((s) => (s.cap <= 0 ? 1 : s.used / s.cap)));
        expect(Math.abs(utilization - Math.min(Math.round(fullest * 100) / 100, 0.99))).toBeLessThan(1e-9);
        const threshold = headers['anthropic-ratelimit-unified-overage-surpassed-threshold'];
        expect(threshold).toBe(fullest > 0.95 ? '0.95' : fullest > 0.75 ? '0.75' : undefined);
        const status = threshold === undefined ? 'allowed' : 'allowed_warning';
        expect(headers).toMatchObject({
          'anthropic-ratelimit-unified-status': status,
          'anthropic-ratelimit-unified-overage-status': status,
          'anthropic-ratelimit-unified-representative-claim': 'overage',
        });
        expect(headers['anthropic-ratelimit-unified-reset']).toBe(headers['anthropic-ratelimit-unified-overage-reset']);
        const resets = resetting
          .filter((s) => (s.cap <= 0 ? 1 : s.used / s.cap) === fullest)
          .map((s) => String(Math.floor(s.window.end!.getTime() / 1000)));
        expect(resets).toContain(headers['anthropic-ratelimit-unified-reset']);
      }),
    );
  });

  it('on a refusal: the limit that resets last (one that never resets first); the rejected shape only for a cap that resets', () => {
    fc.assert(
      fc.property(fc.array(standing, { minLength: 1, maxLength: 6 }), (full) => {
        const blocking = blockingStanding(full);
        const ends = full.map((s) => s.window.end?.getTime() ?? Infinity);
        expect(blocking.window.end?.getTime() ?? Infinity).toBe(Math.max(...ends));
        const headers = rejectedHeaders(blocking);
        if (blocking.window.end === null) {
          expect(headers).toEqual({});
          return;
        }
        expect(headers).toEqual({
          'anthropic-ratelimit-unified-status': 'rejected',
          'anthropic-ratelimit-unified-reset': String(Math.floor(blocking.window.end.getTime() / 1000)),
          'anthropic-ratelimit-unified-overage-reset': String(Math.floor(blocking.window.end.getTime() / 1000)),
          'anthropic-ratelimit-unified-overage-utilization': '1',
          'anthropic-ratelimit-unified-overage-surpassed-threshold': '1',
          'anthropic-ratelimit-unified-overage-period': blocking.period,
          'anthropic-ratelimit-unified-overage-disabled-reason': 'org_spend_cap_reached',
        });
      }),
    );
  });
});
