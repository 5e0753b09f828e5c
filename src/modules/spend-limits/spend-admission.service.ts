import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { ExpiringCache } from '../../common/cache/expiring-cache';
import { OUTAGE_FALLBACK_MAX_AGE_MS } from '../../common/cache/expiring-cache';
import { isDatabaseUnavailable } from '../../common/errors/error-response';
import { ShutdownState } from '../../common/lifecycle/shutdown-state.service';
import { CacheInvalidation, SPEND_LIMIT_CACHE_TOPIC } from '../../database/cache-invalidation';
import { Clock } from '../../common/time/clock.service';
import { TimeZone } from '../analytics/time-zone';
import { SpendAlertsService } from './spend-alerts.service';
import { SpendLimitErrors } from './spend-limits.errors';
import { CounterFull, CountersUnreachable, type Lease, type LeaseClaim, SpendLeases } from './spend-leases';
import {
  FailureMode,
  type SpendLimitRecord,
  SpendLimitsRepository,
  SpendScopeType,
  type SpendSettingsRecord,
  SpendUnit,
} from './spend-limits.repository';
import { type PeriodWindow, PeriodWindows, secondsUntil, SpendPeriod } from './spend-periods';
import {
  blockingStanding,
  lamplightHeaders,
  rejectedHeaders,
  resetPhrase,
  type Standing,
  UNREACHABLE_HEADERS,
  usageHeaders,
  utilizationOf,
} from './usage-limit-headers';
import { WorstCaseEstimator } from './worst-case';

const STATE_TTL_MS = 30_000;

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
  lease: Lease<ApplicableLimit>;
}

type Claim = LeaseClaim<ApplicableLimit>;

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

/** When a limit lets calls through again and what the developer can do meanwhile. */
function nextStep(a: ApplicableLimit): string {
  if (a.limit === null) return "It does not reset: raise the session's token budget, or start a new session.";
  if (a.window.end === null)
    return 'It does not reset: start a new session, or ask an owner or admin of your organization to raise it.';
  return `It resets ${resetPhrase(a.window.end)} (${a.window.end.toISOString()}); until then, ask an owner or admin of your organization to raise it.`;
}

function standingOf(a: ApplicableLimit, used: number): Standing {
  return {
    scopeType: a.scopeType,
    period: a.period,
    unit: a.unit,
    cap: a.amount,
    used,
    window: a.window,
    budget: a.limit === null,
  };
}

/**
 * Admission that holds across instances: a call is let through only if, for every limit that
 * applies to it, its worst case fits in this instance's lease on that limit's counter. A lease is
 * headroom reserved on the counter in PostgreSQL on this instance's behalf (every instance sees
 * it in the counter's `reserved`), so what all instances admit never exceeds the limit. Admission
 * and settlement are in memory; a call waits for the database only when a lease must grow, and
 * then shares the statement with every other call waiting (see SpendLeases). Leases are generous
 * far from a cap and exact near it, where admission behaves as if each call reserved its own
 * worst case. Organizations without limits (and sessions without a budget) cost nothing here:
 * their absence is cached per instance and invalidated by NOTIFY.
 *
 * With the database unreachable, a call that fits a lease still valid here is admitted (its
 * headroom is already reserved on the shared counter, so this cannot overshoot); a call that needs
 * a lease to grow gets the organization's choice (fail open up to its allowance, or a 429 saying
 * the counters cannot be checked).
 */
@Injectable()
export class SpendAdmissionService implements OnModuleInit {
  private readonly logger = new Logger('SpendLimits');
  private readonly state: ExpiringCache<OrganizationState>;
  private readonly estimator = new WorstCaseEstimator();
  private readonly windows = new PeriodWindows();
  /** micro-USD let through per organization by this instance while the counters could not be reached. */
  private readonly failedOpen = new Map<string, number>();
  private readonly leases: SpendLeases<ApplicableLimit>;

  constructor(
    private readonly repository: SpendLimitsRepository,
    private readonly alerts: SpendAlertsService,
    private readonly clock: Clock,
    private readonly shutdown: ShutdownState,
    private readonly invalidation: CacheInvalidation,
  ) {
    // A change makes the next call read the limits again, but the copy read last stays the outage
    // fallback until that read succeeds (see organizationState).
    this.state = invalidation.cache<OrganizationState>(SPEND_LIMIT_CACHE_TOPIC, {
      ttlMs: STATE_TTL_MS,
      owner: (_value, key) => key,
      keepLastKnown: true,
    });
    // A limit or setting changed here or on another instance: unused leases go back at once.
    invalidation.subscribe(SPEND_LIMIT_CACHE_TOPIC, (organizationId) => this.leases.returnUnused(organizationId));
    this.leases = new SpendLeases<ApplicableLimit>(repository, (organizationId, lease, before, after) => {
      const a = lease.context;
      if (a.limit !== null) this.alerts.crossed(organizationId, a.limit, a.window, before, after, a.thresholds);
    });
  }

  onModuleInit(): void {
    this.leases.start();
    // After the live calls have ended: flush what they spent and give every lease back.
    this.shutdown.registerDrain('spend-leases', async () => {
      await this.leases.drain();
      await this.repository.close();
    });
  }

  /**
   * After a change made here: what the change's notification will do, at once (the next call reads
   * the organization's limits again, and unused leases go back).
   */
  forget(organizationId: string): void {
    this.invalidation.clearLocal(SPEND_LIMIT_CACHE_TOPIC, organizationId);
  }

