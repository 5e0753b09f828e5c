import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/time/clock.service';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { storableId } from '../../common/text/storable-text';
import { ContentStatus, InteractionOutcome } from '../recording/interaction.entity';
import type { InteractionRecord } from '../recording/interaction-record';
import { RecorderService } from '../recording/recorder.service';
import { type LiveSession, SessionsService } from '../sessions/sessions.service';
import { capText } from './content-capture';
import { batchResultInteractionId, JsonLines } from './batch-results';
import { type AnthropicUsage, callUsageOf, mergeUsage, type RawUsage, ZERO_USAGE } from './anthropic-usage';
import { PricingTable } from './pricing/pricing';
import { ProxyErrors } from './proxy.errors';
import { type CallContext, queryOf, rawBody, type UpstreamTarget } from './call/call-context';
import { CallChecks } from './call/call-checks.service';
import { ProxyService } from './proxy.service';
import { type ListItem, narrowPage } from './anthropic-lists';
import { type BatchDetails, type ProviderObjectKind, ProviderObjectsRepository } from './provider-objects.repository';
import { parseMetadataUserId, resolveSessionIdentity } from './session-identity';

/** How many requests of one batch may name a session of their own (metadata.user_id); the rest use the batch's. */
const MAX_BATCH_SESSIONS = 10_000;

interface BatchObject extends ListItem {
  results_url?: unknown;
}

/**
 * Anthropic's Message Batches and Files APIs through Lamplight. Both are Anthropic's objects,
 * created with a key several organizations may share, so Lamplight keeps which organization
 * created which id and answers for an id only to that organization (another's is not found,
 * and lists show only the caller's). A batch's `results_url` points back at Lamplight, so SDKs
 * read results through it; each result read is recorded once as an interaction at batch rates.
 */
@Injectable()
export class ProxyResourcesService {
  private readonly logger = new Logger('Proxy');
  private readonly pricing = PricingTable.default();

