import { Injectable, Logger } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import type { DomainError } from '../../../common/errors/domain-error';
import { SHUTDOWN_INTERRUPT, ShutdownState } from '../../../common/lifecycle/shutdown-state.service';
import { MetricsService } from '../../metrics/metrics.service';
import { ProxyErrors } from '../proxy.errors';
import type { ResponseTracker } from '../response-tracker';
import { isHeadersTimeout, UpstreamClient, type UpstreamResponse } from '../upstream-client.service';
import { upstreamHeaders } from '../upstream-headers';
import type { UpstreamTarget } from './call-context';
import type { CallEnding, CallOutput } from './call-output';

/** One exchange with Anthropic: what to send, where the answer goes, and who hears how it ended. */
export interface Exchange<R> {
  target: UpstreamTarget;
  /** The client's headers (or ones Lamplight wrote), forwarded as an open list. */
  headers: IncomingHttpHeaders;
  providerKey: string;
  output: CallOutput<R>;
  /** Reads usage, blocks and stop reason from a Messages answer as it passes. */
  tracker?: ResponseTracker;
  /** Sees every chunk of the answer as it passes (batch results are recorded from it). */
  observe?: (chunk: Buffer) => void;
  /**
   * The exchange is over, however it ended: called exactly once. What it returns (a record's
   * journal write) is awaited before the answer's last bytes.
   */
  ended(ending: CallEnding): Promise<void> | undefined;
}

/** Why no answer came: no headers in time (504), or no connection (502). */
function upstreamFailure(error: unknown): DomainError {
  return isHeadersTimeout(error) ? ProxyErrors.upstreamTimeout() : ProxyErrors.upstreamUnreachable();
}

function firstHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The one read loop of every proxied call: send (through the upstream client and its retries),
 * then relay or collect the answer through the call's output, chunk by chunk, timing the first
 * byte; the client going away aborts the upstream call, and shutdown waits for the exchange for
 * its grace period, then interrupts it.
 */
@Injectable()
export class UpstreamExchange {
  private readonly logger = new Logger('Proxy');

  constructor(
    private readonly upstream: UpstreamClient,
    private readonly metrics: MetricsService,
    private readonly shutdown: ShutdownState,
  ) {}

  async run<R>(exchange: Exchange<R>): Promise<R> {
    const { target, output, tracker, observe } = exchange;
    const started = performance.now();
    const abort = new AbortController();
    let finished = false;
    const unwatch = output.watch(() => {
      if (!finished) abort.abort();
    });
    // Shutdown waits for this call for its grace period, then interrupts it (see ShutdownState).
    let settle!: () => void;
    this.shutdown.trackCall({
      interrupt: () => {
        if (!finished) abort.abort(SHUTDOWN_INTERRUPT);
      },
      finished: new Promise<void>((resolve) => (settle = resolve)),
    });
    const interrupted = () => abort.signal.aborted && abort.signal.reason === SHUTDOWN_INTERRUPT;

    const body = target.body;
    const headers = upstreamHeaders(exchange.headers, exchange.providerKey, {
      keepContentLength: body !== null && !Buffer.isBuffer(body),
    });
    if (Buffer.isBuffer(body)) headers['content-type'] ??= 'application/json';

    let response: UpstreamResponse;
    try {
      response = await this.upstream.send({
        method: target.method,
        path: target.path,
        headers,
        body,
        signal: abort.signal,
      });
    } catch (error) {
      unwatch();
      finished = true;
      settle();
      const none = {
        answered: false,
        cancelled: false,
        upstreamFailed: false,
        interrupted: false,
        isStream: false,
        ttftMs: null,
        upstreamRequestId: null,
        unreachable: null,
      };
      // Neither waits for the record's journal write: no answer is sent whose completeness it would vouch for.
      if (interrupted()) {
        void this.end(exchange, { ...none, status: 503, interrupted: true });
        throw ProxyErrors.draining();
      }
      if (abort.signal.aborted) {
        output.abandon();
        void this.end(exchange, { ...none, status: 499, cancelled: true });
        return output.result({ ...none, status: 499, cancelled: true });
      }
      const failure = upstreamFailure(error);
      const ending: CallEnding = { ...none, status: failure.status, unreachable: failure };
      await this.end(exchange, ending);
      return output.result(ending);
    }

    const upstreamRequestId = firstHeader(response.headers, 'request-id') ?? null;
    const isStream = String(response.headers['content-type'] ?? '').startsWith('text/event-stream');
    tracker?.answeredAs(isStream);
    output.begin(response);

    let ttftMs: number | null = null;
    let upstreamFailed = false;
    // The bytes that complete a Messages answer wait until its record is journaled, so an answer a
    // client has whole is never lost to a kill: a JSON body's latest chunk, a stream's final event.
    let held: Buffer | undefined;
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        tracker?.push(chunk);
        observe?.(chunk);
        if (ttftMs === null) {
          ttftMs = Math.round(performance.now() - started);
          this.metrics.proxyTimeToFirstByte.observe({ route: target.route, stream: String(isStream) }, ttftMs / 1000);
        }
        if (held) {
          const wait = output.write(held, abort.signal);
          if (wait) await wait;
        }
        held = undefined;
        if (tracker && (!isStream || tracker.completed || tracker.errorType)) held = chunk;
        else {
          const wait = output.write(chunk, abort.signal);
          if (wait) await wait;
        }
        if (abort.signal.aborted) break;
      }
    } catch (error) {
      if (!abort.signal.aborted) {
        upstreamFailed = true;
        this.logger.warn(
          `Upstream ${target.route} response failed mid-body: ${(error as { code?: string }).code ?? 'error'}`,
        );
      }
    }
    let ending: CallEnding | undefined;
    try {
      tracker?.end();
      finished = true;
      unwatch();
      const stopped = interrupted();
      const cancelled = abort.signal.aborted && !stopped;
      if (abort.signal.aborted) response.body.destroy();
      ending = {
        status: response.statusCode,
        answered: true,
        unreachable: null,
        cancelled,
        upstreamFailed,
        interrupted: stopped,
        isStream,
        ttftMs,
        upstreamRequestId,
      };
      const journaled = this.end(exchange, ending);
      if (journaled && output.open && !cancelled) await journaled;
      output.end(ending, held);
    } finally {
      settle();
    }
    return output.result(ending);
  }

  /** Tells the call how it ended; a failure there is logged, never thrown at the client. */
  private end<R>(exchange: Exchange<R>, ending: CallEnding): Promise<void> | undefined {
    try {
      return exchange.ended(ending);
    } catch (error) {
      this.logger.error(
        `Recording a ${exchange.target.route} call failed: ${error instanceof Error ? error.name : 'error'}`,
      );
      return undefined;
    }
  }
}
