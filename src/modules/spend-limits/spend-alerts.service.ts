import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent, request } from 'undici';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { Clock } from '../../common/time/clock.service';
import { type SpendLimitRecord, SpendLimitsRepository, SpendUnit } from './spend-limits.repository';
import type { PeriodWindow } from './spend-periods';
import { toWireSpendLimit } from './spend-limit-wire';
import { isBlockedAddress, signWebhook, webhookUrlProblem } from './webhook-security';

const THRESHOLD_EVENT = 'spend_limit.threshold_reached';
const DELIVERY_TIMEOUT_MS = 10_000;

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Alerts when spend crosses a limit's thresholds: once per threshold and period, whichever
 * instance sees it first (a row in spend_alerts decides), with one log line and a signed webhook
 * to the organization's URL, retried with exponential backoff and logged in
 * spend_webhook_deliveries. Every connection re-checks the addresses the host resolves to, so a
 * name that later resolves to a private address (DNS rebinding) is refused too.
 */
@Injectable()
export class SpendAlertsService implements OnApplicationShutdown {
  private readonly logger = new Logger('SpendAlerts');
  private readonly agent: Agent;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly repository: SpendLimitsRepository,
    private readonly clock: Clock,
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

  async onApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.agent.close().catch(() => undefined);
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
    if (!target) return;
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
    await this.deliver(organizationId, id, target, JSON.stringify(payload), 1);
  }

  private async deliver(
    organizationId: string,
    id: string,
    target: { url: string; secret: string },
    body: string,
    attempt: number,
  ): Promise<void> {
    const { maxAttempts, retryBaseMs, allowPrivate } = this.config.spendWebhooks;
    let statusCode: number | null = null;
    let error: string | null = null;
    const problem = await webhookUrlProblem(target.url, { allowPrivate });
    if (problem) {
      error = `refused: ${problem}`;
    } else {
      try {
        const timestamp = Math.floor(this.clock.now().getTime() / 1000);
        const response = await request(target.url, {
          method: 'POST',
          dispatcher: this.agent,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Lamplight-Webhooks/1',
            'x-lamplight-event': THRESHOLD_EVENT,
            'x-lamplight-delivery-id': id,
            'x-lamplight-signature': signWebhook(target.secret, timestamp, body),
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
    const final = done || problem !== null || attempt >= maxAttempts;
    await this.repository.updateDelivery(
      organizationId,
      id,
      { status: done ? 'delivered' : final ? 'failed' : 'pending', attempts: attempt, statusCode, error },
      this.clock.now(),
    );
    if (final) {
      if (!done)
        this.logger.warn(
          { organizationId, deliveryId: id, attempts: attempt, error },
          'spend alert webhook delivery failed',
        );
      return;
    }
    const delay = retryBaseMs * 2 ** (attempt - 1);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.track(this.deliver(organizationId, id, target, body, attempt + 1));
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }
}
