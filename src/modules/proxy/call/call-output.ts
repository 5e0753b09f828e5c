import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OutgoingHttpHeaders } from 'node:http';
import type { DomainError } from '../../../common/errors/domain-error';
import type { UpstreamResponse } from '../upstream-client.service';
import type { Route } from './call-context';

/** Headers passed from Anthropic back to the client. */
const FORWARDED_RESPONSE_HEADERS =
  /^(content-type|content-length|request-id|retry-after|x-should-retry|anthropic-.*)$/i;

/**
 * Anthropic's per-subscriber usage headers describe the provider key's own quota, not the
 * developer's: never passed on (Lamplight sends its own for a developer's spend limits).
 */
const UPSTREAM_USAGE_HEADERS = /^anthropic-ratelimit-unified-/i;

/** What a stream still open when the shutdown grace period ends receives last. */
const SHUTDOWN_ERROR_EVENT = `event: error\ndata: ${JSON.stringify({
  type: 'error',
  error: { type: 'api_error', message: 'Lamplight is shutting down and ended this stream early; retry the request' },
})}\n\n`;

/** What a stream whose upstream broke mid-way receives last. */
const UPSTREAM_ERROR_EVENT = `event: error\ndata: ${JSON.stringify({
  type: 'error',
  error: { type: 'api_error', message: 'The upstream response was interrupted' },
})}\n\n`;

/** How an exchange with Anthropic ended, whatever became of it. */
export interface CallEnding {
  /** Anthropic's status once it answered; else what the caller is given (502/504 unreachable, 503 interrupted, 499 cancelled). */
  status: number;
  /** Anthropic answered (headers came back). */
  answered: boolean;
  /** No answer: Anthropic could not be reached in time (the error the caller gets). */
  unreachable: DomainError | null;
  /** The client went away; the upstream call was aborted. */
  cancelled: boolean;
  /** The answer broke off mid-body. */
  upstreamFailed: boolean;
  /** Ended by shutdown once its grace period was over. */
  interrupted: boolean;
  /** The answer is a server-sent event stream. */
  isStream: boolean;
  ttftMs: number | null;
  upstreamRequestId: string | null;
}

/**
 * Where an answer from Anthropic goes: the client's HTTP reply (relayed as it arrives), or a
 * buffer (collected whole, for calls Lamplight makes itself or reads before answering).
 */
export interface CallOutput<R> {
  /** Calls `gone` when whoever waits for the answer leaves; returns how to stop watching. */
  watch(gone: () => void): () => void;
  /** Headers Lamplight adds to the answer (where the caller stands against their spend limits). */
  annotate(headers: Record<string, string>): void;
  /** The upstream call was abandoned before any answer (the client went away). */
  abandon(): void;
  /** The answer starts. */
  begin(response: UpstreamResponse): void;
  /** A chunk of the answer; a promise when the receiver wants no more until it resolves (or `signal` aborts). */
  write(chunk: Buffer, signal: AbortSignal): Promise<void> | undefined;
  /** Whether the receiver can still take bytes. */
  readonly open: boolean;
  /**
   * The answer is over: `held` is its last chunk, kept back until the call's record was journaled,
   * so an answer a client has whole is never lost to a kill.
   */
  end(ending: CallEnding, held: Buffer | undefined): void;
  /** What the call gives its caller once over. */
  result(ending: CallEnding): R;
}

/** Anthropic's response headers a client gets, with Lamplight's own (request id, security headers). */
export function forwardedResponseHeaders(
  response: UpstreamResponse,
  reply: FastifyReply,
  requestId: string,
): OutgoingHttpHeaders {
  const outgoing: OutgoingHttpHeaders = { ...(reply.getHeaders() as OutgoingHttpHeaders), 'x-request-id': requestId };
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined && FORWARDED_RESPONSE_HEADERS.test(name) && !UPSTREAM_USAGE_HEADERS.test(name))
      outgoing[name] = value;
  }
  // After our own retries, the SDK's retries would multiply them: tell it not to.
  if (response.retriesExhausted) outgoing['x-should-retry'] = 'false';
  return outgoing;
}

/**
 * The client's HTTP reply: Anthropic's answer relayed as it arrives, byte for byte, with
 * backpressure. A failure before any answer is thrown, for the exception filter to answer in
 * Anthropic's shape.
 */
