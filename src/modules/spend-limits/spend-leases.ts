import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import { isDatabaseUnavailable } from '../../common/errors/error-response';
import type { LeaseEntry, LeaseRow, SpendLimitsRepository } from './spend-limits.repository';

/**
 * Timing of leases (docs/spend-limits.md, "Leases"). The database expires a lease `ttlMs` after
 * its last renewal; this instance stops admitting from it `safetyMs` earlier (measured from when
 * the renewing statement was sent, so before the database's own clock started), renews it every
 * `renewAfterMs`, flushes settled spend every `flushIntervalMs`, and gives a lease back once no
 * call has used it for `idleReturnMs`.
 */
const LEASE_TIMING = {
  ttlMs: 15_000,
  safetyMs: 5_000,
  renewAfterMs: 5_000,
  flushIntervalMs: 50,
  idleReturnMs: 1_000,
};

/**
 * Sizing of grants, in worst cases of the call that asks: far from the cap a grant is an eighth
 * of the room, at most 64 worst cases more than the waiting calls need; with less room than 8
 * worst cases it is exactly what the waiting calls need, as if each call reserved for itself.
 */
const EXTRA_WORST_CASES = 64;
const EXACT_BELOW_WORST_CASES = 8;
/** Statements a waiting call takes part in before it is refused (only when several counters compete). */
const MAX_GROW_ATTEMPTS = 4;
/** Waits between failed background statements (flush, renewal, return). */
const RETRY_MS = [200, 1_000, 5_000, 15_000];
/** A flush goes out before the next tick once settled spend reaches this share of the lease. */
const EAGER_FLUSH_SHARE = 0.5;
/** How long shutdown keeps trying to flush and give leases back. */
const DRAIN_MS = 5_000;

/** One counter a call needs room on, with what the caller wants back after each flush of it. */
export interface LeaseClaim<C> {
  key: string;
  periodStart: Date;
  /** The call's worst case on this counter. */
  amount: number;
  cap: number;
  seed: number;
  context: C;
}

/** A counter had less room than the least waiting call needed: nothing was granted. */
export class CounterFull extends Error {
  constructor(readonly key: string) {
    super(key);
  }
}

/** The statement could not reach the database. */
export class CountersUnreachable extends Error {
  constructor(override readonly cause: unknown) {
    super('spend counters unreachable');
  }
}

const idOf = (key: string, periodStart: Date) => `${key}@${periodStart.getTime()}`;

/**
 * This instance's lease on one counter. Headroom is what the lease holds minus the worst cases of
 * calls in flight, the settled spend not yet flushed, and what a statement in flight is flushing
 * or giving back.
 */
export class Lease<C> {
  /** The lease in the database as of the last statement. */
  granted = 0;
  inFlight = 0;
  pending = 0;
  sending = 0;
  returning = 0;
  /** The room on the counter was under the exact threshold at the last statement. */
  exact = true;
  /** performance.now() until which calls may be admitted from the lease. */
  validUntil = 0;
  renewedAt = 0;
  lastUsed = 0;
  lastWorst = 0;
  lastGrant = 0;
  /** The counter as the last statement left it (spent, and what other instances reserve). */
  spent = 0;
  othersReserved = 0;

  constructor(
    readonly key: string,
    readonly periodStart: Date,
    public context: C,
    public cap: number,
    public seed: number,
  ) {}

  get id(): string {
    return idOf(this.key, this.periodStart);
  }

  get unused(): number {
    return Math.max(0, this.granted - this.inFlight - this.pending - this.sending - this.returning);
  }

  /** Headroom a call may take now: none once the lease is past its local validity or the cap changed. */
  usable(now: number, cap: number): number {
    return now < this.validUntil && cap === this.cap ? this.unused : 0;
  }

  get idle(): boolean {
    return this.granted === 0 && this.inFlight === 0 && this.pending === 0 && this.sending === 0;
  }
}

interface Waiter<C> {
  claims: LeaseClaim<C>[];
  attempts: number;
  resolve: (leases: Lease<C>[]) => void;
  reject: (error: unknown) => void;
}

interface Ledger<C> {
  organizationId: string;
  leases: Map<string, Lease<C>>;
  waiting: Waiter<C>[];
  /** The statement in flight (one per organization at a time), if any. */
  busy: Promise<void> | null;
  /** The organization's limits changed: give every unused lease back at the next statement. */
  returnAll: boolean;
  failures: number;
  retryAt: number;
}

interface Planned<C> {
  lease: Lease<C>;
  entry: LeaseEntry;
}

