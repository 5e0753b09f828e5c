import { Inject, Injectable, Logger, type RawBodyRequest } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import type { DomainError } from '../../common/errors/domain-error';
import { anthropicErrorType } from '../../common/errors/problem';
import { SHUTDOWN_INTERRUPT, ShutdownState } from '../../common/lifecycle/shutdown-state.service';
import { MetricsService } from '../metrics/metrics.service';
import { OrganizationSettingsService } from '../organizations/organization-settings.service';
import { ProviderKeysService } from '../provider-keys/provider-keys.service';
import { ContentStatus, InteractionOutcome } from '../recording/interaction.entity';
import type { InteractionRecord } from '../recording/interaction-record';
import { RecorderService } from '../recording/recorder.service';
import { type LiveSession, SessionsService } from '../sessions/sessions.service';
import { type CapturedContent, captureContent, noContent } from './content-capture';
import { storableId } from '../../common/text/storable-text';
import { PricingTable } from './pricing/pricing';
import { ProxyErrors } from './proxy.errors';
import { callUsageOf } from './anthropic-usage';
import { ResponseTracker } from './response-tracker';
import { resolveSessionIdentity } from './session-identity';
import { isHeadersTimeout, UpstreamClient, type UpstreamResponse } from './upstream-client.service';
import { upstreamHeaders } from './upstream-headers';
import { narrowPage } from './anthropic-lists';

/** Headers passed from Anthropic back to the client. */
const FORWARDED_RESPONSE_HEADERS = /^(content-type|content-length|request-id|retry-after|x-should-retry|anthropic-.*)$/i;

/** What a proxied call is, for metrics and logs. */
export type Route = 'messages' | 'count_tokens' | 'models' | 'batches' | 'files';

/** Where a proxied call goes upstream and what it sends. */
export interface UpstreamTarget {
  route: Route;
  method: 'GET' | 'POST' | 'DELETE';
  /** The upstream path, the client's query string included. */
  path: string;
  /** A JSON body as received; a stream (a file upload) goes as it arrives, with its own content type and length. */
  body: Buffer | NodeJS.ReadableStream | null;
}

/** An answer from Anthropic read whole (small JSON: batch and file metadata, lists). */
export interface UpstreamJson {
  status: number;
  headers: OutgoingHttpHeaders;
  /** The parsed body, or null when it is not JSON. */
  json: unknown;
  text: string;
}

export interface CallContext {
  principal: Principal;
  organization: OrganizationContext;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** A Messages call made from inside Lamplight (tasks): no Fastify request or reply, JSON only. */
export interface DirectMessageCall {
  principal: Principal;
  organization: OrganizationContext;
  /** As a client would send them: anthropic-version, the session headers, user-agent. */
  headers: IncomingHttpHeaders;
  /** A Messages request; `stream` is ignored, the answer is always JSON. */
  body: Record<string, unknown>;
}

export interface DirectMessageResult {
  /** The interaction as recorded (queued: `RecorderService.flush()` makes it readable). */
  interaction: InteractionRecord;
  sessionExternalId: string;
  /** Anthropic's status (502 or 504 when it could not be reached in time). */
  status: number;
  /** Anthropic's JSON answer: a Message, or an error in Anthropic's shape. */
  body: unknown;
}

/** A Messages call past its checks (credential, session, budget), ready to go upstream and be recorded. */
interface PreparedMessage {
  providerKey: string;
  session: LiveSession;
  tracker: ResponseTracker;
  /** Records the interaction: `journaled` resolves once it would survive a kill of this process. */
  record(outcome: InteractionOutcome, httpStatus: number, ttftMs: number | null, upstreamRequestId: string | null): RecordedCall;
}

interface RecordedCall {
  interaction: InteractionRecord;
  journaled: Promise<void>;
}

function firstHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The headers of a JSON call (Messages, count_tokens): the client's, forwarded as an open list. */
function jsonUpstreamHeaders(incoming: IncomingHttpHeaders, providerKey: string): Record<string, string> {
  const headers = upstreamHeaders(incoming, providerKey);
  headers['content-type'] ??= 'application/json';
  return headers;
}

/** The client's query string, as sent (`?…`), or ''. */
export function queryOf(request: FastifyRequest): string {
  return request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
}

function rawBody(request: FastifyRequest): Buffer {
  return (request as RawBodyRequest<FastifyRequest>).rawBody ?? Buffer.from(JSON.stringify(request.body));
}

/** Why no answer came: no headers in time (504), or no connection (502). */
function upstreamFailure(error: unknown): DomainError {
  return isHeadersTimeout(error) ? ProxyErrors.upstreamTimeout() : ProxyErrors.upstreamUnreachable();
}

/** A failure as Anthropic itself would have answered it. */
function anthropicError(failure: DomainError): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type: anthropicErrorType(failure.status), message: failure.detail } };
}

