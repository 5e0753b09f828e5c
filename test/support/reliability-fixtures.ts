import { request as httpRequest } from 'undici';
import type { MockScenario } from '../../mock-upstream/mock-anthropic';
import { eventually, type TestApp } from './test-app';

export const RELIABILITY_PROVIDER_KEY = 'sk-ant-api03-lamplight-reliability-test-key-0123456789';
export const MESSAGES = '/spotlight/anthropic/v1/messages';

export interface InteractionRow {
  id: string;
  session_id: string;
  http_status: number;
  outcome: string;
  error_type: string | null;
  stop_reason: string | null;
  input_tokens: number;
  output_tokens: number;
  upstream_request_id: string | null;
  time_to_first_token_ms: number | null;
  final_output: string | null;
}

/** A Messages request body steered by a mock scenario. */
export function messageBody(scenario: MockScenario, stream = true, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    model: 'claude-sonnet-4-6',
    max_tokens: 256,
    stream,
    messages: [{ role: 'user', content: `MOCK:${JSON.stringify(scenario)} go` }],
    ...extra,
  });
}

/** Calls the proxy over real HTTP (undici), as an SDK would; the caller reads (or drops) the body. */
export function proxyCall(
  baseURL: string,
  key: string,
  sessionId: string,
  scenario: MockScenario,
  options: { stream?: boolean; signal?: AbortSignal; headers?: Record<string, string> } = {},
) {
  return httpRequest(`${baseURL}${MESSAGES}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'anthropic-version': '2023-06-01',
      'x-api-key': key,
      'x-lamplight-session-id': sessionId,
      ...options.headers,
    },
    body: messageBody(scenario, options.stream ?? true),
    signal: options.signal,
  });
}

/** The interactions of one session of an organization, oldest first. */
function interactionsOf(
  app: Pick<TestApp, 'sql'>,
  organizationId: string,
  externalId: string,
): Promise<InteractionRow[]> {
  return app.sql<InteractionRow>(
    `select i.* from interactions i join sessions s on s.id = i.session_id
     where s.organization_id = $1 and s.external_id = $2 order by i.started_at`,
    [organizationId, externalId],
  );
}

/** Waits until the session holds at least `count` interactions (the recorder flushes within ~200 ms). */
export function waitForInteractions(
  app: Pick<TestApp, 'sql'>,
  organizationId: string,
  externalId: string,
  count = 1,
  timeoutMs = 5_000,
): Promise<InteractionRow[]> {
  return eventually(async () => {
    const rows = await interactionsOf(app, organizationId, externalId);
    return rows.length >= count ? rows : undefined;
  }, timeoutMs);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface LazyStreamUpstream {
  url: string;
  /** Bytes of response body written so far (all requests), and per request. */
  readonly stats: { requests: number; bytesSent: number; completed: number; aborted: number; blockedWriters: number };
  perRequestBytes: number[];
  close(): Promise<void>;
}

/**
 * A stand-in Anthropic for backpressure tests: answers every Messages call with a stream of
 * `streamBytes` bytes of text deltas, generated one frame at a time as the socket takes them (so
 * its own memory stays flat, unlike a mock that builds the whole answer up front), and counts what
 * it has written. A writer that waits for 'drain' is counted in `blockedWriters`: that is the
 * gateway pushing back.
 */
export async function startLazyStreamUpstream(streamBytes: number, frameBytes = 4_096): Promise<LazyStreamUpstream> {
  const { createServer } = await import('node:http');
  const stats = { requests: 0, bytesSent: 0, completed: 0, aborted: 0, blockedWriters: 0 };
  const perRequestBytes: number[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const frame = (event: string, data: unknown) => Buffer.from(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const delta = frame('content_block_delta', {
    type: 'content_block_delta',
    index: 0,
    delta: { type: 'text_delta', text: 'x'.repeat(Math.max(1, frameBytes - 120)) },
  });
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => void serve());
    const serve = async () => {
      const index = stats.requests++;
      perRequestBytes[index] = 0;
      let gone = false;
      res.on('close', () => {
        if (!res.writableFinished) {
          gone = true;
          stats.aborted++;
        }
      });
      const write = async (chunk: Buffer) => {
        if (gone) return false;
        stats.bytesSent += chunk.length;
        perRequestBytes[index] += chunk.length;
        if (res.write(chunk)) return true;
        stats.blockedWriters++;
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
        stats.blockedWriters--;
        return !gone;
      };
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'request-id': `req_lazy_${index}` });
      const start = frame('message_start', {
        type: 'message_start',
        message: {
          id: `msg_lazy_${index}`,
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-6',
          content: [],
          usage: { input_tokens: 100, output_tokens: 1 },
        },
      });
      if (!(await write(start))) return;
      if (
        !(await write(
          frame('content_block_start', {
            type: 'content_block_start',
            index: 0,
            content_block: { type: 'text', text: '' },
          }),
        ))
      )
        return;
      while (perRequestBytes[index] < streamBytes) if (!(await write(delta))) return;
      await write(frame('content_block_stop', { type: 'content_block_stop', index: 0 }));
      await write(
        frame('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn' },
          usage: { output_tokens: 1000 },
        }),
      );
      await write(frame('message_stop', { type: 'message_stop' }));
      if (!gone) {
        res.end();
        stats.completed++;
      }
    };
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get stats() {
      return { ...stats };
    },
    perRequestBytes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface SeverableLink {
  port: number;
  /** Rewrites a postgres URL to go through the link. */
  through(url: string): string;
  /** The outage: open connections are reset and new ones refused until `restore()`. */
  sever(): void;
  /** The outage as a stopped server: open connections reset, new ones refused (ECONNREFUSED) until `restore()`. */
  refuse(): Promise<void>;
  restore(): void;
  close(): Promise<void>;
}

/**
 * A TCP relay in front of PostgreSQL that a test can cut and mend in an instant: the same outage,
 * as the application sees it, as a database that goes away, without the seconds a real server
 * takes to stop and start (recording.e2e-spec.ts does it with a real embedded server).
 */
export async function startSeverableLink(targetUrl: string): Promise<SeverableLink> {
  const { createServer, connect } = await import('node:net');
  const target = new URL(targetUrl);
  const open = new Set<import('node:net').Socket>();
  let down = false;
  const server = createServer((client) => {
    if (down) return client.destroy();
    const upstream = connect(Number(target.port || 5432), target.hostname);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    port,
    through(url: string) {
      const rewritten = new URL(url);
      rewritten.hostname = '127.0.0.1';
      rewritten.port = String(port);
      return rewritten.toString();
    },
    sever() {
      down = true;
      for (const socket of open) socket.destroy();
      open.clear();
    },
    async refuse() {
      down = true;
      for (const socket of open) socket.destroy();
      open.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    restore() {
      down = false;
      if (!server.listening) server.listen(port, '127.0.0.1');
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}
