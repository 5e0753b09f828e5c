/**
 * Anthropic's Message Batches and Files APIs, as the mock upstream serves them: objects kept in
 * memory, in the real wire shapes. A batch ends at once: each request's result is a message as the
 * Messages API would have answered it (usage included), or `errored` when its params carry
 * `"max_tokens": 0`. Results are sent as JSON Lines in several writes, as a large download would be.
 */
import { randomBytes } from 'node:crypto';
import { estimateInputTokens } from './mock-anthropic';

export interface StoreAnswer {
  status: number;
  contentType: string;
  /** The body, in the writes it is sent in. */
  chunks: Buffer[];
}

interface StoredBatch {
  object: Record<string, unknown>;
  results: Buffer[];
}

interface StoredFile {
  metadata: {
    id: string;
    type: 'file';
    filename: string;
    mime_type: string;
    size_bytes: number;
    created_at: string;
    downloadable: boolean;
  };
  bytes: Buffer;
}

const json = (status: number, payload: unknown): StoreAnswer => ({
  status,
  contentType: 'application/json',
  chunks: [Buffer.from(JSON.stringify(payload), 'utf8')],
});

const notFound = (what: string): StoreAnswer =>
  json(404, { type: 'error', error: { type: 'not_found_error', message: `${what} not found` } });
const invalid = (message: string): StoreAnswer =>
  json(400, { type: 'error', error: { type: 'invalid_request_error', message } });

export function isStorePath(path: string): boolean {
  return (
    path === '/v1/messages/batches' ||
    path.startsWith('/v1/messages/batches/') ||
    path === '/v1/files' ||
    path.startsWith('/v1/files/')
  );
}

export class MockStore {
  readonly batches = new Map<string, StoredBatch>();
  readonly files = new Map<string, StoredFile>();

  constructor(private readonly baseUrl: () => string) {}

  handle(
    method: string,
    path: string,
    headers: Record<string, string | string[] | undefined>,
    body: Buffer,
  ): StoreAnswer {
    if (path.startsWith('/v1/files')) return this.handleFiles(method, path, headers, body);
    return this.handleBatches(method, path, body);
  }

  private handleBatches(method: string, path: string, body: Buffer): StoreAnswer {
    const rest = path.slice('/v1/messages/batches'.length).split('/').filter(Boolean);
    if (rest.length === 0 && method === 'POST') return this.createBatch(body);
    if (rest.length === 0 && method === 'GET') return this.list([...this.batches.values()].map((b) => b.object));
    const batch = this.batches.get(decodeURIComponent(rest[0] ?? ''));
    if (!batch) return notFound('Message batch');
    if (rest.length === 1 && method === 'GET') return json(200, batch.object);
    if (rest.length === 1 && method === 'DELETE') {
      this.batches.delete(String(batch.object.id));
      return json(200, { id: batch.object.id, type: 'message_batch_deleted' });
    }
    if (rest.length === 2 && rest[1] === 'cancel' && method === 'POST') {
      batch.object.cancel_initiated_at ??= new Date().toISOString();
      return json(200, batch.object);
    }
    if (rest.length === 2 && rest[1] === 'results' && method === 'GET')
      return { status: 200, contentType: 'application/binary', chunks: batch.results };
    return json(405, { type: 'error', error: { type: 'invalid_request_error', message: 'Method Not Allowed' } });
  }