/** What a stream still open when the shutdown grace period ends receives last. */
const SHUTDOWN_ERROR_EVENT = `event: error\ndata: ${JSON.stringify({
  type: 'error',
  error: { type: 'api_error', message: 'Lamplight is shutting down and ended this stream early; retry the request' },
})}\n\n`;

/** Anthropic's response headers a client gets, with Lamplight's request id. */
function forwardedResponseHeaders(response: UpstreamResponse, reply: FastifyReply, requestId: string): OutgoingHttpHeaders {
  // The headers set for every response (request id, security headers), then Anthropic's.
  const outgoing: OutgoingHttpHeaders = { ...(reply.getHeaders() as OutgoingHttpHeaders), 'x-request-id': requestId };
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined && FORWARDED_RESPONSE_HEADERS.test(name)) outgoing[name] = value;
  }
  // After our own retries, the SDK's retries would multiply them: tell it not to.
  if (response.retriesExhausted) outgoing['x-should-retry'] = 'false';
  return outgoing;
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
}

@Injectable()
export class ProxyService {
  private readonly logger = new Logger('Proxy');
  private readonly pricing = PricingTable.default();

  constructor(
    private readonly upstream: UpstreamClient,
    private readonly providerKeys: ProviderKeysService,
    private readonly sessions: SessionsService,
    private readonly recorder: RecorderService,
    private readonly metrics: MetricsService,
    private readonly shutdown: ShutdownState,
    private readonly organizationSettings: OrganizationSettingsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** POST /v1/messages: forwarded untouched, streamed back byte for byte, recorded as an interaction. */
  async messages(context: CallContext): Promise<void> {
    const body = this.jsonBody(context.request);
    const call = await this.prepareMessage(context.principal, context.organization, context.request.headers, body);
    const target: UpstreamTarget = { route: 'messages', method: 'POST', path: `/v1/messages${queryOf(context.request)}`, body: rawBody(context.request) };
    await this.forward(context, target, call.providerKey, {
      tracker: call.tracker,
      onUpstreamFailure: (status) => call.record(InteractionOutcome.UpstreamError, status, null, null),
      onFinished: ({ status, cancelled, upstreamFailed, interrupted, ttftMs, upstreamRequestId }) => {
        // Cut short by shutdown after the grace period: Lamplight's doing, recorded as an error (503).
        if (interrupted) return call.record(InteractionOutcome.Error, 503, ttftMs, upstreamRequestId).journaled;
        return call.record(outcomeOf(status, cancelled, upstreamFailed, call.tracker), cancelled ? 499 : status, ttftMs, upstreamRequestId).journaled;
      },
    });
  }

  /**
   * The same Messages call without an HTTP exchange (tasks): the same credential, session, budget,
   * upstream client with its retries, and recording; the answer is read whole and returned.
   * Refusals before anything goes upstream throw, as on the proxy route; anything that reached
   * (or tried to reach) Anthropic is recorded and returned, failures included.
   */
  async createMessage(direct: DirectMessageCall): Promise<DirectMessageResult> {
    if (this.shutdown.draining) throw ProxyErrors.draining();
    const { stream: _ignored, ...body } = direct.body;
    const call = await this.prepareMessage(direct.principal, direct.organization, direct.headers, body);
    const sessionExternalId = call.session.externalId;
    const started = performance.now();
    let response: UpstreamResponse;
    try {
      response = await this.upstream.send({
        path: '/v1/messages',
        headers: jsonUpstreamHeaders(direct.headers, call.providerKey),
        body: Buffer.from(JSON.stringify(body)),
        signal: new AbortController().signal,
      });
    } catch (error) {
      const failure = upstreamFailure(error);
      const { interaction, journaled } = call.record(InteractionOutcome.UpstreamError, failure.status, null, null);
      await journaled;
      return { interaction, sessionExternalId, status: failure.status, body: anthropicError(failure) };
    }

    const chunks: Buffer[] = [];
    let ttftMs: number | null = null;
    let upstreamFailed = false;
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        if (ttftMs === null) {
          ttftMs = Math.round(performance.now() - started);
          this.metrics.proxyTimeToFirstByte.observe({ route: 'messages', stream: 'false' }, ttftMs / 1000);
        }
        call.tracker.push(chunk);
        chunks.push(chunk);
      }
    } catch {
      upstreamFailed = true;
    }
    call.tracker.end();
    const upstreamRequestId = firstHeader(response.headers, 'request-id') ?? null;
    const { interaction, journaled } = call.record(outcomeOf(response.statusCode, false, upstreamFailed, call.tracker), response.statusCode, ttftMs, upstreamRequestId);
    await journaled;
    if (upstreamFailed) {
      const failure = ProxyErrors.upstreamUnreachable();
      return { interaction, sessionExternalId, status: failure.status, body: anthropicError(failure) };
    }
    return { interaction, sessionExternalId, status: response.statusCode, body: parseJson(Buffer.concat(chunks)) };
  }

  /** POST /v1/messages/count_tokens: forwarded the same way; not an interaction. */
  async countTokens(context: CallContext): Promise<void> {
    const body = this.jsonBody(context.request);
    await this.checkModel(context.organization, body.model);
    const providerKey = await this.providerCredential(context.request.headers, context.organization);
    const started = performance.now();
    const target: UpstreamTarget = { route: 'count_tokens', method: 'POST', path: `/v1/messages/count_tokens${queryOf(context.request)}`, body: rawBody(context.request) };
    await this.forward(context, target, providerKey, {
      tracker: null,
      onUpstreamFailure: () => undefined,
      onFinished: ({ status }) => {
        this.metrics.proxyRequests.inc({ route: 'count_tokens', outcome: status < 400 ? 'ok' : 'error' });
        this.metrics.proxyDuration.observe({ route: 'count_tokens', stream: 'false' }, (performance.now() - started) / 1000);
        return undefined;
      },
    });
  }

  /**
   * GET /v1/models and /v1/models/{id}: Anthropic's answer, narrowed to the organization's allowed
   * models. Without a policy the bytes pass through untouched; with one, the list is filtered (and
   * its first_id / last_id follow) and a model outside it is not found.
   */
  async models(context: CallContext, modelId?: string): Promise<void> {
    if (this.shutdown.draining) throw ProxyErrors.draining();
    const { request, reply, organization } = context;
    const policy = await this.organizationSettings.modelPolicy(organization.organizationId);
    if (modelId !== undefined && !policy.allows(modelId)) throw ProxyErrors.modelNotFound(modelId);
    const path = modelId === undefined ? `/v1/models${queryOf(request)}` : `/v1/models/${encodeURIComponent(modelId)}${queryOf(request)}`;
    const target: UpstreamTarget = { route: 'models', method: 'GET', path, body: null };
    if (modelId !== undefined || !policy.restricted) return this.relay(context, target);
    const answer = await this.fetchJson(context, target);
    const page = answer.status === 200 ? narrowPage(answer.json, (model) => typeof model.id === 'string' && policy.allows(model.id)) : null;
    ProxyService.sendJson(reply, answer.status, answer.headers, page ?? answer.text);
  }

  /**
   * Any other Anthropic call, passed through as it is (batches, files): the same credential,
   * refusals and shutdown handling as Messages, the answer streamed back byte for byte. `observe`
   * sees the answer's chunks; what `onFinished` returns is awaited before its last bytes.
   */
  async relay(
    context: CallContext,
    target: UpstreamTarget,
    hooks: { observe?: (chunk: Buffer) => void; onFinished?: (status: number) => Promise<void> | undefined } = {},
  ): Promise<void> {
    if (this.shutdown.draining) throw ProxyErrors.draining();
    const providerKey = await this.providerCredential(context.request.headers, context.organization, true);
    await this.forward(context, target, providerKey, {
      tracker: null,
      observe: hooks.observe,
      onUpstreamFailure: () => undefined,
      onFinished: ({ status, cancelled, upstreamFailed }) => (cancelled || upstreamFailed ? undefined : hooks.onFinished?.(status)),
    });
  }

  /** An Anthropic call whose (small, JSON) answer Lamplight reads whole, to check or rewrite it before answering. */
  async fetchJson(context: CallContext, target: UpstreamTarget): Promise<UpstreamJson> {
    if (this.shutdown.draining) throw ProxyErrors.draining();
    const { request } = context;
    const providerKey = await this.providerCredential(request.headers, context.organization, true);
    let response: UpstreamResponse;
    try {
      response = await this.upstream.send({
        method: target.method,
        path: target.path,
        headers: Buffer.isBuffer(target.body)
          ? jsonUpstreamHeaders(request.headers, providerKey)
          : upstreamHeaders(request.headers, providerKey, { keepContentLength: target.body !== null }),
        body: target.body,
        signal: new AbortController().signal,
      });
    } catch (error) {
      throw upstreamFailure(error);
    }
    const text = await response.body.text();
    const headers = forwardedResponseHeaders(response, context.reply, String(request.id));
    delete headers['content-length'];
    return { status: response.statusCode, headers, json: parseJson(Buffer.from(text)), text };
  }

  /** Answers with JSON Lamplight wrote (a rewritten or filtered answer of Anthropic's). */
  static sendJson(reply: FastifyReply, status: number, headers: OutgoingHttpHeaders, body: unknown): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    reply.hijack();
    reply.raw.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    reply.raw.end(text);
  }

  /** The organization's model policy, before anything goes upstream. */
  async checkModel(organization: OrganizationContext, model: unknown): Promise<void> {
    const policy = await this.organizationSettings.modelPolicy(organization.organizationId);
    if (policy.restricted && !(typeof model === 'string' && policy.allows(model))) {
      throw ProxyErrors.modelNotAllowed(typeof model === 'string' ? model : String(model));
    }
  }

  private jsonBody(request: FastifyRequest): Record<string, unknown> {
    if (this.shutdown.draining) throw ProxyErrors.draining();
    const body = request.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw ProxyErrors.invalidBody();
    return body as Record<string, unknown>;
  }

  /**
   * What every recorded Messages call goes through before Anthropic: the credential, the session
   * (found or created), the budget check; then a tracker for the answer and the one way to record it.
   */
  private async prepareMessage(
    principal: Principal,
    organization: OrganizationContext,
    headers: IncomingHttpHeaders,
    body: Record<string, unknown>,
  ): Promise<PreparedMessage> {
    const startedAt = new Date();
    const started = performance.now();
    await this.checkModel(organization, body.model);
    const providerKey = await this.providerCredential(headers, organization, true);
    const identity = resolveSessionIdentity(headers, body);
    const session = await this.sessions.findOrCreateLive(organization.organizationId, principal.userId, identity.externalId, identity.device);
    if (session.tokenBudget !== null && session.tokensUsed >= session.tokenBudget) {
      throw ProxyErrors.budgetExhausted(session.tokensUsed, session.tokenBudget);
    }

    const streaming = body.stream === true;
    const model = typeof body.model === 'string' ? storableId(body.model, 255) : 'unknown';
    const tracker = new ResponseTracker(streaming, this.config.contentMaxBytes);
    const record = (outcome: InteractionOutcome, httpStatus: number, ttftMs: number | null, upstreamRequestId: string | null) => {
      const usage = tracker.usage;
      const captured = this.capture(body, tracker, session.storeContent);
      const latencyMs = Math.round(performance.now() - started);
      this.metrics.proxyRequests.inc({ route: 'messages', outcome });
      this.metrics.proxyDuration.observe({ route: 'messages', stream: String(streaming) }, latencyMs / 1000);
      const interaction: InteractionRecord = {
        id: randomUUID(),
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
        cost: this.pricing.priceCall(model, callUsageOf(tracker.rawUsage, usage)),
        rawUsage: tracker.rawUsage,
        pricingVersion: this.pricing.version,
        latencyMs,
        timeToFirstTokenMs: ttftMs,
        upstreamRequestId,
        agentId: identity.agentId,
        parentAgentId: identity.parentAgentId,
        userQuery: captured.userQuery,
        finalOutput: captured.finalOutput,
        content: captured.content,
        contentTruncated: captured.truncated,
        contentStatus: captured.status,
        startedAt: startedAt.toISOString(),
        endedAt: new Date().toISOString(),
      };
      return { interaction, journaled: this.recorder.record(interaction) };
    };
    return { providerKey, session, tracker, record };
  }

  /** The call's content; if capturing it fails for any reason, none (the call is still recorded). */
  private capture(body: Record<string, unknown>, tracker: ResponseTracker, store: boolean): CapturedContent {
    try {
      return captureContent(body, tracker.blocks, tracker.finalText(), {
        store,
        maxBytes: this.config.contentMaxBytes,
        textTruncated: tracker.textTruncated,
      });
    } catch (error) {
      this.metrics.recorderCaptureFailures.inc();
      this.logger.warn(`Content capture failed (${error instanceof Error ? error.name : 'error'}); the call is recorded without content`);
      return noContent(ContentStatus.CaptureFailed);
    }
  }

  /**
   * The Anthropic key for the call: one the client sent (`x-api-key` or `Authorization: Bearer`,
   * told apart from platform keys by prefix), else the organization's default stored key.
   * Subscription OAuth tokens are refused wherever they appear.
   */
  private async providerCredential(headers: IncomingHttpHeaders, organization: OrganizationContext, cached = false): Promise<string> {
    const candidates = ['x-api-key', 'authorization', 'x-lamplight-api-key', 'x-shinzo-api-key']
      .map((name) => firstHeader(headers, name)?.trim().replace(/^Bearer\s+/i, ''))
      .filter((value): value is string => Boolean(value));
    if (candidates.some((value) => value.startsWith('sk-ant-oat'))) throw ProxyErrors.subscriptionToken();
    const clientKey = candidates.find((value) => value.startsWith('sk-ant-'));
    if (clientKey) return clientKey;
    const stored = cached
      ? await this.providerKeys.cachedDefaultKey(organization.organizationId)
      : await this.providerKeys.defaultKeyPlaintext(organization.organizationId);
    if (!stored) throw ProxyErrors.noProviderKey();
    return stored;
  }

  private async forward(
    { request, reply }: CallContext,
    { route, method, path, body }: UpstreamTarget,
    providerKey: string,
    hooks: {
      tracker: ResponseTracker | null;
      /** Sees every chunk of the answer as it passes (batch results are recorded from it). */
      observe?: (chunk: Buffer) => void;
      onUpstreamFailure: (status: number) => void;
      /** The call is over; what it returns (the record's journal write) is awaited before the answer's last bytes. */
      onFinished: (result: {
        status: number;
        cancelled: boolean;
        upstreamFailed: boolean;
        /** Ended by shutdown once its grace period was over. */
        interrupted?: boolean;
        ttftMs: number | null;
        upstreamRequestId: string | null;
      }) => Promise<void> | undefined;
    },
  ): Promise<void> {
    const started = performance.now();
    const abort = new AbortController();
    const raw = reply.raw;
    let finished = false;
    const onClientGone = () => {
      if (!finished) abort.abort();
    };
    raw.on('close', onClientGone);
    // Shutdown waits for this call for its grace period, then interrupts it (see ShutdownState).
    let settle!: () => void;
    this.shutdown.trackCall({
      interrupt: () => {
        if (!finished) abort.abort(SHUTDOWN_INTERRUPT);
      },
      finished: new Promise<void>((resolve) => (settle = resolve)),
    });
    const interrupted = () => abort.signal.aborted && abort.signal.reason === SHUTDOWN_INTERRUPT;

    const headers = Buffer.isBuffer(body)
      ? jsonUpstreamHeaders(request.headers, providerKey)
      : upstreamHeaders(request.headers, providerKey, { keepContentLength: body !== null });

    let response: UpstreamResponse;
    try {
      response = await this.upstream.send({ method, path, headers, body, signal: abort.signal });
    } catch (error) {
      raw.off('close', onClientGone);
      finished = true;
      settle();
      if (interrupted()) {
        void hooks.onFinished({ status: 503, cancelled: false, upstreamFailed: false, interrupted: true, ttftMs: null, upstreamRequestId: null });
        throw ProxyErrors.draining();
      }
      if (abort.signal.aborted) {
        reply.hijack();
        raw.destroy();
        void hooks.onFinished({ status: 499, cancelled: true, upstreamFailed: false, ttftMs: null, upstreamRequestId: null });
        return;
      }
      const failure = upstreamFailure(error);
      hooks.onUpstreamFailure(failure.status);
      throw failure;
    }

    const upstreamRequestId = firstHeader(response.headers, 'request-id') ?? null;
    const outgoing = forwardedResponseHeaders(response, reply, String(request.id));

    const tracker = hooks.tracker;
    const isStream = String(response.headers['content-type'] ?? '').startsWith('text/event-stream');
    tracker?.answeredAs(isStream);
    reply.hijack();
    raw.writeHead(response.statusCode, outgoing);

    let ttftMs: number | null = null;
    let upstreamFailed = false;
    // The bytes that complete the answer wait until its record is journaled, so an answer a client
    // has whole is never lost to a kill: a JSON body's latest chunk, a stream's final event.
    let held: Buffer | undefined;
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        tracker?.push(chunk);
        hooks.observe?.(chunk);
        if (ttftMs === null) {
          ttftMs = Math.round(performance.now() - started);
          this.metrics.proxyTimeToFirstByte.observe({ route, stream: String(isStream) }, ttftMs / 1000);
        }
        if (held && !raw.write(held)) await drained(raw, abort.signal);
        held = undefined;
        if (tracker && (!isStream || tracker.completed || tracker.errorType)) held = chunk;
        else if (!raw.write(chunk)) await drained(raw, abort.signal);
        if (abort.signal.aborted) break;
      }
    } catch (error) {
      if (!abort.signal.aborted) {
        upstreamFailed = true;
        this.logger.warn(`Upstream ${route} response failed mid-body: ${(error as { code?: string }).code ?? 'error'}`);
      }
    } finally {
      tracker?.end();
      finished = true;
      raw.off('close', onClientGone);
      const stopped = interrupted();
      const cancelled = abort.signal.aborted && !stopped;
      if (abort.signal.aborted) response.body.destroy();
      let journaled: Promise<void> | undefined;
      try {
        journaled = hooks.onFinished({ status: response.statusCode, cancelled, upstreamFailed, interrupted: stopped, ttftMs, upstreamRequestId });
      } catch (error) {
        this.logger.error(`Recording a ${route} call failed: ${error instanceof Error ? error.name : 'error'}`);
      }
      if (journaled && !raw.destroyed && !cancelled) await journaled;
      // A JSON body cut short (by Anthropic or by shutdown) is not finished: the client sees it fail.
      if (held && !raw.destroyed && !raw.writableEnded && (isStream || (!upstreamFailed && !stopped))) raw.write(held);
      if (upstreamFailed && !raw.destroyed) {
        if (isStream) {
          raw.write(
            `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'The upstream response was interrupted' } })}\n\n`,
          );
        } else {
          raw.destroy();
        }
      }
      if (stopped && !raw.destroyed && !raw.writableEnded) {
        // A stream ends with an error event the SDKs raise; a JSON body cannot be finished, so it is cut.
        if (isStream) raw.write(SHUTDOWN_ERROR_EVENT);
        else raw.destroy();
        // A client that does not read must not hold the server's close up: its socket goes after 1 s.
        setTimeout(() => raw.destroy(), 1_000).unref();
      }
      if (!raw.destroyed && !raw.writableEnded) raw.end();
      // Proxied calls have no request log line (see createLoggerOptions): the ones that did not succeed get this one.
      if (response.statusCode >= 400 || cancelled || upstreamFailed || stopped) {
        this.logger.warn({ reqId: request.id, route, statusCode: response.statusCode, upstreamRequestId, cancelled, upstreamFailed, interrupted: stopped }, 'proxy call did not succeed');
      }
      settle();
    }
  }
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

/** Resolves when the client can take more bytes, or when the call is aborted (client gone). */
function drained(stream: NodeJS.WritableStream, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    stream.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