  constructor(
    private readonly proxy: ProxyService,
    private readonly checks: CallChecks,
    private readonly objects: ProviderObjectsRepository,
    private readonly sessions: SessionsService,
    private readonly recorder: RecorderService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  // ---- message batches ---------------------------------------------------------------------

  async createBatch(context: CallContext, origin: string): Promise<void> {
    const body = context.request.body as { requests?: unknown } | null;
    if (!body || typeof body !== 'object' || !Array.isArray(body.requests)) throw ProxyErrors.invalidBody();
    const sessions: Record<string, string> = {};
    for (const entry of body.requests as {
      custom_id?: unknown;
      params?: { model?: unknown; metadata?: { user_id?: unknown } };
    }[]) {
      await this.checks.model(context.organization, entry?.params?.model);
      const own = parseMetadataUserId(entry?.params?.metadata?.user_id).sessionId;
      if (own && typeof entry.custom_id === 'string' && Object.keys(sessions).length < MAX_BATCH_SESSIONS)
        sessions[entry.custom_id] = own;
    }
    const headerSession =
      context.request.headers['x-lamplight-session-id'] ?? context.request.headers['x-claude-code-session-id'];
    const details: BatchDetails = {
      sessionExternalId: headerSession ? resolveSessionIdentity(context.request.headers, {}).externalId : null,
      sessions,
    };
    const answer = await this.proxy.fetchJson(context, {
      route: 'batches',
      method: 'POST',
      path: `/v1/messages/batches${queryOf(context.request)}`,
      body: rawBody(context.request),
    });
    const batch = answer.json as BatchObject | null;
    if (answer.status < 300 && typeof batch?.id === 'string') {
      await this.objects.add(
        context.organization.organizationId,
        'message_batch',
        batch.id,
        this.owner(context),
        details,
      );
    }
    ProxyService.sendJson(
      context.reply,
      answer.status,
      answer.headers,
      answer.status < 300 ? this.pointAtLamplight(batch, origin) : answer.text,
    );
  }

  async listBatches(context: CallContext, origin: string): Promise<void> {
    await this.list(
      context,
      'message_batch',
      `/v1/messages/batches${queryOf(context.request)}`,
      (item) => this.pointAtLamplight(item, origin) ?? item,
    );
  }

  async getBatch(context: CallContext, batchId: string, origin: string): Promise<void> {
    await this.requireOwned(context, 'message_batch', batchId);
    const answer = await this.proxy.fetchJson(context, {
      route: 'batches',
      method: 'GET',
      path: `/v1/messages/batches/${encodeURIComponent(batchId)}${queryOf(context.request)}`,
      body: null,
    });
    ProxyService.sendJson(
      context.reply,
      answer.status,
      answer.headers,
      answer.status < 300 ? this.pointAtLamplight(answer.json as BatchObject, origin) : answer.text,
    );
  }

  async cancelBatch(context: CallContext, batchId: string, origin: string): Promise<void> {
    await this.requireOwned(context, 'message_batch', batchId);
    const answer = await this.proxy.fetchJson(context, {
      route: 'batches',
      method: 'POST',
      path: `/v1/messages/batches/${encodeURIComponent(batchId)}/cancel`,
      body: null,
    });
    ProxyService.sendJson(
      context.reply,
      answer.status,
      answer.headers,
      answer.status < 300 ? this.pointAtLamplight(answer.json as BatchObject, origin) : answer.text,
    );
  }

  async deleteBatch(context: CallContext, batchId: string): Promise<void> {
    await this.requireOwned(context, 'message_batch', batchId);
    await this.proxy.relay(
      context,
      { route: 'batches', method: 'DELETE', path: `/v1/messages/batches/${encodeURIComponent(batchId)}`, body: null },
      {
        onFinished: (status) =>
          status < 300
            ? this.objects.markDeleted(context.organization.organizationId, 'message_batch', batchId)
            : undefined,
      },
    );
  }

  /** Streams the results through as they arrive, recording each once (before the answer's last bytes). */
  async batchResults(context: CallContext, batchId: string): Promise<void> {
    const owned = await this.requireOwned(context, 'message_batch', batchId);
    const details = owned.details ?? { sessionExternalId: null, sessions: {} };
    const recorder = new BatchResultRecorder(
      context,
      batchId,
      details,
      owned.createdAt,
      this.sessions,
      this.recorder,
      this.pricing,
      this.clock,
      this.config.contentMaxBytes,
      this.logger,
    );
    const lines = new JsonLines((line) => recorder.add(line));
    await this.proxy.relay(
      context,
      {
        route: 'batches',
        method: 'GET',
        path: `/v1/messages/batches/${encodeURIComponent(batchId)}/results`,
        body: null,
      },
      {
        observe: (chunk) => lines.push(chunk),
        onFinished: (status) => {
          if (status >= 300) return undefined;
          lines.end();
          return recorder.done();
        },
      },
    );
  }

  // ---- files -------------------------------------------------------------------------------

  /** The upload goes to Anthropic as it arrives (multipart, never held whole). */
  async uploadFile(context: CallContext): Promise<void> {
    const target: UpstreamTarget = {
      route: 'files',
      method: 'POST',
      path: `/v1/files${queryOf(context.request)}`,
      body: context.request.raw,
    };
    const answer = await this.proxy.fetchJson(context, target);
    const file = answer.json as { id?: unknown } | null;
    if (answer.status < 300 && typeof file?.id === 'string') {
      await this.objects.add(context.organization.organizationId, 'file', file.id, this.owner(context));
    }
    ProxyService.sendJson(context.reply, answer.status, answer.headers, answer.text);
  }

  async listFiles(context: CallContext): Promise<void> {
    await this.list(context, 'file', `/v1/files${queryOf(context.request)}`, (item) => item);
  }

  async getFile(context: CallContext, fileId: string): Promise<void> {
    await this.requireOwned(context, 'file', fileId);
    await this.proxy.relay(context, {
      route: 'files',
      method: 'GET',
      path: `/v1/files/${encodeURIComponent(fileId)}${queryOf(context.request)}`,
      body: null,
    });
  }

  /** Streams the file's bytes through. */
  async downloadFile(context: CallContext, fileId: string): Promise<void> {
    await this.requireOwned(context, 'file', fileId);
    await this.proxy.relay(context, {
      route: 'files',
      method: 'GET',
      path: `/v1/files/${encodeURIComponent(fileId)}/content${queryOf(context.request)}`,
      body: null,
    });
  }

  async deleteFile(context: CallContext, fileId: string): Promise<void> {
    await this.requireOwned(context, 'file', fileId);
    await this.proxy.relay(
      context,
      { route: 'files', method: 'DELETE', path: `/v1/files/${encodeURIComponent(fileId)}`, body: null },
      {
        onFinished: (status) =>
          status < 300 ? this.objects.markDeleted(context.organization.organizationId, 'file', fileId) : undefined,
      },
    );
  }

  // ---- shared --------------------------------------------------------------------------------

  private owner(context: CallContext): { userId: string | null; apiKeyId: string | null } {
    const { principal } = context;
    return { userId: principal.userId, apiKeyId: principal.kind === 'apiKey' ? principal.apiKeyId : null };
  }

  private async requireOwned(
    context: CallContext,
    kind: ProviderObjectKind,
    objectId: string,
  ): Promise<{ details: BatchDetails | null; createdAt: Date }> {
    const owned = await this.objects.find(context.organization.organizationId, kind, objectId);
    if (!owned) throw ProxyErrors.objectNotFound(kind, objectId);
    return owned;
  }

  /** A page of Anthropic's list with only this organization's objects (first_id / last_id follow). */
  private async list(
    context: CallContext,
    kind: ProviderObjectKind,
    path: string,
    rewrite: (item: ListItem) => ListItem,
  ): Promise<void> {
    const answer = await this.proxy.fetchJson(context, {
      route: kind === 'file' ? 'files' : 'batches',
      method: 'GET',
      path,
      body: null,
    });
    const items = (answer.json as { data?: unknown } | null)?.data;
    const ids = Array.isArray(items) ? items.map((item: ListItem) => String(item?.id)) : [];
    const owned =
      answer.status === 200
        ? await this.objects.owned(context.organization.organizationId, kind, ids)
        : new Set<string>();
    const page =
      answer.status === 200
        ? narrowPage(answer.json, (item) => typeof item.id === 'string' && owned.has(item.id), rewrite)
        : null;
    ProxyService.sendJson(context.reply, answer.status, answer.headers, page ?? answer.text);
  }

  /** The batch with its results_url on Lamplight, so clients read results (and have them recorded) here. */
  private pointAtLamplight(batch: BatchObject | null, origin: string): BatchObject | null {
    if (!batch || typeof batch.id !== 'string' || typeof batch.results_url !== 'string') return batch;
    const base = this.config.publicBaseUrl ?? origin;
    return {
      ...batch,
      results_url: `${base}/spotlight/anthropic/v1/messages/batches/${encodeURIComponent(batch.id)}/results`,
    };
  }
}

interface BatchResultLine {
  custom_id?: unknown;
  result?: {
    type?: unknown;
    message?: { model?: unknown; usage?: AnthropicUsage; content?: unknown; stop_reason?: unknown; id?: unknown };
    error?: { error?: { type?: unknown } };
  };
}

/** Records the results of one read of a batch's results, in order, each once (deterministic ids). */
class BatchResultRecorder {
  private chain: Promise<void> = Promise.resolve();
  private readonly liveSessions = new Map<string, Promise<LiveSession>>();

