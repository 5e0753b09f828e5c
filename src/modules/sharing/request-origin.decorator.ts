import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253})|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The origin the request was addressed to (`http://host:port`), for links handed back to the
 * caller when PUBLIC_BASE_URL is not set. A Host header that is not a plain host name or address
 * is not echoed; the listening socket's address is used instead.
 */
export const RequestOrigin = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest>();
  const host = request.host;
  if (typeof host === 'string' && HOST.test(host)) return `${request.protocol}://${host}`;
  const socket = request.raw.socket;
  const address = socket.localAddress?.includes(':')
    ? `[${socket.localAddress}]`
    : (socket.localAddress ?? '127.0.0.1');
  return `${request.protocol}://${address}:${socket.localPort ?? 80}`;
});