  /**
   * Reserves this call's worst case on every limit that applies, or refuses it: 429 over a limit,
   * and 429 too when the counters cannot be reached and the organization fails closed.
   */
  async admit(call: SpendCall): Promise<SpendReservation> {
    const now = this.clock.now();
    const state = await this.organizationState(call.organizationId);
    const applicable = this.applicable(state, call, now);
    if (applicable.length === 0) return new SpendReservation(call.organizationId, [], {}, () => undefined);

    const worst = this.estimator.estimate(call.model, call.body, call.requestBytes);
    const claims: Claim[] = applicable
      .map((a) => ({
        context: a,
        key: a.key,
        periodStart: a.window.start,
        amount: a.unit === SpendUnit.Usd ? worst.microUsd : worst.tokens,
        cap: a.amount,
        seed: a.limit === null ? call.session.tokensUsed : 0,
      }))
      .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));

    let leases = this.leases.tryAdmit(call.organizationId, claims);
    if (!leases) {
      try {
        leases = await this.leases.grow(call.organizationId, claims);
      } catch (error) {
        if (error instanceof CounterFull) throw await this.refusal(call.organizationId, claims, error.key, now);
        if (error instanceof CountersUnreachable) return this.unreachable(call, state, worst.microUsd);
        throw error;
      }
      this.failedOpen.delete(call.organizationId);
    }
    const held = claims.map((c, i) => ({ applicable: c.context, reserved: c.amount, lease: leases[i] }));
    // The figures as this instance knows them: the counter at its last statement, plus what it
    // settled since and holds for calls in flight (this one included).
    const rows = leases.map((l) => ({
      counterKey: l.key,
      spent: l.spent + l.pending + l.sending,
      reserved: l.othersReserved + l.inFlight,
    }));
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
        window: this.windows.window(limit.period, now, state.zone),
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
        window: this.windows.window(SpendPeriod.Session, now, state.zone),
        thresholds: [],
      });
    }
    return out;
  }

  private async refusal(organizationId: string, claims: Claim[], fullKey: string, now: Date) {
    let counters = new Map<string, { spent: number; reserved: number }>();
    try {
      counters = await this.repository.counters(
        organizationId,
        claims.map((c) => c.key),
        claims.map((c) => c.periodStart),
      );
    } catch {
      // The figures are for the message and headers only: the one the statement named is full.
    }
    const full = claims.flatMap((claim) => {
      const found = counters.get(`${claim.key}@${claim.periodStart.getTime()}`) ?? { spent: 0, reserved: 0 };
      // A counter the refused statement would have created holds nothing yet: its first value is the seed.
      const counter = { ...found, spent: Math.max(found.spent, claim.seed) };
      const noRoom =
        counter.spent + counter.reserved + claim.amount > claim.cap ||
        claim.key === fullKey ||
        !claims.some((c) => c.key === fullKey);
      return noRoom ? [{ claim, counter, ...standingOf(claim.context, counter.spent + counter.reserved) }] : [];
    });
    const blocking = blockingStanding(full);
    const { claim, counter } = blocking;
    const a = claim.context;
    const retryAfter = secondsUntil(a.window, now);
    const detail =
      `Spend limit reached: ${describeScope(a)} of ${figure(a.unit, a.amount)} has ${figure(a.unit, counter.spent)} spent ` +
      `and ${figure(a.unit, counter.reserved)} held by calls in flight, no room for this call (up to ${figure(a.unit, claim.amount)}). ` +
      `${nextStep(a)} Nothing was sent to Anthropic.`;
    return SpendLimitErrors.exceeded(detail, retryAfter, {
      ...rejectedHeaders(blocking),
      ...lamplightHeaders(blocking, 1),
    });
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
    throw SpendLimitErrors.unavailable(UNREACHABLE_HEADERS);
  }

  /**
   * Claude Code's usage-limit headers (the fullest cap that resets; from 75 % the threshold that
   * makes it show "You've used NN% of your usage credits · resets …") and Lamplight's own figures
   * for the tightest limit of all, the session's token budget included.
   */
  private headersFor(
    claims: Claim[],
    rows: { counterKey: string; spent: number; reserved: number }[],
  ): Record<string, string> {
    const standings: Standing[] = [];
    for (const claim of claims) {
      const row = rows.find((r) => r.counterKey === claim.key);
      if (row) standings.push(standingOf(claim.context, row.spent + row.reserved - claim.amount));
    }
    if (standings.length === 0) return {};
    const tightest = standings.reduce((a, b) => (utilizationOf(b) > utilizationOf(a) ? b : a));
    return { ...usageHeaders(standings), ...lamplightHeaders(tightest) };
  }

  /** Local: the reservation goes back into the leases and the true cost is flushed with the next batch. */
  private settle(reservation: SpendReservation, actual: SpendActual): void {
    const spent = reservation.held.map((h) =>
      h.applicable.unit === SpendUnit.Tokens
        ? actual.tokens
        : actual.costNanoUsd === null
          ? h.reserved
          : Math.ceil(actual.costNanoUsd / 1000),
    );
    this.leases.settle(
      reservation.organizationId,
      reservation.held.map((h) => h.lease),
      reservation.held.map((h) => h.reserved),
      spent,
    );
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
      // The database is away: the copy read last serves, within OUTAGE_FALLBACK_MAX_AGE_MS of that
      // read, even if a change was announced since (an announcement only makes the next read
      // necessary). So a change made just before an outage (a limit added or removed, the
      // organization made to fail closed) may not apply until the database is back: the staleness
      // any copy used in an outage has. Without the copy every call would get a 503, whatever
      // the organization chose.
      const known = isDatabaseUnavailable(error)
        ? this.state.lastKnown(organizationId, OUTAGE_FALLBACK_MAX_AGE_MS)
        : undefined;
      if (known) return known;
      throw error;
    }
  }
}
