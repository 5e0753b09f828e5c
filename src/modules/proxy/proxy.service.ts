import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { NO_CREDENTIALS, type OrganizationContext, type Principal } from '../../common/auth/principal';
import type { DomainError } from '../../common/errors/domain-error';
import { anthropicErrorType } from '../../common/errors/problem';
import { MetricsService } from '../metrics/metrics.service';
import { OrganizationSettingsService } from '../organizations/organization-settings.service';
import type { InteractionRecord } from '../recording/interaction-record';
import { narrowPage } from './anthropic-lists';
import { type CallContext, credentialsOf, queryOf, rawBody, type UpstreamTarget } from './call/call-context';
import { CallChecks } from './call/call-checks.service';
import { BufferOutput, type CallEnding, forwardedResponseHeaders, ReplyOutput } from './call/call-output';
import { MessagesCalls } from './call/messages-calls.service';
import { UpstreamExchange } from './call/upstream-exchange.service';
import { ProxyErrors } from './proxy.errors';

/** An answer from Anthropic read whole (small JSON: batch and file metadata, lists). */
export interface UpstreamJson {
  status: number;
  headers: OutgoingHttpHeaders;
  /** The parsed body, or null when it is not JSON. */
  json: unknown;
  text: string;
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

/** What a relayed call's caller hears: every chunk of the answer, and its status once it is whole. */
export interface RelayHooks {
  /** Sees every chunk of the answer as it passes (batch results are recorded from it). */
  observe?: (chunk: Buffer) => void;
  /** Anthropic answered in full; what this returns is awaited before the answer's last bytes. */
  onFinished?: (status: number) => Promise<void> | undefined;
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
}

/** A failure as Anthropic itself would have answered it. */
function anthropicError(failure: DomainError): { type: 'error'; error: { type: string; message: string } } {
  const own = failure.extra.anthropicType;
  const type = typeof own === 'string' ? own : anthropicErrorType(failure.status);
  return { type: 'error', error: { type, message: failure.detail } };
}

/**
 * The proxy's routes. A Messages call is a MessagesCall (checks, session, exchange, record) with
 * the client's reply, or a buffer for tasks, as its output; every other route is one exchange
 * with Anthropic, relayed or read whole (see call/).
 */
@Injectable()
export class ProxyService {
  constructor(
    private readonly checks: CallChecks,
    private readonly calls: MessagesCalls,
    private readonly exchange: UpstreamExchange,
    private readonly metrics: MetricsService,
    private readonly organizationSettings: OrganizationSettingsService,
  ) {}

  /** POST /v1/messages: forwarded untouched, streamed back byte for byte, recorded as an interaction. */
  async messages(context: CallContext): Promise<void> {
    const { request, principal, organization } = context;
    const body = this.jsonBody(request);
    const call = await this.calls.prepare({
      principal,
      organization,
      credentials: credentialsOf(request),
      headers: request.headers,
      body,
      target: { path: `/v1/messages${queryOf(request)}`, body: rawBody(request) },
    });
    await call.run(new ReplyOutput(context, 'messages'));
  }

  /**
   * The same Messages call without an HTTP exchange (tasks): the same session, budget, upstream
   * client with its retries, and recording, with the organization's stored key; the answer is
   * read whole and returned. Refusals before anything goes upstream throw, as on the proxy route;
   * anything that reached (or tried to reach) Anthropic is recorded and returned, failures included.
   */
  async createMessage(direct: DirectMessageCall): Promise<DirectMessageResult> {
    this.checks.notDraining();
    const { stream: _ignored, ...body } = direct.body;
    const call = await this.calls.prepare({
      principal: direct.principal,
      organization: direct.organization,
      credentials: NO_CREDENTIALS,
      headers: direct.headers,
      body,
      target: { path: '/v1/messages', body: Buffer.from(JSON.stringify(body)) },
    });
    const answer = await call.run(new BufferOutput());
    if (answer.ending.interrupted) throw ProxyErrors.draining();
    const interaction = call.interaction;
    if (!interaction) throw new Error('A Messages call ended without its record');
    const result = { interaction, sessionExternalId: call.session.externalId };
    const failure =
      answer.ending.unreachable ?? (answer.ending.upstreamFailed ? ProxyErrors.upstreamUnreachable() : null);
    if (failure) return { ...result, status: failure.status, body: anthropicError(failure) };
    return { ...result, status: answer.ending.status, body: parseJson(answer.body) };
  }

