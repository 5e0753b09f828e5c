import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent, request } from 'undici';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { Clock } from '../../common/time/clock.service';
import { type SpendLimitRecord, SpendLimitsRepository, SpendUnit } from './spend-limits.repository';
import type { PeriodWindow } from './spend-periods';
import { toWireSpendLimit } from './spend-limit-wire';
import { WebhookSecretCipher } from './webhook-secret-cipher';
import { isBlockedAddress, signWebhook, webhookUrlProblem } from './webhook-security';

const THRESHOLD_EVENT = 'spend_limit.threshold_reached';
const DELIVERY_TIMEOUT_MS = 10_000;
/** How long a claimed attempt keeps other instances off its delivery: past the attempt's own timeouts. */
const CLAIM_LEASE_MS = 4 * DELIVERY_TIMEOUT_MS;
/** Due deliveries looked at per pass. */
const CLAIM_BATCH = 20;

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Alerts when spend crosses a limit's thresholds: once per threshold and period, whichever
 * instance sees it first (a row in spend_alerts decides), with one log line and a signed webhook
 * to the organization's URL. Deliveries live in spend_webhook_deliveries with the time of their
 * next attempt: the instance that raised the alert tries at once, and every instance claims due
 * ones (FOR UPDATE SKIP LOCKED), retrying with exponential backoff, so a delivery survives a
 * restart and is made by one instance at a time. Every connection re-checks the addresses the
 * host resolves to, so a name that later resolves to a private address (DNS rebinding) is refused
 * too. The signing secret is stored sealed; secrets stored in plain text before are sealed at start.
 */
