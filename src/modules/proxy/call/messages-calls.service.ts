import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../../common/time/clock.service';
import { storableId } from '../../../common/text/storable-text';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config';
import { MetricsService } from '../../metrics/metrics.service';
import { RecorderService } from '../../recording/recorder.service';
import { SessionsService } from '../../sessions/sessions.service';
import { SpendAdmissionService } from '../../spend-limits/spend-admission.service';
import { PricingTable } from '../pricing/pricing';
import { ResponseTracker } from '../response-tracker';
import { resolveSessionIdentity } from '../session-identity';
import { CallChecks } from './call-checks.service';
import { MessagesCall, type MessagesCallServices, type MessagesRequest } from './messages-call';
import { UpstreamExchange } from './upstream-exchange.service';

/** Makes Messages calls: the proxy route's and the ones Lamplight makes itself (tasks) alike. */
@Injectable()
export class MessagesCalls {
  private readonly services: MessagesCallServices;

  constructor(
    private readonly checks: CallChecks,
    private readonly sessions: SessionsService,
    exchange: UpstreamExchange,
    recorder: RecorderService,
    metrics: MetricsService,
    private readonly clock: Clock,
    spendLimits: SpendAdmissionService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.services = {
      exchange,
      recorder,
      metrics,
      clock,
      spendLimits,
      pricing: PricingTable.default(),
      contentMaxBytes: config.contentMaxBytes,
      logger: new Logger('Proxy'),
    };
  }

  /**
   * What every Messages call goes through before Anthropic: the model policy, the Anthropic key,
   * the session (found or created). Refusals throw; `run` the call to send it.
   */
  async prepare(request: MessagesRequest): Promise<MessagesCall> {
    const startedAt = this.clock.now();
    const started = performance.now();
    const { organization, principal, body } = request;
    await this.checks.model(organization, body.model);
    const providerKey = await this.checks.providerKey(request.credentials, organization);
    const identity = resolveSessionIdentity(request.headers, body);
    const session = await this.sessions.findOrCreateLive(
      organization.organizationId,
      principal.userId,
      identity.externalId,
      identity.device,
    );
    return new MessagesCall(this.services, request, {
      providerKey,
      session,
      identity,
      model: typeof body.model === 'string' ? storableId(body.model, 255) : 'unknown',
      tracker: new ResponseTracker(body.stream === true, this.config.contentMaxBytes),
      startedAt,
      started,
    });
  }
}