  /** POST /v1/messages/count_tokens: forwarded the same way; not an interaction. */
  async countTokens(context: CallContext): Promise<void> {
    const { request, organization } = context;
    const body = this.jsonBody(request);
    await this.checks.model(organization, body.model);
    const providerKey = await this.checks.providerKey(credentialsOf(request), organization, false);
    const started = performance.now();
    const target: UpstreamTarget = {
      route: 'count_tokens',
      method: 'POST',
      path: `/v1/messages/count_tokens${queryOf(request)}`,
      body: rawBody(request),
    };
    await this.exchange.run({
      target,
      headers: request.headers,
      providerKey,
      output: new ReplyOutput(context, 'count_tokens'),
      ended: ({ status, unreachable }) => {
        if (unreachable) return undefined;
        this.metrics.proxyRequests.inc({ route: 'count_tokens', outcome: status < 400 ? 'ok' : 'error' });
        this.metrics.proxyDuration.observe(
          { route: 'count_tokens', stream: 'false' },
          (performance.now() - started) / 1000,
        );
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
    this.checks.notDraining();
    const { request, reply, organization } = context;
    const policy = await this.organizationSettings.modelPolicy(organization.organizationId);
    if (modelId !== undefined && !policy.allows(modelId)) throw ProxyErrors.modelNotFound(modelId);
    const path =
      modelId === undefined
        ? `/v1/models${queryOf(request)}`
        : `/v1/models/${encodeURIComponent(modelId)}${queryOf(request)}`;
    const target: UpstreamTarget = { route: 'models', method: 'GET', path, body: null };
    if (modelId !== undefined || !policy.restricted) return this.relay(context, target);
    const answer = await this.fetchJson(context, target);
    const page =
      answer.status === 200
        ? narrowPage(answer.json, (model) => typeof model.id === 'string' && policy.allows(model.id))
        : null;
    ProxyService.sendJson(reply, answer.status, answer.headers, page ?? answer.text);
  }

  /**
   * Any other Anthropic call, passed through as it is (batches, files): the same credential,
   * refusals and shutdown handling as Messages, the answer streamed back byte for byte.
   */
  async relay(context: CallContext, target: UpstreamTarget, hooks: RelayHooks = {}): Promise<void> {
    this.checks.notDraining();
    const providerKey = await this.checks.providerKey(credentialsOf(context.request), context.organization);
    await this.exchange.run({
      target,
      headers: context.request.headers,
      providerKey,
      output: new ReplyOutput(context, target.route),
      observe: hooks.observe,
      ended: (ending: CallEnding) =>
        !ending.answered || ending.cancelled || ending.upstreamFailed ? undefined : hooks.onFinished?.(ending.status),
    });
  }

  /** An Anthropic call whose (small, JSON) answer Lamplight reads whole, to check or rewrite it before answering. */
  async fetchJson(context: CallContext, target: UpstreamTarget): Promise<UpstreamJson> {
    this.checks.notDraining();
    const { request } = context;
    const providerKey = await this.checks.providerKey(credentialsOf(request), context.organization);
    const answer = await this.exchange.run({
      target,
      headers: request.headers,
      providerKey,
      output: new BufferOutput(),
      ended: () => undefined,
    });
    const { ending, response } = answer;
    if (ending.unreachable) throw ending.unreachable;
    if (ending.interrupted) throw ProxyErrors.draining();
    if (!response || ending.upstreamFailed) throw ProxyErrors.upstreamUnreachable();
    const text = answer.body.toString('utf8');
    const headers = forwardedResponseHeaders(response, context.reply, String(request.id));
    delete headers['content-length'];
    return { status: response.statusCode, headers, json: parseJson(answer.body), text };
  }

  /** Answers with JSON Lamplight wrote (a rewritten or filtered answer of Anthropic's). */
  static sendJson(reply: FastifyReply, status: number, headers: OutgoingHttpHeaders, body: unknown): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    reply.hijack();
    reply.raw.writeHead(status, {
      ...headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    reply.raw.end(text);
  }

  private jsonBody(request: FastifyRequest): Record<string, unknown> {
    this.checks.notDraining();
    const body = request.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw ProxyErrors.invalidBody();
    return body as Record<string, unknown>;
  }
}
