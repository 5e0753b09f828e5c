import type { Logger } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { randomUUIDv7 } from 'node:crypto';
import type { OrganizationContext, PresentedCredentials, Principal } from '../../../common/auth/principal';
import type { Clock } from '../../../common/time/clock.service';
import type { MetricsService } from '../../metrics/metrics.service';
import { ContentStatus, InteractionOutcome } from '../../recording/interaction.entity';
import type { InteractionRecord } from '../../recording/interaction-record';
import type { RecorderService } from '../../recording/recorder.service';
import type { LiveSession } from '../../sessions/sessions.service';
import type { SpendAdmissionService, SpendReservation } from '../../spend-limits/spend-admission.service';
import { callUsageOf } from '../anthropic-usage';
import { type CapturedContent, captureContent, noContent } from '../content-capture';
import type { PricingTable } from '../pricing/pricing';
import type { ResponseTracker } from '../response-tracker';
import type { SessionIdentity } from '../session-identity';
import type { UpstreamTarget } from './call-context';
import type { CallEnding, CallOutput } from './call-output';
import type { UpstreamExchange } from './upstream-exchange.service';

/** A Messages call as it comes in, on the proxy route or from inside Lamplight (tasks). */
export interface MessagesRequest {
  principal: Principal;
  organization: OrganizationContext;
  /** What the access guard read from the request's credential headers (nothing, for tasks). */
  credentials: PresentedCredentials;
  /** As a client sends them: anthropic-version, the session headers, user-agent. */
  headers: IncomingHttpHeaders;
  /** The Messages request, parsed. */
  body: Record<string, unknown>;
  /** The bytes that go upstream and the path (with the client's query string) they go to. */
  target: Omit<UpstreamTarget, 'route' | 'method'>;
}

/** What a Messages call needs from the application, handed over by MessagesCalls. */
export interface MessagesCallServices {
  exchange: UpstreamExchange;
  recorder: RecorderService;
  metrics: MetricsService;
  clock: Clock;
  spendLimits: SpendAdmissionService;
  pricing: PricingTable;
  contentMaxBytes: number;
  logger: Logger;
}

/** What was settled before the call: the Anthropic key, the session and who the caller says it is. */
export interface MessagesCallPlan {
  providerKey: string;
  session: LiveSession;
  identity: SessionIdentity;
  model: string;
  tracker: ResponseTracker;
  startedAt: Date;
  /** performance.now() when the call began, for its latency. */
  started: number;
}

/**
 * One Messages call from its checks to its record: made by `MessagesCalls.prepare` (credential,
 * session), then `run` with an output plugged in — the client's reply, or a buffer for tasks:
 * admission, the exchange with Anthropic, and the record of how it ended.
 */
export class MessagesCall {
  /** The interaction as recorded, once the call is over (queued: `RecorderService.flush()` makes it readable). */
  interaction: InteractionRecord | null = null;

  constructor(
    private readonly services: MessagesCallServices,
    private readonly request: MessagesRequest,
    private readonly plan: MessagesCallPlan,
  ) {}

  get session(): LiveSession {
    return this.plan.session;
  }

  async run<R>(output: CallOutput<R>): Promise<R> {
    const reservation = await this.beforeSend();
    // Where the caller stands against their spend limits, on the answer (Claude Code warns from these).
    output.annotate(reservation.headers);
    return this.services.exchange.run({
      target: { route: 'messages', method: 'POST', ...this.request.target },
      headers: this.request.headers,
      providerKey: this.plan.providerKey,
      output,
      tracker: this.plan.tracker,
      ended: (ending) => this.afterEnd(ending, reservation),
    });
  }

  /**
   * Admission, before anything is sent: the call's worst case is reserved on every spend limit
   * that applies (the session's token budget among them), or it is refused (429, 403).
   */
  private beforeSend(): Promise<SpendReservation> {
    const { principal, organization, body, target } = this.request;
    const { session, model } = this.plan;
    return this.services.spendLimits.admit({
      organizationId: organization.organizationId,
      userId: principal.userId,
      apiKeyId: principal.kind === 'apiKey' ? principal.apiKeyId : null,
      session: { id: session.id, tokensUsed: session.tokensUsed, tokenBudget: session.tokenBudget },
      model,
      body,
      requestBytes: Buffer.isBuffer(target.body) ? target.body.length : 0,
    });
  }

