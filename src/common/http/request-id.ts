import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fastify's request id: the caller's `x-request-id` when it is a plain token, else a new UUID.
 * Mirrored on the raw request so the HTTP logger uses the same id.
 */
export function generateRequestId(raw: IncomingMessage): string {
  const offered = raw.headers[REQUEST_ID_HEADER];
  const id = typeof offered === 'string' && SAFE_ID.test(offered) ? offered : randomUUID();
  (raw as IncomingMessage & { id?: string }).id = id;
  return id;
}
