import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { DriverException } from '@mikro-orm/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { routeBehaviourOf } from '../http/route-behaviour';
import { toErrorResponse } from './error-response';

/** The one place errors become responses, for every route. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    sendError(reply, request, exception, this.logger);
  }
}

export function sendError(
  reply: FastifyReply,
  request: FastifyRequest,
  exception: unknown,
  logger: { error(message: unknown, ...rest: unknown[]): void; warn(message: unknown, ...rest: unknown[]): void },
): void {
  const behaviour = routeBehaviourOf(request);
  const response = toErrorResponse(exception, String(request.id), behaviour.errors);
  if (response.unexpected) logger.error({ err: describeForLog(exception), reqId: request.id }, 'unexpected error');
  // Routes that log failures only have no request log line (see createLoggerOptions): their refusals get this one.
  else if (behaviour.logging === 'failures') {
    logger.warn(
      {
        reqId: request.id,
        method: request.method,
        url: (request.url ?? '').split('?')[0],
        statusCode: response.status,
      },
      'proxy call answered with an error',
    );
  }
  if (reply.sent || reply.raw.headersSent) return;
  reply.status(response.status).headers(response.headers).type(response.contentType).send(response.body);
}

/**
 * What an unexpected error may put in the log: its type, code and stack frames. A database
 * driver's message is left out, because it quotes the query and its parameters.
 */
function describeForLog(exception: unknown): Record<string, unknown> {
  if (!(exception instanceof Error)) return { type: typeof exception };
  const frames = (exception.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at '));
  return {
    type: exception.name,
    code: (exception as { code?: unknown }).code,
    ...(exception instanceof DriverException ? {} : { message: exception.message.slice(0, 500) }),
    stack: frames.join('\n'),
  };
}
