import type { RawBodyRequest } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OrganizationContext, PresentedCredentials, Principal } from '../../../common/auth/principal';

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

/** A call on a proxy route: who asks, for which organization, and the HTTP exchange it came in on. */
export interface CallContext {
  principal: Principal;
  organization: OrganizationContext;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** The credentials the access guard read from the request (it reads them on every authenticated route). */
export function credentialsOf(request: FastifyRequest): PresentedCredentials {
  if (!request.credentials) throw new Error('The access guard did not read the credentials of this request');
  return request.credentials;
}

/** The client's query string, as sent (`?…`), or ''. */
export function queryOf(request: FastifyRequest): string {
  return request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
}

/** The JSON body exactly as the client sent it (re-serialised only when the raw bytes are not kept). */
export function rawBody(request: FastifyRequest): Buffer {
  return (request as RawBodyRequest<FastifyRequest>).rawBody ?? Buffer.from(JSON.stringify(request.body));
}