@Injectable()
export class SpendAlertsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SpendAlerts');
  private readonly agent: Agent;
  private readonly inFlight = new Set<Promise<void>>();
  private poller: NodeJS.Timeout | null = null;
  private polling = false;
  private stopped = false;

  constructor(
    private readonly repository: SpendLimitsRepository,
    private readonly clock: Clock,
    private readonly cipher: WebhookSecretCipher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const allowPrivate = config.spendWebhooks.allowPrivate;
    const guardedLookup = (hostname: string, options: LookupOptions, callback: LookupCallback) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) return callback(error, []);
        if (!allowPrivate && addresses.some((a) => isBlockedAddress(a.address))) {
          return callback(
            Object.assign(new Error('webhook host resolves to a private address'), { code: 'EWEBHOOKBLOCKED' }),
            [],
          );
        }
        if (options.all) return callback(null, addresses);
        return callback(null, addresses[0].address, addresses[0].family);
      });
    };
    this.agent = new Agent({ connect: { lookup: guardedLookup, timeout: DELIVERY_TIMEOUT_MS } });
  }

  /** Spend on a limit went from `before` to `after`: alerts for each threshold crossed (never awaited by a call). */
  crossed(
    organizationId: string,
    limit: SpendLimitRecord,
    window: PeriodWindow,
    before: number,
    after: number,
    thresholds: number[],
  ): void {
    if (limit.amount <= 0) return;
    for (const threshold of thresholds) {
      const mark = (limit.amount * threshold) / 100;
      if (before < mark && after >= mark) this.track(this.raise(organizationId, limit, window, threshold, after));
    }
  }

  /** Waits for alerts being raised and deliveries under way (tests; shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  onApplicationBootstrap(): void {
    this.track(this.sealPlainSecrets());
    // Due deliveries are looked for about as often as the first retry comes, at most once a second.
    const every = Math.max(10, Math.min(1_000, this.config.spendWebhooks.retryBaseMs));
    this.poller = setInterval(() => this.poll(), every);
    this.poller.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    await this.idle();
    await this.agent.close().catch(() => undefined);
  }

  /** A new signing secret for the organization, stored sealed; returned for the caller to show once. */
  async storeSecret(organizationId: string, secret: string): Promise<void> {
    await this.repository.setWebhookSecret(organizationId, this.cipher.seal(organizationId, secret), this.clock.now());
  }

  private async sealPlainSecrets(): Promise<void> {
    const plain = await this.repository.plainWebhookSecrets();
    for (const { organizationId, secret } of plain) {
      await this.repository.sealPlainWebhookSecret(organizationId, secret, this.cipher.seal(organizationId, secret));
    }
    if (plain.length > 0) this.logger.log({ organizations: plain.length }, 'webhook signing secrets sealed at rest');
  }

  /** Claims and attempts the deliveries that are due, whichever instance or organization they came from. */
  private poll(): void {
    if (this.polling || this.stopped) return;
    this.polling = true;
    const pass = (async () => {
      const due = await this.repository.dueDeliveries(this.clock.now(), CLAIM_BATCH);
      for (const { organizationId, id } of due) {
        if (this.stopped) return;
        await this.attempt(organizationId, id);
      }
    })();
    this.track(pass.finally(() => (this.polling = false)));
  }

  private track(work: Promise<void>): void {
    const p = work.catch((error: unknown) =>
      this.logger.warn({ cause: (error as { code?: string }).code ?? 'error' }, 'spend alert could not be raised'),
    );
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async raise(
    organizationId: string,
    limit: SpendLimitRecord,
    window: PeriodWindow,
    threshold: number,
    spent: number,
  ): Promise<void> {
    const now = this.clock.now();
    if (!(await this.repository.recordAlert(organizationId, limit.id, window.start, threshold, now))) return;
    const figures =
      limit.unit === SpendUnit.Usd
        ? { spent_usd: spent / 1e6, amount_usd: limit.amount / 1e6 }
        : { spent_tokens: spent, amount_tokens: limit.amount };
    this.logger.warn(
      {
        event: THRESHOLD_EVENT,
        organizationId,
        spendLimitId: limit.id,
        scope: limit.scopeType,
        period: limit.period,
        threshold,
        ...figures,
      },
      `spend limit reached ${threshold}% of its amount`,
    );
    const target = await this.repository.webhookTarget(organizationId);
    if (!target?.url || !(target.sealed || target.plain)) return;
    const id = randomUUID();
    const payload = {
      id,
      type: THRESHOLD_EVENT,
      created_at: now.toISOString(),
      organization_id: organizationId,
      data: {
        spend_limit: toWireSpendLimit(limit),
        threshold_percent: threshold,
        period_start: window.start.toISOString(),
        period_end: window.end?.toISOString() ?? null,
        ...figures,
      },
    };
    await this.repository.addDelivery(organizationId, { id, event: THRESHOLD_EVENT, url: target.url, payload }, now);
    await this.attempt(organizationId, id);
  }

  /** The organization's signing secret, or null (none, or it cannot be opened). */
  private async secretOf(organizationId: string): Promise<string | null> {
    const target = await this.repository.webhookTarget(organizationId);
    if (target?.sealed) return this.cipher.open(organizationId, target.sealed);
    if (target?.plain) {
      await this.repository.sealPlainWebhookSecret(
        organizationId,
        target.plain,
        this.cipher.seal(organizationId, target.plain),
      );
      return target.plain;
    }
    return null;
  }

  /** One attempt at a delivery, if this instance claims it (it is due and no other has it). */
  private async attempt(organizationId: string, id: string): Promise<void> {
    const { maxAttempts, retryBaseMs, allowPrivate } = this.config.spendWebhooks;
    const claimedAt = this.clock.now();
    const claimed = await this.repository.claimDelivery(
      organizationId,
      id,
      claimedAt,
      new Date(claimedAt.getTime() + CLAIM_LEASE_MS),
    );
    if (!claimed) return;
    const { url, body, attempts } = claimed;
    let statusCode: number | null = null;
    let error: string | null = null;
    let final = false;
    const problem = await webhookUrlProblem(url, { allowPrivate });
    const secret = problem ? null : await this.secretOf(organizationId);
    if (problem) {
      error = `refused: ${problem}`;
      final = true;
    } else if (secret === null) {
      error = 'no signing secret could be read';
      final = true;
    } else {
      try {
        const timestamp = Math.floor(this.clock.now().getTime() / 1000);
        const response = await request(url, {
          method: 'POST',
          dispatcher: this.agent,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Lamplight-Webhooks/1',
            'x-lamplight-event': THRESHOLD_EVENT,
            'x-lamplight-delivery-id': id,
            'x-lamplight-signature': signWebhook(secret, timestamp, body),
          },
          body,
          headersTimeout: DELIVERY_TIMEOUT_MS,
          bodyTimeout: DELIVERY_TIMEOUT_MS,
        });
        statusCode = response.statusCode;
        await response.body.dump();
        if (statusCode < 200 || statusCode >= 300) error = `answered ${statusCode}`;
      } catch (cause) {
        error = (cause as { code?: string }).code ?? 'request failed';
      }
    }
    const done = error === null;
    final ||= done || attempts >= maxAttempts;
    const now = this.clock.now();
    await this.repository.finishAttempt(
      organizationId,
      id,
      {
        status: done ? 'delivered' : final ? 'failed' : 'pending',
        nextAttemptAt: final ? null : new Date(now.getTime() + retryBaseMs * 2 ** (attempts - 1)),
        statusCode,
        error,
      },
      now,
    );
    if (final && !done)
      this.logger.warn({ organizationId, deliveryId: id, attempts, error }, 'spend alert webhook delivery failed');
  }
}
