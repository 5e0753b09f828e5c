import { SpendScopeType, SpendUnit } from './spend-limits.repository';
import { type PeriodWindow, SpendPeriod } from './spend-periods';

/**
 * Where a caller stands against one limit that applies to a call: its cap, what it holds
 * (spent + reserved by other calls in flight), and its window.
 */
export interface Standing {
  scopeType: SpendScopeType;
  period: SpendPeriod;
  unit: SpendUnit;
  /** micro-USD, or tokens. */
  cap: number;
  /** micro-USD, or tokens, spent and reserved by calls in flight (this call's reservation not included). */
  used: number;
  window: PeriodWindow;
  /** The session's token budget (a setting of the session, not a limit row). */
  budget: boolean;
}

/**
 * Utilization at which Claude Code shows its "You've used NN% of your usage credits" notice, highest
 * first: the notice appears past 75 % and again past 95 %.
 */
const SURPASSED_THRESHOLDS = [0.95, 0.75];

/** The fraction of the cap used (a zero cap is full). */
export function utilizationOf(s: Pick<Standing, 'used' | 'cap'>): number {
  return s.cap <= 0 ? 1 : Math.max(0, s.used / s.cap);
}

/**
 * A cap Claude Code can describe: one that resets (daily, weekly, monthly). A session's lifetime
 * limit and its token budget never reset, so they have no reset time, no `overage-period`, and
 * would read as "usage credits" of the developer's that a new session does not share; they are
 * reported in Lamplight's own headers only.
 */
function periodic(s: Standing): s is Standing & { window: { start: Date; end: Date } } {
  return s.window.end !== null && s.period !== SpendPeriod.Session && !s.budget;
}

/** Utilization as the headers carry it: two decimals, kept below 1 while calls are let through. */
function reported(utilization: number): string {
  return String(Math.min(Math.round(utilization * 100) / 100, 0.99));
}

const unixSeconds = (at: Date) => String(Math.floor(at.getTime() / 1000));

/**
 * Anthropic's unified usage headers for a call let through, as Claude Code reads them from a
 * gateway: the fullest cap that resets, its utilization and reset time, and from 75 % the
 * threshold passed (what makes Claude Code show its notice). None when no such cap applies.
 */
export function usageHeaders(standings: Standing[]): Record<string, string> {
  let fullest: (Standing & { window: { start: Date; end: Date } }) | null = null;
  for (const s of standings) {
    if (periodic(s) && (fullest === null || utilizationOf(s) > utilizationOf(fullest))) fullest = s;
  }
  if (fullest === null) return {};
  const utilization = utilizationOf(fullest);
  const surpassed = SURPASSED_THRESHOLDS.find((t) => utilization > t);
  const status = surpassed === undefined ? 'allowed' : 'allowed_warning';
  const reset = unixSeconds(fullest.window.end);
  return {
    'anthropic-ratelimit-unified-status': status,
    'anthropic-ratelimit-unified-representative-claim': 'overage',
    'anthropic-ratelimit-unified-overage-status': status,
    'anthropic-ratelimit-unified-overage-utilization': reported(utilization),
    ...(surpassed === undefined
      ? {}
      : { 'anthropic-ratelimit-unified-overage-surpassed-threshold': String(surpassed) }),
    'anthropic-ratelimit-unified-reset': reset,
    'anthropic-ratelimit-unified-overage-reset': reset,
  };
}

/**
 * The unified headers of a refusal over a cap that resets: rejected, full, until its reset. Without
 * `representative-claim` and `overage-status`, so Claude Code prints Lamplight's message as it is
 * rather than a line of its own. None for a lifetime limit or a session's token budget (the
 * message and `x-should-retry: false` alone).
 */
export function rejectedHeaders(blocking: Standing): Record<string, string> {
  if (!periodic(blocking)) return {};
  const reset = unixSeconds(blocking.window.end);
  return {
    'anthropic-ratelimit-unified-status': 'rejected',
    'anthropic-ratelimit-unified-reset': reset,
    'anthropic-ratelimit-unified-overage-reset': reset,
    'anthropic-ratelimit-unified-overage-utilization': '1',
    'anthropic-ratelimit-unified-overage-surpassed-threshold': '1',
    'anthropic-ratelimit-unified-overage-period': blocking.period,
    'anthropic-ratelimit-unified-overage-disabled-reason': 'org_spend_cap_reached',
  };
}

/** The refusal when the counters cannot be read and the organization fails closed. */
export const UNREACHABLE_HEADERS: Readonly<Record<string, string>> = {
  'anthropic-ratelimit-unified-overage-disabled-reason': 'fetch_error',
};

/** Lamplight's own figures for one limit (the tightest, on a call let through; the blocking one on a refusal). */
export function lamplightHeaders(s: Standing, utilization = utilizationOf(s)): Record<string, string> {
  const remaining = Math.max(0, s.cap - s.used);
  return {
    'x-lamplight-spend-limit-scope': s.scopeType,
    'x-lamplight-spend-limit-period': s.period,
    'x-lamplight-spend-limit-utilization': Math.min(1, utilization).toFixed(4),
    [`x-lamplight-spend-limit-remaining-${s.unit}`]:
      s.unit === SpendUnit.Usd ? (remaining / 1e6).toFixed(6) : String(remaining),
    ...(s.window.end ? { 'x-lamplight-spend-limit-reset': s.window.end.toISOString() } : {}),
  };
}

/**
 * The limit a refusal describes when several have no room: the one that resets last (a limit that
 * never resets before any other), as waiting for an earlier reset would not let the call through.
 */
export function blockingStanding<T extends Standing>(full: T[]): T {
  return full.reduce((last, s) => {
    if (last.window.end === null) return last;
    if (s.window.end === null) return s;
    return s.window.end.getTime() > last.window.end.getTime() ? s : last;
  });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Dec 1, 00:00 UTC": when a limit resets, as a developer reads it in a terminal. */
export function resetPhrase(at: Date): string {
  const hh = String(at.getUTCHours()).padStart(2, '0');
  const mm = String(at.getUTCMinutes()).padStart(2, '0');
  return `${MONTHS[at.getUTCMonth()]} ${at.getUTCDate()}, ${hh}:${mm} UTC`;
}
