import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
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
  logger: { error(message: unknown, ...rest: unknown[]): void },
): void {
  const path = (request.url ?? '').split('?')[0];
  const response = toErrorResponse(exception, String(request.id), path);
  if (response.unexpected) {
    const error = exception instanceof Error ? exception : new Error(String(exception));
    logger.error({ err: { type: error.name, message: error.message, stack: error.stack }, reqId: request.id }, 'unexpected error');
  }
  if (reply.sent || reply.raw.headersSent) return;
  reply.status(response.status).headers(response.headers).type(response.contentType).send(response.body);
}
