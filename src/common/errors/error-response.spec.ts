import { HttpStatus, NotFoundException } from '@nestjs/common';
import { SessionErrors } from '../../modules/sessions/sessions.errors';
import { CommonErrorCode } from './common.errors';
import { DomainError } from './domain-error';
import { isDatabaseUnavailable, toErrorResponse } from './error-response';
import { RequestValidationException } from './validation';

describe('toErrorResponse', () => {
  it('turns a domain error into problem+json with its code and the request id', () => {
    const response = toErrorResponse(SessionErrors.notFound(), 'req-1', 'problem');
    expect(response).toMatchObject({
      status: 404,
      contentType: 'application/problem+json',
      unexpected: false,
      body: {
        status: 404,
        code: 'SESSION_NOT_FOUND',
        detail: 'Session not found',
        requestId: 'req-1',
        title: 'Not Found',
        type: 'https://lamplight.dev/problems/session-not-found',
      },
    });
  });

  it('lists each failing field of a validation error', () => {
    const response = toErrorResponse(
      new RequestValidationException([{ field: 'name', message: 'name must be a string' }]),
      'req-2',
      'problem',
    );
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'name', message: 'name must be a string' }],
    });
  });

  it("answers in Anthropic's error shape where the route declares it", () => {
    const response = toErrorResponse(new NotFoundException('nope'), 'req-3', 'anthropic');
    expect(response).toMatchObject({
      status: 404,
      contentType: 'application/json',
      body: { type: 'error', error: { type: 'not_found_error', message: 'nope' }, request_id: 'req-3' },
    });
  });

  it('hides the details of an unexpected error', () => {
    const response = toErrorResponse(new Error('select * from users where password = $1'), 'req-4', 'problem');
    expect(response.status).toBe(500);
    expect(response.unexpected).toBe(true);
    expect(JSON.stringify(response.body)).not.toContain('select');
  });

  it('carries retry-after for rate limits', () => {
    const response = toErrorResponse(
      new DomainError(CommonErrorCode.RateLimited, HttpStatus.TOO_MANY_REQUESTS, 'slow down', { retryAfterSeconds: 7 }),
      'req-5',
      'problem',
    );
    expect(response.headers).toEqual({ 'retry-after': '7' });
  });
});

describe('isDatabaseUnavailable', () => {
  it.each([
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), true],
    [Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), true],
    [Object.assign(new Error('connection failure'), { code: '08006' }), true],
    [new Error('Connection terminated unexpectedly'), true],
    // node-postgres's pool, when no connection could be made in time.
    [new Error('timeout exceeded when trying to connect'), true],
    [new Error('Connection terminated due to connection timeout'), true],
    // Too many connections, and a connection refused behind a wrapper (cause) or on every address (AggregateError).
    [Object.assign(new Error('sorry, too many clients already'), { code: '53300' }), true],
    [
      new Error('query failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }),
      true,
    ],
    [
      new AggregateError(
        [Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })],
        'connect failed',
      ),
      true,
    ],
    [new Error('wrapped', { cause: Object.assign(new Error('syntax error'), { code: '42601' }) }), false],
    [Object.assign(new Error('duplicate key'), { code: '23505' }), false],
    [new Error('something else'), false],
  ])('%s → %s', (error, expected) => {
    expect(isDatabaseUnavailable(error)).toBe(expected);
  });
});
