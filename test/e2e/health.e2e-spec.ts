import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory';
import { startTestApp, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET, type TestApp } from '../support/test-app';

describe('health', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('answers liveness without credentials', async () => {
    const response = await app.request({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('answers readiness after checking the database', async () => {
    const response = await app.request({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', checks: { database: 'ok', accepting: 'ok' } });
  });
});

describe('health when the database is unreachable', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    ({ app } = await createApp({
      env: {
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        JWT_SECRET: TEST_JWT_SECRET,
        ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        DB_MIGRATE_ON_START: 'false',
      },
      // Nothing listens on port 1.
      databaseUrl: 'postgresql://lamplight:secret-password@127.0.0.1:1/lamplight',
    }));
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => app.close());

  it('fails readiness with 503 while liveness stays up, and other routes answer 503 without details', async () => {
    const ready = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'unavailable', checks: { database: 'unavailable', accepting: 'ok' } });
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);

    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'nobody@example.com', password: 'whatever password' },
    });
    expect(login.statusCode).toBe(503);
    expect(login.headers['content-type']).toContain('application/problem+json');
    expect(login.json()).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
    expect(login.body).not.toMatch(/secret-password|postgres(ql)?:\/\/|select|\bat \S+\.(js|ts)/i);
  });
});
