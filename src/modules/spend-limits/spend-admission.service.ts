import { Injectable, Logger } from '@nestjs/common';
import type { ExpiringCache } from '../../common/cache/expiring-cache';
import { OUTAGE_FALLBACK_MAX_AGE_MS } from '../../common/cache/expiring-cache';
import { isDatabaseUnavailable } from '../../common/errors/error-response';
import { CacheInvalidation, SPEND_LIMIT_CACHE_TOPIC } from '../../database/cache-invalidation';
import { Clock } from '../../common/time/clock.service';
import { TimeZone } from '../analytics/time-zone';
import { SpendAlertsService } from './spend-alerts.service';
import { SpendLimitErrors } from './spend-limits.errors';
import {
  COUNTER_FULL_SQLSTATE,
  type CounterClaim,
  FailureMode,
  type SpendLimitRecord,
  SpendLimitsRepository,
  SpendScopeType,
  type SpendSettingsRecord,
  SpendUnit,
} from './spend-limits.repository';
import { type PeriodWindow, periodWindow, secondsUntil, SpendPeriod } from './spend-periods';
import { WorstCaseEstimator } from './worst-case';

const STATE_TTL_MS = 30_000;
/** Utilization from which responses tell the developer they are nearing a cap. */
const WARNING_UTILIZATION = 0.8;

/** Who makes a Messages call and what it asks for, as admission needs it. */
export interface SpendCall {
  organizationId: string;
  userId: string;
  apiKeyId: string | null;
  session: { id: string; tokensUsed: number; tokenBudget: number | null };
  model: string;
  body: Record<string, unknown>;
  requestBytes: number;
}

/** What the call really used, once it is over. */
export interface SpendActual {
  /** The call's cost in nano-USD; null when the model is not priced (the reservation is kept as spent). */
  costNanoUsd: number | null;
  tokens: number;
}

interface ApplicableLimit {
  key: string;
  /** null for a session's token budget (a setting of the session, not a limit row). */
  limit: SpendLimitRecord | null;
  scopeType: SpendScopeType;
  period: SpendPeriod;
  unit: SpendUnit;
  amount: number;
  window: PeriodWindow;
  thresholds: number[];
}

interface Held {
  applicable: ApplicableLimit;
  reserved: number;
}

/** A call's hold on its limits: settle it exactly once when the call ends, whatever the outcome. */
export class SpendReservation {
  private settled = false;

  constructor(
    readonly organizationId: string,
    readonly held: Held[],
    /** Headers for the call's response (Claude Code's usage warning and Lamplight's own figures). */
    readonly headers: Record<string, string>,
    private readonly onSettle: (reservation: SpendReservation, actual: SpendActual) => void,
  ) {}

  get empty(): boolean {
    return this.held.length === 0;
  }

  settle(actual: SpendActual): void {
    if (this.settled) return;
    this.settled = true;
    if (this.held.length > 0) this.onSettle(this, actual);
  }
}

interface OrganizationState {
  limits: SpendLimitRecord[];
  settings: SpendSettingsRecord;
  zone: TimeZone;
}

const SETTLE_RETRY_MS = [200, 1_000, 5_000, 30_000, 120_000];

function usd(micro: number): string {
  return `$${(micro / 1_000_000).toFixed(2)}`;
}

function figure(unit: SpendUnit, amount: number): string {
  return unit === SpendUnit.Usd ? usd(amount) : `${amount} tokens`;
}

function describeScope(a: ApplicableLimit): string {
  const what = {
    [SpendScopeType.Organization]: "the organization's",
    [SpendScopeType.ApiKey]: "this API key's",
    [SpendScopeType.User]: 'your',
    [SpendScopeType.Session]: "this session's",
  }[a.scopeType];
  if (a.limit === null) return `${what} token budget`;
  return a.period === SpendPeriod.Session ? `${what} lifetime spend limit` : `${what} ${a.period} spend limit`;
}

/**
 * Admission that holds across instances: a call is let through only if, for every limit that
 * applies to it, spent + reserved by calls in flight + this call's worst case fits, checked and
 * reserved in one statement against counters in PostgreSQL; the reservation is settled with the
 * true cost when the call ends. Organizations without limits (and sessions without a budget)
 * cost nothing here: their absence is cached per instance and invalidated by NOTIFY.
 */
@Injectable()
export class SpendAdmissionService {
  private readonly logger = new Logger('SpendLimits');
  private readonly state: ExpiringCache<OrganizationState>;
  private readonly estimator = new WorstCaseEstimator();
  /** micro-USD let through per organization by this instance while the counters could not be reached. */
  private readonly failedOpen = new Map<string, number>();

  constructor(
    private readonly repository: SpendLimitsRepository,
    private readonly alerts: SpendAlertsService,
    private readonly clock: Clock,
    invalidation: CacheInvalidation,
  ) {
    this.state = invalidation.cache<OrganizationState>(SPEND_LIMIT_CACHE_TOPIC, {
      ttlMs: STATE_TTL_MS,
      owner: (_value, key) => key,
    });
  }