  constructor(
    private readonly context: CallContext,
    private readonly batchId: string,
    private readonly details: BatchDetails,
    /** When the batch was created: each result's start, the same however often the results are read. */
    private readonly createdAt: Date,
    private readonly sessions: SessionsService,
    private readonly recorder: RecorderService,
    private readonly pricing: PricingTable,
    private readonly clock: Clock,
    private readonly contentMaxBytes: number,
    private readonly logger: Logger,
  ) {}

  add(line: unknown): void {
    const result = line as BatchResultLine;
    if (typeof result?.custom_id !== 'string' || !result.result || typeof result.result !== 'object') return;
    this.chain = this.chain
      .then(() => this.record(result))
      .catch((error: unknown) => {
        this.logger.warn(`Recording a batch result failed (${error instanceof Error ? error.name : 'error'})`);
      });
  }

  /** Resolves once every result seen is journaled. */
  done(): Promise<void> {
    return this.chain;
  }

  private async record(line: BatchResultLine): Promise<void> {
    const customId = line.custom_id as string;
    const externalId = storableId(
      this.details.sessions[customId] ?? this.details.sessionExternalId ?? this.batchId,
      255,
    );
    const session = await this.session(externalId);
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- an upstream JSON value of any type, made text as it comes
    const type = String(line.result?.type ?? 'errored');
    const message = type === 'succeeded' ? line.result?.message : undefined;
    const model = typeof message?.model === 'string' ? storableId(message.model, 255) : 'unknown';
    const rawUsage = (message?.usage && typeof message.usage === 'object' ? message.usage : null) as RawUsage | null;
    const usage = mergeUsage({ ...ZERO_USAGE }, message?.usage);
    // A batch result is billed at the batch rate, whatever its usage says of the tier.
    const callUsage = { ...callUsageOf(rawUsage, usage), serviceTier: 'batch' };
    const text = Array.isArray(message?.content)
      ? (message.content as { type?: unknown; text?: unknown }[])
          .filter((block) => block?.type === 'text' && typeof block.text === 'string')
          .map((block) => block.text as string)
          .join('')
      : '';
    const output = session.storeContent
      ? capText(text || null, this.contentMaxBytes)
      : { text: null, truncated: false };
    const now = this.clock.now().toISOString();
    const { principal } = this.context;
    const interaction: InteractionRecord = {
      id: batchResultInteractionId(this.batchId, customId),
      organizationId: this.context.organization.organizationId,
      sessionId: session.id,
      apiKeyId: principal.kind === 'apiKey' ? principal.apiKeyId : null,
      userId: principal.userId,
      model,
      stream: false,
      httpStatus: type === 'succeeded' ? 200 : 400,
      outcome:
        type === 'succeeded'
          ? InteractionOutcome.Ok
          : type === 'canceled' || type === 'expired'
            ? InteractionOutcome.Cancelled
            : InteractionOutcome.Error,
      stopReason: typeof message?.stop_reason === 'string' ? message.stop_reason : null,
      errorType:
        type === 'succeeded'
          ? null
          : typeof line.result?.error?.error?.type === 'string'
            ? line.result.error.error.type
            : type,
      ...usage,
      cost: this.pricing.priceCall(model, callUsage),
      rawUsage,
      pricingVersion: this.pricing.version,
      latencyMs: 0,
      timeToFirstTokenMs: null,
      upstreamRequestId: typeof message?.id === 'string' ? message.id : null,
      agentId: null,
      parentAgentId: null,
      userQuery: null,
      finalOutput: output.text,
      content: null,
      contentTruncated: output.truncated,
      contentStatus: !session.storeContent
        ? ContentStatus.NotStored
        : output.truncated
          ? ContentStatus.Truncated
          : ContentStatus.Complete,
      // A result read again is the same call: the same id and start meet the first copy's key
      // (organization, id, started_at) and it is written once.
      startedAt: this.createdAt.toISOString(),
      endedAt: now,
    };
    await this.recorder.record(interaction);
  }

  private session(externalId: string): Promise<LiveSession> {
    let session = this.liveSessions.get(externalId);
    if (!session) {
      const { principal } = this.context;
      session = this.sessions.findOrCreateLive(
        this.context.organization.organizationId,
        principal.userId,
        externalId,
        resolveSessionIdentity(this.context.request.headers, {}).device,
      );
      this.liveSessions.set(externalId, session);
    }
    return session;
  }
}