export class ReplyOutput implements CallOutput<void> {
  private static readonly logger = new Logger('Proxy');
  private readonly request: FastifyRequest;
  private readonly reply: FastifyReply;

  constructor(
    exchange: { request: FastifyRequest; reply: FastifyReply },
    private readonly route: Route,
  ) {
    this.request = exchange.request;
    this.reply = exchange.reply;
  }

  get open(): boolean {
    return !this.reply.raw.destroyed;
  }

  watch(gone: () => void): () => void {
    const raw = this.reply.raw;
    raw.on('close', gone);
    return () => raw.off('close', gone);
  }

  annotate(headers: Record<string, string>): void {
    for (const [name, value] of Object.entries(headers)) this.reply.header(name, value);
  }

  abandon(): void {
    this.reply.hijack();
    this.reply.raw.destroy();
  }

  begin(response: UpstreamResponse): void {
    const outgoing = forwardedResponseHeaders(response, this.reply, String(this.request.id));
    this.reply.hijack();
    this.reply.raw.writeHead(response.statusCode, outgoing);
  }

  write(chunk: Buffer, signal: AbortSignal): Promise<void> | undefined {
    const raw = this.reply.raw;
    return raw.write(chunk) ? undefined : drained(raw, signal);
  }

  end(ending: CallEnding, held: Buffer | undefined): void {
    const raw = this.reply.raw;
    const { isStream, upstreamFailed, interrupted } = ending;
    // A JSON body cut short (by Anthropic or by shutdown) is not finished: the client sees it fail.
    if (held && !raw.destroyed && !raw.writableEnded && (isStream || (!upstreamFailed && !interrupted)))
      raw.write(held);
    if (upstreamFailed && !raw.destroyed) {
      if (isStream) raw.write(UPSTREAM_ERROR_EVENT);
      else raw.destroy();
    }
    if (interrupted && !raw.destroyed && !raw.writableEnded) {
      // A stream ends with an error event the SDKs raise; a JSON body cannot be finished, so it is cut.
      if (isStream) raw.write(SHUTDOWN_ERROR_EVENT);
      else raw.destroy();
      // A client that does not read must not hold the server's close up: its socket goes after 1 s.
      setTimeout(() => raw.destroy(), 1_000).unref();
    }
    if (!raw.destroyed && !raw.writableEnded) raw.end();
    // Proxied calls have no request log line (see createLoggerOptions): the ones that did not succeed get this one.
    if (ending.status >= 400 || ending.cancelled || upstreamFailed || interrupted) {
      ReplyOutput.logger.warn(
        {
          reqId: this.request.id,
          route: this.route,
          statusCode: ending.status,
          upstreamRequestId: ending.upstreamRequestId,
          cancelled: ending.cancelled,
          upstreamFailed,
          interrupted,
        },
        'proxy call did not succeed',
      );
    }
  }

  /** Nothing more to give once the answer is relayed; a call Anthropic never answered fails here. */
  result(ending: CallEnding): void {
    if (ending.unreachable) throw ending.unreachable;
  }
}

/** An answer collected whole. */
export interface CollectedAnswer {
  ending: CallEnding;
  /** Anthropic's answer, when it answered. */
  response: UpstreamResponse | null;
  /** Every byte of the answer's body that arrived. */
  body: Buffer;
}

/** A buffer: the answer is collected whole and handed to the caller (tasks; answers Lamplight rewrites). */
export class BufferOutput implements CallOutput<CollectedAnswer> {
  readonly open = true;
  private response: UpstreamResponse | null = null;
  private readonly chunks: Buffer[] = [];

  watch(): () => void {
    return () => undefined;
  }

  annotate(): void {
    // A collected answer goes to Lamplight itself, which has no use for them.
  }

  abandon(): void {
    // Nothing was collected, and there is no one to tell.
  }

  begin(response: UpstreamResponse): void {
    this.response = response;
  }

  write(chunk: Buffer): undefined {
    this.chunks.push(chunk);
    return undefined;
  }

  end(ending: CallEnding, held: Buffer | undefined): void {
    if (held) this.chunks.push(held);
  }

  result(ending: CallEnding): CollectedAnswer {
    return { ending, response: this.response, body: Buffer.concat(this.chunks) };
  }
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