  /** Drops this instance's copy of an organization's limits at once (after a change made here). */
  forget(organizationId: string): void {
    this.state.delete(organizationId);
  }

  /**
   * Reserves this call's worst case on every limit that applies, or refuses it: 429 over a limit,
   * 503 when the counters cannot be reached and the organization fails closed.
   */
  async admit(call: SpendCall): Promise<SpendReservation> {
    const now = this.clock.now();
    const state = await this.organizationState(call.organizationId);
    const applicable = this.applicable(state, call, now);
    if (applicable.length === 0) return new SpendReservation(call.organizationId, [], {}, () => undefined);

    const worst = this.estimator.estimate(call.model, call.body, call.requestBytes);
    const claims: (CounterClaim & { applicable: ApplicableLimit })[] = applicable
      .map((a) => ({
        applicable: a,
        key: a.key,
        periodStart: a.window.start,
        amount: a.unit === SpendUnit.Usd ? worst.microUsd : worst.tokens,
        cap: a.amount,
        seed: a.limit === null ? call.session.tokensUsed : 0,
      }))
      .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));

    let rows;
    try {
      rows = await this.repository.admit(call.organizationId, claims);
    } catch (error) {
      if ((error as { code?: string }).code === COUNTER_FULL_SQLSTATE) {
        throw await this.refusal(call.organizationId, claims, (error as Error).message, now);
      }
      if (isDatabaseUnavailable(error)) return this.unreachable(call, state, worst.microUsd);
      throw error;
    }
    this.failedOpen.delete(call.organizationId);
    const held = claims.map((c) => ({ applicable: c.applicable, reserved: c.amount }));
    const headers = this.headersFor(claims, rows);
    return new SpendReservation(call.organizationId, held, headers, (r, actual) => this.settle(r, actual));
  }

  private applicable(state: OrganizationState, call: SpendCall, now: Date): ApplicableLimit[] {
    const out: ApplicableLimit[] = [];
    for (const limit of state.limits) {
      const applies =
        limit.scopeType === SpendScopeType.Organization ||
        (limit.scopeType === SpendScopeType.User && limit.scopeId === call.userId) ||
        (limit.scopeType === SpendScopeType.ApiKey && limit.scopeId === call.apiKeyId) ||
        (limit.scopeType === SpendScopeType.Session && limit.scopeId === call.session.id);
      if (!applies) continue;
      out.push({
        key: limit.id,
        limit,
        scopeType: limit.scopeType,
        period: limit.period,
        unit: limit.unit,
        amount: limit.amount,
        window: periodWindow(limit.period, now, state.zone),
        thresholds: limit.alertThresholds ?? state.settings.alertThresholds,
      });
    }
    // The session's token budget is one more limit: tokens, over the session's lifetime.
    if (call.session.tokenBudget !== null) {
      out.push({
        key: `session-budget:${call.session.id}`,
        limit: null,
        scopeType: SpendScopeType.Session,
        period: SpendPeriod.Session,
        unit: SpendUnit.Tokens,
        amount: call.session.tokenBudget,
        window: periodWindow(SpendPeriod.Session, now, state.zone),
        thresholds: [],
      });
    }
    return out;
  }

  private async refusal(
    organizationId: string,
    claims: (CounterClaim & { applicable: ApplicableLimit })[],
    fullKey: string,
    now: Date,
  ) {
    const claim = claims.find((c) => c.key === fullKey) ?? claims[0];
    const a = claim.applicable;
    let counter = { spent: 0, reserved: 0 };
    try {
      counter =
        (await this.repository.counters(organizationId, [claim.key], [claim.periodStart])).get(
          `${claim.key}@${claim.periodStart.getTime()}`,
        ) ?? counter;
    } catch {
      // The figures are for the message only.
    }
    // A counter the refused statement would have created holds nothing yet: its first value is the seed.
    counter = { ...counter, spent: Math.max(counter.spent, claim.seed) };
    const retryAfter = secondsUntil(a.window, now);
    const resets = a.window.end
      ? ` It resets at ${a.window.end.toISOString()}.`
      : ' It does not reset; an admin can raise it.';
    const detail =
      `Spend limit reached: ${describeScope(a)} of ${figure(a.unit, a.amount)} (scope ${a.scopeType}${a.limit ? `, period ${a.period}` : ''}) ` +
      `has ${figure(a.unit, counter.spent)} spent and ${figure(a.unit, counter.reserved)} reserved by calls in flight; ` +
      `this call could use up to ${figure(a.unit, claim.amount)}. Nothing was sent to Anthropic.${resets}`;
    return SpendLimitErrors.exceeded(detail, retryAfter);
  }

  /** The counters cannot be reached: the organization's choice, always logged. */
  private unreachable(call: SpendCall, state: OrganizationState, worstMicroUsd: number): SpendReservation {
    const { failureMode, failOpenAmount } = state.settings;
    const used = this.failedOpen.get(call.organizationId) ?? 0;
    if (failureMode === FailureMode.Open && used + worstMicroUsd <= failOpenAmount) {
      this.failedOpen.set(call.organizationId, used + worstMicroUsd);
      this.logger.warn(
        {
          organizationId: call.organizationId,
          failOpenUsedUsd: (used + worstMicroUsd) / 1e6,
          failOpenAmountUsd: failOpenAmount / 1e6,
        },
        'spend limits unreachable: call let through under the fail-open allowance',
      );
      return new SpendReservation(call.organizationId, [], {}, () => undefined);
    }
    this.logger.error({ organizationId: call.organizationId, failureMode }, 'spend limits unreachable: call refused');
    throw SpendLimitErrors.unavailable();
  }

  /**
   * Claude Code reads Anthropic's unified rate-limit headers to warn as a cap nears:
   * status `allowed_warning` from 80 % of the tightest limit, with its reset time. Lamplight's own
   * headers give the figures.
   */
  private headersFor(
    claims: (CounterClaim & { applicable: ApplicableLimit })[],
    rows: { counterKey: string; spent: number; reserved: number }[],
  ): Record<string, string> {
    let tightest: { claim: (typeof claims)[number]; utilization: number; used: number } | null = null;
    for (const claim of claims) {
      const row = rows.find((r) => r.counterKey === claim.key);
      if (!row) continue;
      const used = row.spent + row.reserved - claim.amount;
      const utilization = claim.cap === 0 ? 1 : Math.min(1, Math.max(0, used / claim.cap));
      if (!tightest || utilization > tightest.utilization) tightest = { claim, utilization, used };
    }
    if (!tightest) return {};
    const a = tightest.claim.applicable;
    const headers: Record<string, string> = {
      'anthropic-ratelimit-unified-status': tightest.utilization >= WARNING_UTILIZATION ? 'allowed_warning' : 'allowed',
      'x-lamplight-spend-limit-scope': a.scopeType,
      'x-lamplight-spend-limit-period': a.period,
      'x-lamplight-spend-limit-utilization': tightest.utilization.toFixed(4),
      [`x-lamplight-spend-limit-remaining-${a.unit}`]:
        a.unit === SpendUnit.Usd
          ? (Math.max(0, a.amount - tightest.used) / 1e6).toFixed(6)
          : String(Math.max(0, a.amount - tightest.used)),
    };
    if (a.window.end) {
      headers['anthropic-ratelimit-unified-reset'] = String(Math.floor(a.window.end.getTime() / 1000));
      headers['x-lamplight-spend-limit-reset'] = a.window.end.toISOString();
    }
    return headers;
  }

  private settle(reservation: SpendReservation, actual: SpendActual, attempt = 0): void {
    const entries = reservation.held.map((h) => ({
      key: h.applicable.key,
      periodStart: h.applicable.window.start,
      reserved: h.reserved,
      spent:
        h.applicable.unit === SpendUnit.Tokens
          ? actual.tokens
          : actual.costNanoUsd === null
            ? h.reserved
            : Math.ceil(actual.costNanoUsd / 1000),
    }));
    this.repository
      .settle(reservation.organizationId, entries)
      .then((spentNow) => {
        for (const [i, h] of reservation.held.entries()) {
          const after = spentNow.get(h.applicable.key);
          if (after === undefined || h.applicable.limit === null) continue;
          this.alerts.crossed(
            reservation.organizationId,
            h.applicable.limit,
            h.applicable.window,
            after - entries[i].spent,
            after,
            h.applicable.thresholds,
          );
        }
      })
      .catch((error: unknown) => {
        const delay = SETTLE_RETRY_MS[attempt];
        if (delay === undefined) {
          this.logger.error(
            { organizationId: reservation.organizationId },
            'spend settlement failed for good: reservations stay held until the period ends',
          );
          return;
        }
        this.logger.warn(
          {
            organizationId: reservation.organizationId,
            attempt: attempt + 1,
            cause: (error as { code?: string }).code ?? 'error',
          },
          'spend settlement failed; retrying',
        );
        setTimeout(() => this.settle(reservation, actual, attempt + 1), delay).unref();
      });
  }

  private async organizationState(organizationId: string): Promise<OrganizationState> {
    const cached = this.state.get(organizationId);
    if (cached) return cached;
    const version = this.state.version;
    try {
      const [limits, settings] = await Promise.all([
        this.repository.listLimits(organizationId),
        this.repository.settings(organizationId),
      ]);
      const value = { limits, settings, zone: TimeZone.of(settings.timeZone) ?? TimeZone.UTC };
      this.state.set(organizationId, value, version);
      return value;
    } catch (error) {
      const known = isDatabaseUnavailable(error)
        ? this.state.lastKnown(organizationId, OUTAGE_FALLBACK_MAX_AGE_MS)
        : undefined;
      if (known) return known;
      throw error;
    }
  }
}
