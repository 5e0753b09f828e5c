import type { FastifyInstance } from 'fastify';
import { CommonErrors } from '../errors/common.errors';
import { sendError } from '../errors/problem.filter';
import { routeBehaviourOf } from './route-behaviour';

/**
 * How deeply arrays and objects nest in a parsed JSON value, counted without recursion (so a
 * hostile body cannot exhaust the stack here), stopping as soon as it exceeds `limit`.
 */
function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * Bounds the nesting of JSON bodies on every route that declares it (all but the proxy's). Validation and
 * class-transformer recurse over a body, so a body nested thousands deep would exhaust the stack
 * (a 500) before any handler ran; it gets a 400 naming the limit instead. The proxy forwards
 * bodies untouched, whatever their shape.
 */
export function limitJsonDepth(fastify: FastifyInstance, limit: number, logger: Parameters<typeof sendError>[3]): void {
  fastify.addHook('preValidation', (request, reply, done) => {
    if (request.body === null || typeof request.body !== 'object' || !routeBehaviourOf(request).limitJsonDepth)
      return done();
    if (!jsonDepthExceeds(request.body, limit)) return done();
    sendError(reply, request, CommonErrors.jsonTooDeep(limit), logger);
  });
}
