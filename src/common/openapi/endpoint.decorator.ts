import { applyDecorators, HttpCode, HttpStatus, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem';
import { ProblemDto } from './problem.dto';

export interface EndpointOptions {
  /** A name generated clients use as the method name, e.g. `listApiKeys`. */
  operationId: string;
  summary: string;
  description?: string;
  /** The success status; 204 has no body. */
  status?: HttpStatus.OK | HttpStatus.CREATED | HttpStatus.NO_CONTENT;
  /** The success body. */
  type?: Type<unknown>;
  /**
   * The success body by content type, for a route that answers in more than JSON (a stream, a
   * download); replaces `type`.
   */
  content?: Record<string, { schema: Record<string, unknown> }>;
  /** Named examples of the success body (a documented shape's, where the route has one). */
  examples?: Record<string, { summary: string; value: unknown }>;
  /** Error statuses this route can answer besides the authentication ones, with why. */
  errors?: Partial<Record<400 | 401 | 403 | 404 | 409 | 413 | 429 | 503, string>>;
}

/** An RFC 9457 problem response in the document. */
export function ApiProblemResponse(status: number, description: string) {
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ApiResponse({
      status,
      description,
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemDto) } } },
    }),
  );
}

/**
 * One decorator per route for how it appears to clients: its operation id, its success status
 * and body, and the problems it can answer with.
 */
export function Endpoint(options: EndpointOptions) {
  const status = options.status ?? HttpStatus.OK;
  return applyDecorators(
    ApiOperation({ operationId: options.operationId, summary: options.summary, description: options.description }),
    HttpCode(status),
    status === HttpStatus.NO_CONTENT
      ? ApiResponse({ status, description: 'Done; no body' })
      : options.content
        ? ApiResponse({ status, description: 'Success', content: options.content })
        : ApiResponse({
            status,
            description: 'Success',
            type: options.type,
            ...(options.examples ? { examples: options.examples } : {}),
          }),
    ...Object.entries(options.errors ?? {}).map(([code, description]) => ApiProblemResponse(Number(code), description)),
  );
}