  private createBatch(body: Buffer): StoreAnswer {
    let parsed: { requests?: { custom_id?: unknown; params?: Record<string, unknown> }[] };
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch {
      return invalid('Request body is not valid JSON');
    }
    if (!Array.isArray(parsed?.requests) || parsed.requests.length === 0)
      return invalid('requests: must be a non-empty list');
    const id = `msgbatch_${randomBytes(12).toString('hex')}`;
    const now = new Date().toISOString();
    let succeeded = 0;
    let errored = 0;
    const lines = parsed.requests.map((request) => {
      const params = request.params ?? {};
      if (params.max_tokens === 0) {
        errored++;
        return {
          custom_id: request.custom_id,
          result: {
            type: 'errored',
            error: {
              type: 'error',
              error: { type: 'invalid_request_error', message: 'max_tokens: must be at least 1' },
            },
          },
        };
      }
      succeeded++;
      const text = `Batch answer for ${String(request.custom_id)}.`;
      return {
        custom_id: request.custom_id,
        result: {
          type: 'succeeded',
          message: {
            id: `msg_${randomBytes(12).toString('hex')}`,
            type: 'message',
            role: 'assistant',
            model: params.model,
            content: [{ type: 'text', text }],
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: {
              input_tokens: estimateInputTokens(params),
              output_tokens: 12,
              cache_read_input_tokens: 0,
              cache_creation_input_tokens: 0,
              service_tier: 'batch',
            },
          },
        },
      };
    });
    const object = {
      id,
      type: 'message_batch',
      processing_status: 'ended',
      request_counts: { processing: 0, succeeded, errored, canceled: 0, expired: 0 },
      ended_at: now,
      created_at: now,
      expires_at: new Date(Date.now() + 86_400_000).toISOString(),
      archived_at: null,
      cancel_initiated_at: null,
      results_url: `${this.baseUrl()}/v1/messages/batches/${id}/results`,
    };
    // One line per write, so the results arrive in several chunks.
    this.batches.set(id, { object, results: lines.map((line) => Buffer.from(`${JSON.stringify(line)}\n`, 'utf8')) });
    return json(200, object);
  }

  private handleFiles(
    method: string,
    path: string,
    headers: Record<string, string | string[] | undefined>,
    body: Buffer,
  ): StoreAnswer {
    const rest = path.slice('/v1/files'.length).split('/').filter(Boolean);
    if (rest.length === 0 && method === 'POST') return this.upload(headers, body);
    if (rest.length === 0 && method === 'GET') return this.list([...this.files.values()].map((f) => f.metadata));
    const file = this.files.get(decodeURIComponent(rest[0] ?? ''));
    if (!file) return notFound('File');
    if (rest.length === 1 && method === 'GET') return json(200, file.metadata);
    if (rest.length === 1 && method === 'DELETE') {
      this.files.delete(file.metadata.id);
      return json(200, { id: file.metadata.id, type: 'file_deleted' });
    }
    if (rest.length === 2 && rest[1] === 'content' && method === 'GET') {
      const chunks: Buffer[] = [];
      for (let at = 0; at < file.bytes.length; at += 64 * 1024) chunks.push(file.bytes.subarray(at, at + 64 * 1024));
      return { status: 200, contentType: file.metadata.mime_type, chunks };
    }
    return json(405, { type: 'error', error: { type: 'invalid_request_error', message: 'Method Not Allowed' } });
  }

  /** multipart/form-data with a `file` part, read from the raw bytes (binary-safe). */
  private upload(headers: Record<string, string | string[] | undefined>, body: Buffer): StoreAnswer {
    const contentType = String(headers['content-type'] ?? '');
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
    if (!contentType.startsWith('multipart/form-data') || !boundary) return invalid('Expected multipart/form-data');
    const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
    let at = body.indexOf(delimiter);
    while (at !== -1) {
      const next = body.indexOf(delimiter, at + delimiter.length);
      if (next === -1) break;
      const part = body.subarray(at + delimiter.length + 2, next - 2); // past CRLF, before CRLF
      const split = part.indexOf('\r\n\r\n');
      const head = part.subarray(0, split).toString('utf8');
      if (/name="file"/i.test(head)) {
        const bytes = Buffer.from(part.subarray(split + 4));
        const id = `file_${randomBytes(12).toString('hex')}`;
        const metadata = {
          id,
          type: 'file' as const,
          filename: /filename="([^"]*)"/i.exec(head)?.[1] ?? 'upload',
          mime_type: /content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim() ?? 'application/octet-stream',
          size_bytes: bytes.length,
          created_at: new Date().toISOString(),
          downloadable: true,
        };
        this.files.set(id, { metadata, bytes });
        return json(200, metadata);
      }
      at = next;
    }
    return invalid('file: a file part is required');
  }

  private list(items: Record<string, unknown>[]): StoreAnswer {
    const data = [...items].reverse();
    return json(200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
  }
}