/**
 * Leases on the shared spend counters, per organization: calls are admitted from them and settled
 * into them in memory; one statement at a time per organization flushes settled spend, renews,
 * gives back unused headroom and grows leases for every call waiting (calls that arrive while a
 * statement is out wait for the next one, together: no call makes a round trip of its own).
 *
 * What a SIGKILL of this instance loses, per counter: the spend settled since the last flush (at
 * most `flushIntervalMs` of it while the database is reachable) and the true cost of the calls in
 * flight never reach `spent`; the lease that held them is released by whichever instance next
 * grows a lease on the counter, once `ttlMs` has passed since the last renewal. So spend is
 * under-counted by at most this instance's lease on the counter (by construction never more than
 * the room it was granted), and nothing stays reserved for longer than `ttlMs`.
 *
 * The one way past a cap (besides server-tool fees, which no worst case bounds): an instance cut
 * off from the database for longer than `ttlMs` whose calls admitted before its lease lapsed here
 * (`ttlMs − safetyMs` after the last renewal) are still running, or whose settled spend is still
 * unflushed, when another instance's statement releases the expired lease and takes its room.
 * Spend then passes the cap by at most what that lease held.
 */
export class SpendLeases<C> {
  readonly instanceId = randomUUID();
  private readonly logger = new Logger('SpendLimits');
  private readonly ledgers = new Map<string, Ledger<C>>();
  private timer: NodeJS.Timeout | undefined;
  private draining = false;

