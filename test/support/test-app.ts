import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { InjectOptions, Response as InjectResponse } from 'light-my-request';
import { Client } from 'pg';
import { createApp } from '../../src/app.factory';
import { CacheInvalidation } from '../../src/database/cache-invalidation';
import type { ProblemDetails } from '../../src/common/errors/problem';
import { checkResponse } from './openapi-conformance';
import { TEST_DATABASE_URL_ENV } from './test-database';

/** Fixed secrets for tests, so tokens can be forged deliberately where a test needs to. */
export const TEST_JWT_SECRET = 'test-jwt-secret-that-is-long-enough-0123456789';
export const TEST_ENCRYPTION_KEY = `hex:${'11'.repeat(32)}`;

/**
 * A database row or JSON object that a suite reads loosely, column by column: the assertions on
 * it, not the compiler, check what it holds (rows differ by query; stored JSON is the client's).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the one loose type the suites share, see above
export type LooseRecord = Record<string, any>;

export interface TestApp {
  app: NestFastifyApplication;
  /** Every log line the app wrote, as text. */
  logs: string[];
  request(options: InjectOptions): Promise<InjectResponse>;
  /** Runs SQL directly against the test database (to check what was written). */
  sql<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export function testDatabaseUrl(): string {
  const url = process.env[TEST_DATABASE_URL_ENV];
  if (!url) throw new Error(`${TEST_DATABASE_URL_ENV} is not set: run the tests through jest (global setup)`);
  return url;
}

/** Boots the real application on Fastify against the run's PostgreSQL database. */
export async function startTestApp(
  env: Record<string, string> = {},
  databaseUrl: string = testDatabaseUrl(),
): Promise<TestApp> {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const { app } = await createApp({
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      JWT_SECRET: TEST_JWT_SECRET,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      DB_MIGRATE_ON_START: 'false',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'lamplight-test-')),
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
      ...env,
    },
    databaseUrl,
    logDestination: destination,
  });
  const fastify = app.getHttpAdapter().getInstance();
  // What the app answers is checked against the OpenAPI document (see openapi-conformance.ts).
  fastify.addHook('onSend', (request, reply, payload, done) => {
    checkResponse({
      method: request.method,
      route: request.routeOptions.url ?? '',
      status: reply.statusCode,
      contentType: reply.getHeader('content-type') as string | undefined,
      body: typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined,
    });
    done(null, payload);
  });
  await fastify.ready();
  const db = new Client({ connectionString: databaseUrl });
  db.on('error', () => undefined);
  await db.connect();
  return {
    app,
    logs,
    request: (options) => app.inject(options),
    sql: async <T>(text: string, values?: unknown[]) => (await db.query(text, values)).rows as T[],
    close: async () => {
      await db.end();
      await app.close();
    },
  };
}

let counter = 0;

export interface TestUser {
  id: string;
  email: string;
  password: string;
  token: string;
  organizationId: string;
  auth: { authorization: string };
}

/** Registers a new user (with their personal organization) through the API. */
export async function registerUser(app: TestApp, name = 'Test User'): Promise<TestUser> {
  counter += 1;
  const email = `user${Date.now()}${counter}${Math.random().toString(36).slice(2, 6)}@example.com`;
  const password = 'a long enough password';
  const response = await app.request({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email, name, password },
  });
  if (response.statusCode !== 201) throw new Error(`register failed: ${response.statusCode} ${response.body}`);
  const body = response.json();
  return {
    id: body.user.id,
    email,
    password,
    token: body.accessToken,
    organizationId: body.user.defaultOrganizationId,
    auth: { authorization: `Bearer ${body.accessToken}` },
  };
}

/** Creates a platform API key in the user's (default) organization; returns the whole key. */
export async function createApiKey(
  app: TestApp,
  user: TestUser,
  body: Record<string, unknown> = { name: 'test key' },
  organizationId?: string,
): Promise<{ id: string; key: string }> {
  const response = await app.request({
    method: 'POST',
    url: '/api/v1/api-keys',
    headers: { ...user.auth, ...(organizationId ? { 'x-organization-id': organizationId } : {}) },
    payload: body,
  });
  if (response.statusCode !== 201) throw new Error(`create key failed: ${response.statusCode} ${response.body}`);
  return { id: response.json().id, key: response.json().key };
}

/** An RFC 9457 problem body as the app writes it. */
export type ProblemBody = ProblemDetails;

/**
 * Asserts an RFC 9457 problem response: status, content type, machine code, the standard
 * members, and the request id matching the x-request-id header. Returns the parsed body.
 */
export function expectProblem(response: InjectResponse, status: number, code?: string): ProblemBody {
  expect({ status: response.statusCode, body: response.body }).toMatchObject({ status });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json();
  expect(body).toMatchObject({
    type: expect.stringMatching(/^https?:\/\//),
    title: expect.any(String),
    status,
    detail: expect.any(String),
    code: code ?? expect.any(String),
    requestId: response.headers['x-request-id'],
  });
  expect(body.title.length).toBeGreaterThan(0);
  expect(body.detail.length).toBeGreaterThan(0);
  expect(response.body).not.toMatch(/\bat .+\.(ts|js):\d+/);
  return body;
}

/** Starts the app's HTTP listener on a free loopback port (for real clients such as the Anthropic SDK). */
export async function listen(app: TestApp): Promise<string> {
  await app.app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('no listening address');
  return `http://127.0.0.1:${address.port}`;
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Stores an Anthropic provider key for the user's organization (the first becomes the default). */
export async function storeProviderKey(app: TestApp, user: TestUser, key: string): Promise<void> {
  const response = await app.request({
    method: 'POST',
    url: '/api/v1/provider-keys',
    headers: user.auth,
    payload: { name: 'anthropic', key },
  });
  if (response.statusCode !== 201)
    throw new Error(`store provider key failed: ${response.statusCode} ${response.body}`);
}

/**
 * Resolves once `target` has received an invalidation of `topic` (for `key`, when given) over its
 * LISTEN connection: take it before making a change through another instance (or in SQL), await it
 * after. Times out (failing the test) when no notification comes.
 */
export function invalidationReceived(target: TestApp, topic: string, key?: string, timeoutMs = 5_000): Promise<void> {
  const invalidation = target.app.get(CacheInvalidation);
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${topic} invalidation${key ? ` for ${key}` : ''} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    invalidation.subscribe(topic, (changed) => {
      if (key !== undefined && changed !== key && changed !== '*') return;
      clearTimeout(timer);
      resolve();
    });
  });
}