  /**
   * The call is over (answered, refused, cancelled, failed or interrupted): its reservation becomes
   * what it really cost, and it is recorded; the promise is the record's journal write.
   */
  private afterEnd(ending: CallEnding, reservation: SpendReservation): Promise<void> {
    const { outcome, httpStatus } = outcomeOfEnding(ending, this.plan.tracker);
    const interaction = this.interactionOf(outcome, httpStatus, ending);
    this.interaction = interaction;
    const { inputTokens, outputTokens, cacheReadTokens, cacheWrite5mTokens, cacheWrite1hTokens } =
      this.plan.tracker.usage;
    reservation.settle({
      costNanoUsd: interaction.cost?.totalNanoUsd ?? null,
      tokens: inputTokens + outputTokens + cacheReadTokens + cacheWrite5mTokens + cacheWrite1hTokens,
    });
    return this.services.recorder.record(interaction);
  }

  private interactionOf(outcome: InteractionOutcome, httpStatus: number, ending: CallEnding): InteractionRecord {
    const { services, request, plan } = this;
    const { tracker, session, identity, model } = plan;
    const streaming = request.body.stream === true;
    const usage = tracker.usage;
    const captured = this.capture(session.storeContent);
    const latencyMs = Math.round(performance.now() - plan.started);
    services.metrics.proxyRequests.inc({ route: 'messages', outcome });
    services.metrics.proxyDuration.observe({ route: 'messages', stream: String(streaming) }, latencyMs / 1000);
    const { principal, organization } = request;
    return {
      // Time-ordered (RFC 9562 version 7): the primary key (organization_id, id, started_at) grows at
      // its right edge within each organization, so writing calls touches a few hot index pages, not
      // a random page of an index far larger than memory (docs/scale-out.md).
      id: randomUUIDv7(),
      organizationId: organization.organizationId,
      sessionId: session.id,
      apiKeyId: principal.kind === 'apiKey' ? principal.apiKeyId : null,
      userId: principal.userId,
      model,
      stream: streaming,
      httpStatus,
      outcome,
      stopReason: tracker.stopReason,
      errorType: tracker.errorType,
      ...usage,
      cost: services.pricing.priceCall(model, callUsageOf(tracker.rawUsage, usage)),
      rawUsage: tracker.rawUsage,
      pricingVersion: services.pricing.version,
      latencyMs,
      timeToFirstTokenMs: ending.ttftMs,
      upstreamRequestId: ending.upstreamRequestId,
      agentId: identity.agentId,
      parentAgentId: identity.parentAgentId,
      userQuery: captured.userQuery,
      finalOutput: captured.finalOutput,
      content: captured.content,
      contentTruncated: captured.truncated,
      contentStatus: captured.status,
      startedAt: plan.startedAt.toISOString(),
      endedAt: services.clock.now().toISOString(),
    };
  }

  /** The call's content, as the organization's setting allows; if capturing it fails for any reason, none (the call is still recorded). */
  private capture(store: boolean): CapturedContent {
    const { tracker } = this.plan;
    try {
      return captureContent(this.request.body, tracker.blocks, tracker.finalText(), {
        store,
        maxBytes: this.services.contentMaxBytes,
        textTruncated: tracker.textTruncated,
      });
    } catch (error) {
      this.services.metrics.recorderCaptureFailures.inc();
      this.services.logger.warn(
        `Content capture failed (${error instanceof Error ? error.name : 'error'}); the call is recorded without content`,
      );
      return noContent(ContentStatus.CaptureFailed);
    }
  }
}

/** The outcome and HTTP status an ended call is recorded with. */
function outcomeOfEnding(
  ending: CallEnding,
  tracker: ResponseTracker,
): { outcome: InteractionOutcome; httpStatus: number } {
  // Cut short by shutdown after the grace period: Lamplight's doing, recorded as an error (503).
  if (ending.interrupted) return { outcome: InteractionOutcome.Error, httpStatus: 503 };
  if (ending.unreachable) return { outcome: InteractionOutcome.UpstreamError, httpStatus: ending.unreachable.status };
  return {
    outcome: outcomeOf(ending.status, ending.cancelled, ending.upstreamFailed, tracker),
    httpStatus: ending.cancelled ? 499 : ending.status,
  };
}

/**
 * cancelled: the client went away. upstream_error: Anthropic failed (5xx, 529, a stream that
 * broke, stalled, carried an error event or never reached message_stop). error: the request was
 * refused (4xx). ok: everything else.
 */
function outcomeOf(
  status: number,
  cancelled: boolean,
  upstreamFailed: boolean,
  tracker: ResponseTracker,
): InteractionOutcome {
  if (cancelled) return InteractionOutcome.Cancelled;
  if (upstreamFailed || status >= 500) return InteractionOutcome.UpstreamError;
  if (status >= 400) return InteractionOutcome.Error;
  if (tracker.errorType || (tracker.streaming && !tracker.completed)) return InteractionOutcome.UpstreamError;
  return InteractionOutcome.Ok;
}