  constructor(
    private readonly repository: SpendLimitsRepository,
    /** Spend flushed on a counter went from `before` to `after` (for alerts). */
    private readonly onFlushed: (organizationId: string, lease: Lease<C>, before: number, after: number) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), LEASE_TIMING.flushIntervalMs);
    this.timer.unref();
  }

  /** Admits a call from this instance's leases, in memory, or returns null when a statement is needed. */
  tryAdmit(organizationId: string, claims: LeaseClaim<C>[]): Lease<C>[] | null {
    const ledger = this.ledgers.get(organizationId);
    return ledger ? this.take(ledger, claims, performance.now()) : null;
  }

  /** Waits for the next statement of the organization to grow its leases, then admits the call. */
  grow(organizationId: string, claims: LeaseClaim<C>[]): Promise<Lease<C>[]> {
    let ledger = this.ledgers.get(organizationId);
    if (!ledger) {
      ledger = {
        organizationId,
        leases: new Map(),
        waiting: [],
        busy: null,
        returnAll: false,
        failures: 0,
        retryAt: 0,
      };
      this.ledgers.set(organizationId, ledger);
    }
    const target = ledger;
    return new Promise<Lease<C>[]>((resolve, reject) => {
      target.waiting.push({ claims, attempts: 0, resolve, reject });
      this.pump(target);
    });
  }

  /** A call ended: its reservation goes back into the leases, its true cost into the unflushed tally. */
  settle(organizationId: string, leases: Lease<C>[], reserved: number[], spent: number[]): void {
    let eager = false;
    for (const [i, lease] of leases.entries()) {
      lease.inFlight = Math.max(0, lease.inFlight - reserved[i]);
      lease.pending += spent[i];
      if (lease.pending >= lease.granted * EAGER_FLUSH_SHARE) eager = true;
    }
    const ledger = this.ledgers.get(organizationId);
    if (eager && ledger && !ledger.busy && performance.now() >= ledger.retryAt) this.pump(ledger);
  }

  /** The organization's limits or settings changed (`*`: any organization's): unused leases go back. */
  returnUnused(organizationId: string): void {
    for (const ledger of this.ledgers.values()) {
      if (organizationId === '*' || ledger.organizationId === organizationId) ledger.returnAll = true;
    }
  }

  /**
   * Shutdown, after the live calls have ended: flushes every settled call and gives every unused
   * lease back, retrying for a few seconds if the database does not answer.
   */
  async drain(): Promise<void> {
    this.draining = true;
    clearInterval(this.timer);
    const deadline = performance.now() + DRAIN_MS;
    for (;;) {
      const open = [...this.ledgers.values()].filter((l) => [...l.leases.values()].some((x) => !x.idle));
      if (open.length === 0 || performance.now() >= deadline) break;
      let sent = false;
      await Promise.all(
        open.map(async (ledger) => {
          await ledger.busy;
          this.pump(ledger);
          if (ledger.busy) sent = true;
          await ledger.busy;
        }),
      );
      // Nothing to send (calls still settling) or the database did not answer: wait a little.
      if (!sent || open.some((l) => l.failures > 0)) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const left = [...this.ledgers.values()].flatMap((l) => [...l.leases.values()]).filter((x) => !x.idle);
    if (left.length > 0) {
      this.logger.warn(
        { counters: left.length, unflushed: left.reduce((sum, x) => sum + x.pending, 0) },
        'spend leases not given back on shutdown: they expire on their own',
      );
    }
  }

  private tick(): void {
    const now = performance.now();
    for (const ledger of this.ledgers.values()) {
      if (!ledger.busy && now >= ledger.retryAt) this.pump(ledger);
    }
  }

  private take(ledger: Ledger<C>, claims: LeaseClaim<C>[], now: number): Lease<C>[] | null {
    const leases: Lease<C>[] = [];
    for (const claim of claims) {
      const lease = ledger.leases.get(idOf(claim.key, claim.periodStart));
      if (!lease || (claim.amount > 0 && lease.usable(now, claim.cap) < claim.amount)) return null;
      leases.push(lease);
    }
    for (const [i, lease] of leases.entries()) {
      lease.inFlight += claims[i].amount;
      lease.lastUsed = now;
      lease.lastWorst = claims[i].amount;
      lease.context = claims[i].context;
    }
    return leases;
  }

  /** Sends the organization's next statement if there is work and none is out. */
  private pump(ledger: Ledger<C>): void {
    if (ledger.busy) return;
    const now = performance.now();
    // Calls that fit now (the statement that just ended may have made room) need no other.
    ledger.waiting = ledger.waiting.filter((w) => {
      const held = this.take(ledger, w.claims, now);
      if (held) w.resolve(held);
      return !held;
    });
    const waiters = ledger.waiting.splice(0);
    const planned = this.plan(ledger, waiters, now);
    if (planned.length === 0) {
      for (const [id, lease] of ledger.leases) if (lease.idle) ledger.leases.delete(id);
      if (ledger.leases.size === 0 && ledger.waiting.length === 0) this.ledgers.delete(ledger.organizationId);
      return;
    }
    const returnAll = ledger.returnAll;
    ledger.returnAll = false;
    ledger.busy = this.repository
      .lease(
        ledger.organizationId,
        this.instanceId,
        LEASE_TIMING.ttlMs,
        planned.map((p) => p.entry),
      )
      .then(
        (rows) => this.applied(ledger, planned, waiters, rows, now),
        (error: unknown) => this.failed(ledger, planned, waiters, returnAll, error),
      )
      .finally(() => {
        ledger.busy = null;
        if (ledger.waiting.length > 0) this.pump(ledger);
      });
  }

  /** The entries of the next statement: every counter with spend to flush, headroom to give back, a renewal due or calls waiting. */
  private plan(ledger: Ledger<C>, waiters: Waiter<C>[], now: number): Planned<C>[] {
    const demand = new Map<string, { least: number; total: number; largest: number; claim: LeaseClaim<C> }>();
    for (const waiter of waiters) {
      for (const claim of waiter.claims) {
        const id = idOf(claim.key, claim.periodStart);
        const d = demand.get(id) ?? { least: Infinity, total: 0, largest: 0, claim };
        d.least = Math.min(d.least, claim.amount);
        d.total += claim.amount;
        d.largest = Math.max(d.largest, claim.amount);
        d.claim = claim;
        demand.set(id, d);
        if (!ledger.leases.has(id)) {
          ledger.leases.set(id, new Lease(claim.key, claim.periodStart, claim.context, claim.cap, claim.seed));
        }
      }
    }
    const planned: Planned<C>[] = [];
    for (const [id, lease] of ledger.leases) {
      const d = demand.get(id);
      const cap = d?.claim.cap ?? lease.cap;
      const valid = now < lease.validUntil && cap === lease.cap;
      const idle = lease.inFlight === 0 && now - lease.lastUsed >= LEASE_TIMING.idleReturnMs;
      // Near the cap (exact), headroom left by settled calls goes straight back, as it did when
      // each call reserved for itself; far from it, the lease is kept until idle.
      const giveBack = this.draining || ledger.returnAll || !valid || lease.exact || idle;
      const returning = giveBack ? lease.unused : 0;
      const usable = giveBack ? 0 : lease.unused;
      let need = 0;
      let want = 0;
      let unit = lease.lastWorst;
      if (d) {
        need = Math.max(0, d.least - usable);
        want = Math.max(0, d.total - usable);
        unit = d.largest;
      } else if (
        !giveBack &&
        lease.lastWorst > 0 &&
        lease.unused < Math.max(lease.lastGrant / 4, 2 * lease.lastWorst)
      ) {
        // Busy and running short: top up in the background before a call has to wait.
        want = lease.lastWorst;
      }
      const renew = lease.granted > 0 && now - lease.renewedAt >= LEASE_TIMING.renewAfterMs;
      if (!d && lease.pending === 0 && returning === 0 && want === 0 && !renew) continue;
      lease.sending = lease.pending;
      lease.pending = 0;
      lease.returning = returning;
      planned.push({
        lease,
        entry: {
          key: lease.key,
          periodStart: lease.periodStart,
          spent: lease.sending,
          release: lease.sending + returning,
          need,
          demand: want,
          extra: EXTRA_WORST_CASES * unit,
          exactBelow: EXACT_BELOW_WORST_CASES * unit,
          cap,
          seed: d?.claim.seed ?? lease.seed,
        },
      });
    }
    return planned.sort((a, b) =>
      a.entry.key < b.entry.key
        ? -1
        : a.entry.key > b.entry.key
          ? 1
          : a.entry.periodStart.getTime() - b.entry.periodStart.getTime(),
    );
  }

  private applied(ledger: Ledger<C>, planned: Planned<C>[], waiters: Waiter<C>[], rows: LeaseRow[], sentAt: number) {
    const byId = new Map(rows.map((r) => [idOf(r.counterKey, r.periodStart), r]));
    const full = new Set<string>();
    for (const { lease, entry } of planned) {
      const row = byId.get(lease.id);
      const flushed = lease.sending;
      lease.sending = 0;
      lease.returning = 0;
      if (!row) {
        // The counter is gone (its limit was deleted): nothing is held on it any more.
        lease.granted = 0;
        lease.validUntil = 0;
        continue;
      }
      lease.granted = row.lease;
      lease.spent = row.spent;
      lease.othersReserved = row.reserved - row.lease;
      lease.exact = row.exact;
      lease.cap = entry.cap;
      lease.seed = entry.seed;
      lease.renewedAt = sentAt;
      lease.validUntil = row.lease > 0 ? sentAt + LEASE_TIMING.ttlMs - LEASE_TIMING.safetyMs : 0;
      if (row.granted > 0) lease.lastGrant = row.granted;
      if (row.full) full.add(lease.id);
      if (flushed > 0) this.onFlushed(ledger.organizationId, lease, row.spent - flushed, row.spent);
    }
    ledger.failures = 0;
    ledger.retryAt = 0;
    const now = performance.now();
    const retry: Waiter<C>[] = [];
    for (const waiter of waiters) {
      const held = this.take(ledger, waiter.claims, now);
      if (held) {
        waiter.resolve(held);
        continue;
      }
      waiter.attempts++;
      const short = waiter.claims.find((c) => full.has(idOf(c.key, c.periodStart)) && c.amount > 0);
      if (short) {
        waiter.reject(new CounterFull(short.key));
      } else if (waiter.attempts >= MAX_GROW_ATTEMPTS) {
        const first = waiter.claims.find(
          (c) => (ledger.leases.get(idOf(c.key, c.periodStart))?.usable(now, c.cap) ?? 0) < c.amount,
        );
        waiter.reject(new CounterFull((first ?? waiter.claims[0]).key));
      } else {
        retry.push(waiter);
      }
    }
    ledger.waiting.unshift(...retry);
  }

  private failed(
    ledger: Ledger<C>,
    planned: Planned<C>[],
    waiters: Waiter<C>[],
    returnAll: boolean,
    error: unknown,
  ): void {
    for (const { lease } of planned) {
      lease.pending += lease.sending;
      lease.sending = 0;
      lease.returning = 0;
    }
    ledger.returnAll ||= returnAll;
    ledger.failures++;
    ledger.retryAt = performance.now() + RETRY_MS[Math.min(ledger.failures, RETRY_MS.length) - 1];
    const unreachable = isDatabaseUnavailable(error);
    if (ledger.failures === 1 || ledger.failures % 10 === 0) {
      this.logger.warn(
        {
          organizationId: ledger.organizationId,
          failures: ledger.failures,
          cause: (error as { code?: string }).code ?? 'error',
        },
        'spend lease statement failed; flush retried, leases used until they expire',
      );
    }
    for (const waiter of waiters) waiter.reject(unreachable ? new CountersUnreachable(error) : error);
  }
}
