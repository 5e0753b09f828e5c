import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse } from '../../common/errors/error-response';
import { renderErrorPage, SHARE_PAGE_CSP } from './share-page.template';

const PAGES: Partial<Record<number, { heading: string; message: string }>> = {
  [HttpStatus.NOT_FOUND]: {
    heading: 'This shared session is not available',
    message: 'The link is wrong, has expired, or was removed by the people who shared it.',
  },
  [HttpStatus.TOO_MANY_REQUESTS]: {
    heading: 'Too many requests',
    message: 'Please wait a minute and try again.',
  },
};

/** Errors on the share page become HTML pages with the same status the API would answer. */
@Catch()
export class SharePageFilter implements ExceptionFilter {
  private readonly logger = new Logger('SharePage');

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const response = toErrorResponse(exception, String(request.id), 'problem');
    if (response.unexpected)
      this.logger.error({ reqId: request.id, type: (exception as Error)?.name }, 'unexpected error on the share page');
    if (reply.sent || reply.raw.headersSent) return;
    const page = PAGES[response.status] ?? { heading: 'Something went wrong', message: 'Please try again later.' };
    reply
      .status(response.status)
      .headers(response.headers)
      .headers(sharePageHeaders())
      .type('text/html; charset=utf-8')
      .send(renderErrorPage(response.status, page.heading, page.message));
  }
}

/** Headers for every share page: nothing loads from elsewhere, nothing is cached or indexed. */
export function sharePageHeaders(): Record<string, string> {
  return {
    'content-security-policy': SHARE_PAGE_CSP,
    'cache-control': 'no-store',
    'x-robots-tag': 'noindex, nofollow',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
  };
}
